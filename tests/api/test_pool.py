"""The pool's check before it hands out a connection: no round trip for a healthy idle one, and
one the server has ended is replaced, not given to a request."""

import time

import psycopg
from psycopg_pool import ConnectionPool

from api.db import check_idle, open_pool


def test_a_connection_the_server_ended_is_replaced(database_url, conn):
    pool = open_pool(database_url)
    try:
        with pool.connection() as first:
            pid = first.info.backend_pid
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.2)  # the FATAL and the EOF reach the pooled socket
        with pool.connection() as second:
            assert second.execute("SELECT 1").fetchone() == (1,)
            assert second.info.backend_pid != pid
    finally:
        pool.close()


def test_only_a_connection_with_something_to_read_gets_the_round_trip(database_url, conn,
                                                                      monkeypatch):
    checked = []
    monkeypatch.setattr(ConnectionPool, "check_connection",
                        staticmethod(lambda c: checked.append(c.info.backend_pid)))
    with psycopg.connect(database_url, autocommit=True) as idle:
        check_idle(idle)
        assert checked == []  # nothing to read: nothing sent
        conn.execute("SELECT pg_terminate_backend(%s)", [idle.info.backend_pid])
        time.sleep(0.2)
        check_idle(idle)
        assert checked == [idle.info.backend_pid]
