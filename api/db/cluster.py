"""The embedded PostgreSQL + PostGIS cluster the project owns under ``var/pg``.

It listens on 127.0.0.1 only, on its own port, with a generated password. initdb refuses to run as
root, so when started as root the cluster belongs to the ``postgres`` system user that the OS
packages create.
"""

import hashlib
import os
import pwd
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from address.errors import DizhiError

SUPERUSER = "dizhi"


class ClusterError(DizhiError):
    status = 500
    title = "Embedded database error"


@dataclass(frozen=True)
class Cluster:
    root: Path
    port: int

    @property
    def server_dir(self) -> Path:
        """Where the data and log live: ``root``, unless the service user cannot reach it (a
        checkout under /root) and initdb put them elsewhere, noted in ``root/data-location``."""
        location = self.root / "data-location"
        return Path(location.read_text().strip()) if location.exists() else self.root

    @property
    def data_dir(self) -> Path:
        return self.server_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.server_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def url(self, database: str) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        result = self._pg_ctl("status", check=False)
        return result.returncode == 0

    def start(self) -> bool:
        """Initialise if needed and start; returns False when it was already running."""
        if not self.is_initialized():
            self._initdb()
        if self.is_running():
            return False
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file))
        return True

    def stop(self) -> bool:
        if not self.is_running():
            return False
        self._pg_ctl("stop", "-m", "fast", "-w")
        return True

    def ensure_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')  # name comes from settings, not users

    def make_replica(self, root: Path, port: int) -> "Cluster":
        """A streaming replica of this running cluster under ``root``, listening on ``port``: a
        base backup (``pg_basebackup -R``, so it follows this cluster from then on), started.
        Its password is this cluster's (the same superuser, copied with the data)."""
        replica = Cluster(root=root, port=port)
        if not replica.is_initialized():
            password = self.password_file.read_text()
            replica._prepare(password)
            self._run_as_owner([
                _pg_bin("pg_basebackup"), "-D", str(replica.data_dir), "-h", "127.0.0.1",
                "-p", str(self.port), "-U", SUPERUSER, "-R", "-X", "stream", "-c", "fast",
            ], env={**os.environ, "PGPASSWORD": password.strip()})
            with (replica.data_dir / "postgresql.conf").open("a") as conf:
                conf.write(f"\n# dizhi replica of 127.0.0.1:{self.port}\nport = {port}\n")
        replica.start()
        return replica

    def _prepare(self, password: str) -> None:
        """``root`` with the password file, and a server directory the service user can reach:
        ``root`` itself, or one under /var/lib/dizhi (noted in ``data-location``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text(password)
        self.password_file.chmod(0o600)
        owner = _service_user()
        if owner is None:
            return
        if not _reachable(owner, self.root.parent):
            place = Path("/var/lib/dizhi") / hashlib.sha1(
                str(self.root.resolve()).encode()).hexdigest()[:12]
            shutil.rmtree(place, ignore_errors=True)  # a cluster whose var/pg was deleted
            place.mkdir(parents=True)
            (self.root / "data-location").write_text(f"{place}\n")
        shutil.chown(self.server_dir, owner.pw_uid, owner.pw_gid)

    def _initdb(self) -> None:
        self._prepare(secrets.token_urlsafe(24) + "\n")
        owner = _service_user()
        pwfile = self.password_file
        if owner is not None:
            pwfile = self.server_dir / "initdb-pw"
            shutil.copy(self.password_file, pwfile)
            shutil.chown(pwfile, owner.pw_uid, owner.pw_gid)
        try:
            self._run_as_owner([
                _pg_bin("initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "-E", "UTF8",
                "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={pwfile}",
            ])
        finally:
            if pwfile != self.password_file:
                pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_server_config(self.port))
        _allow_replication(self.data_dir / "pg_hba.conf")

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run_as_owner([_pg_bin("pg_ctl"), "-D", str(self.data_dir), *args], check=check)

    def _run_as_owner(
        self, cmd: list[str], check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        owner = _service_user()
        if owner is not None:
            cmd = ["runuser", "-u", owner.pw_name, "--", *cmd]  # keeps the environment
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", env=env)
        if check and result.returncode != 0:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise ClusterError(f"{' '.join(cmd)} failed:\n{result.stderr}{tail}")
        return result


def _server_config(port: int) -> str:
    return (
        "\n# dizhi embedded cluster\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        "unix_socket_directories = ''\n"
        "shared_buffers = 512MB\n"
        "work_mem = 32MB\n"
        "maintenance_work_mem = 256MB\n"
        "max_connections = 200\n"
        # bulk loads (an import of 1,000,000 addresses, a year of meter readings) wrote a
        # checkpoint every 3 s at the default 1GB, each page's first change after it in full
        "max_wal_size = 4GB\n"
        # streaming replicas (docs/scale.md; `dizhi db replica`): the defaults of PostgreSQL 10+,
        # set here so that a build with other defaults still takes pg_basebackup -R
        "wal_level = replica\n"
        "max_wal_senders = 10\n"
        "hot_standby = on\n"
        "logging_collector = off\n"
    )


REPLICATION_HBA = "host    replication     all             127.0.0.1/32            scram-sha-256\n"


def _allow_replication(hba: Path) -> None:
    """A pg_hba line letting a replica on this machine stream from the cluster (initdb writes
    one; kept if it is there)."""
    if not re.search(r"^host\s+replication\s+all\s+127\.0\.0\.1/32\s", hba.read_text(), re.M):
        with hba.open("a") as conf:
            conf.write(REPLICATION_HBA)


def _reachable(owner: pwd.struct_passwd, path: Path) -> bool:
    """Whether ``owner`` can get to ``path`` (every directory above it must let them through)."""
    check = subprocess.run(["runuser", "-u", owner.pw_name, "--", "test", "-x", str(path)],
                           capture_output=True)
    return check.returncode == 0


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged owner of the cluster when running as root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            "running as root needs the 'postgres' system user (install postgresql-15-postgis-3)"
        ) from exc


def _pg_bin(name: str) -> str:
    """A PostgreSQL server binary: the Debian versioned directory first, then PATH (conda)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name), reverse=True)
    if candidates:
        return str(candidates[0])
    found = shutil.which(name)
    if found is None:
        raise ClusterError(f"{name} not found: install PostgreSQL + PostGIS (make system)")
    return found
