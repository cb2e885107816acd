"""``dizhi serve --workers N``: N uvicorn processes, each accepting on a socket of its own.

Under ``uvicorn --workers N`` every worker waits on one shared socket, and the kernel hands each
new connection to the worker that went back to waiting last, which is the one that was least
busy a moment ago and is about to be busiest. 64 keep-alive connections opened at once to two
workers landed 56 on one and 8 on the other; that one worker then ran at its limit while the
other idled, and the requests queued behind it made the geocode tail (bench/geocode_http.py).

Here the supervisor binds one socket per worker, all on the same port with ``SO_REUSEPORT``, and
worker ``i`` accepts on socket ``i`` only: the kernel spreads new connections over the sockets
by a hash of their addresses, evenly on average whatever the workers are doing, and a worker
that holds more connections than another passes a new one on (api/balance.py), so that they
hold as many each. The sockets stay open in the supervisor, so a worker that dies is replaced
on its own socket and the connections queued there (or passed to it) wait for the replacement
instead of being reset. Otherwise this is uvicorn's own supervisor (health checks, restarts,
SIGHUP, SIGTERM).
"""

import logging
import socket
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from api.balance import Balance, BalancedHTTP, serve_passed

logger = logging.getLogger("uvicorn.error")


def reuseport_sockets(host: str, port: int, count: int, backlog: int = 2048
                      ) -> list[socket.socket]:
    """``count`` listening TCP sockets on ``host:port`` (a ``port`` of 0 picks one for all).

    ``OSError`` when anything listens there already, another ``dizhi serve`` included: its
    sockets have ``SO_REUSEPORT`` too, so ours would join them unchecked and the two servers
    would share the connections. A socket without it is bound first, to find out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class BalancedServer(uvicorn.Server):
    """uvicorn's server as worker ``me`` of ``balance`` (api/balance.py)."""

    def __init__(self, config: Config, balance: Balance, me: int) -> None:
        super().__init__(config)
        self.balance, self.me = balance, me

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        config = self.config
        made: Any = config.http_protocol_class  # uvicorn's types know only asyncio.Protocol
        serve_passed(self.balance, self.me, lambda: made(
            config=config, server_state=self.server_state, app_state=self.lifespan.state))


class BalancedProcess(Process):
    """uvicorn's worker process, running a ``BalancedServer``."""

    def __init__(self, config: Config, sockets: list[socket.socket], balance: Balance,
                 me: int) -> None:
        self.balance, self.me = balance, me
        super().__init__(config, sockets)

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = BalancedServer(self.config, self.balance, self.me)
        return self._server


class ReusePortSupervisor(Multiprocess):
    """uvicorn's supervisor, with worker ``i`` started (and restarted) on ``sockets[i]``, the
    workers' connections held even (``balance``)."""

    def __init__(self, config: Config, sockets: list[socket.socket], balance: Balance) -> None:
        super().__init__(config, sockets)
        self.balance = balance

    def _process(self, idx: int) -> Process:
        process = BalancedProcess(self.config, [self.sockets[idx]], self.balance, idx)
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._process(idx) for idx in range(len(self.sockets))]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the app or its settings are broken
                logger.error(f"Child process [{process.pid}] failed to start, stopping.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Child process [{process.pid}] died")
            self.balance.died(idx)
            self.processes[idx] = self._process(idx)

    def restart_all(self) -> None:
        """SIGHUP: each worker's replacement serves on its socket before the old one stops."""
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._process(idx)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                logger.error(f"Child process [{new.pid}] was not ready in time; restart aborted.")
                return
            old.terminate()
            old.join()
            self.processes[idx] = new


def serve(app: str, *, host: str, port: int, workers: int, log_level: str = "info",
          access_log: bool = True) -> None:
    """Serve the ASGI ``app`` ("module:attribute") with ``workers`` processes."""
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
        return
    config = Config(app, host=host, port=port, workers=workers, log_level=log_level,
                    access_log=access_log, http=BalancedHTTP)
    sockets = reuseport_sockets(host, port, workers)
    balance = Balance.of(workers)
    try:
        ReusePortSupervisor(config, sockets, balance).run()
    finally:
        for sock in sockets:
            sock.close()
        balance.close()
