"""A throwaway PostgreSQL + PostGIS cluster for outage tests: stopped and started at will, never
the shared one. Made with the project's own :class:`~api.db.cluster.Cluster` (as root the
cluster belongs to the ``postgres`` system user, as the embedded one does)."""

import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from api import db
from api.db.cluster import Cluster

DATABASE = "dizhi"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[tuple[Cluster, str]]:
    """A new cluster on a free port with a migrated (empty) database; its URL; deleted after."""
    place = Path(tempfile.mkdtemp(prefix="dizhi-outage-"))
    place.chmod(0o755)  # the cluster's owner (postgres, when we are root) must get through
    cluster = Cluster(root=place / "pg", port=free_port())
    try:
        cluster.start()
        cluster.ensure_database(DATABASE)
        url = cluster.url(DATABASE)
        db.migrate(url)
        yield cluster, url
    finally:
        cluster.stop()
        shutil.rmtree(place, ignore_errors=True)


def seconds_until(predicate: Callable[[], bool], limit: float, step: float = 0.05) -> float:
    """How long until ``predicate()`` holds (checked every ``step``); ``inf`` past ``limit``."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return float("inf")
