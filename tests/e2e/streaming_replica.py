"""A real PostgreSQL primary and its streaming replica, made for a test and torn down after.

Debian's PostgreSQL 15 tools (initdb, pg_ctl, pg_basebackup) in a temporary directory, on free
loopback ports: nothing of the machine's own clusters or /etc is touched. The servers run as
the `postgres` user when the tests run as root (PostgreSQL refuses root), else as the tester.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.ports import free_port

PG_BIN = Path(os.environ.get("ACCORD_PG_BIN", "/usr/lib/postgresql/15/bin"))
TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
DATABASE = "accord"
READY_SECONDS = 30


def _server_user() -> str | None:
    """Who runs the servers: None for the tester itself, else a user other than root."""
    return "postgres" if os.geteuid() == 0 else None


def missing_tools() -> str | None:
    """None when a primary and a replica can be made here, else why not (a skip reason)."""
    absent = [tool for tool in TOOLS if not (PG_BIN / tool).is_file()]
    if absent:
        return (f"PostgreSQL server tools not found in {PG_BIN} ({', '.join(absent)}): install "
                "Debian's postgresql-15 or set ACCORD_PG_BIN")
    user = _server_user()
    if user is not None:
        try:
            pwd.getpwnam(user)
        except KeyError:
            return "running as root and there is no `postgres` user to run the servers as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing (util-linux)"
    return None


def as_server_user(*argv: str) -> list[str]:
    user = _server_user()
    return ["runuser", "-u", user, "--", *argv] if user else list(argv)


def _run(*argv: str, timeout: float = 120) -> None:
    done = subprocess.run(as_server_user(*argv), capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")


@dataclass
class Cluster:
    """One PostgreSQL server: its data directory, port and log."""

    name: str
    data: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, query: str = "") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}{query}"

    def start(self) -> None:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
             "-t", str(READY_SECONDS), "start")

    def stop(self, mode: str = "fast") -> None:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def query(self, sql: str, database: str = DATABASE) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
                             autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []


@dataclass
class Replication:
    primary: Cluster
    replica: Cluster

    def wait_until_replayed(self, timeout: float = 15) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.primary.query("SELECT pg_current_wal_insert_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.replica.query(
                f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]
            if done:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the replica did not replay up to {target} within {timeout} s")


_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
# A test's cluster: small, and nothing waits for the disk.
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
"""


@contextmanager
def primary_and_replica() -> Iterator[Replication]:
    """A primary with database `accord` and a streaming replica of it (pg_basebackup -R);
    both stopped and their directory removed afterwards, whatever happened."""
    top = Path(tempfile.mkdtemp(prefix="accord-replication-"))
    user = _server_user()
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(top, account.pw_uid, account.pw_gid)
    primary = Cluster("primary", top / "primary", free_port())
    replica = Cluster("replica", top / "replica", free_port())
    try:
        _run(str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8", "--locale", "C")
        with_conf = primary.data / "postgresql.conf"
        _append(with_conf, _CONF.format(port=primary.port, sockets=top))
        primary.start()
        primary.query(f"CREATE DATABASE {DATABASE}", database="postgres")
        # -R: the copy starts as a standby of the primary (standby.signal, primary_conninfo).
        _run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
             "-U", "postgres", "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast")
        _append(replica.data / "postgresql.auto.conf", f"port = {replica.port}\n")
        replica.start()
        replication = Replication(primary, replica)
        _wait_streaming(replication)
        yield replication
    finally:
        for cluster in (replica, primary):
            if cluster.is_running():
                with suppress(Exception):
                    cluster.stop("immediate")
        shutil.rmtree(top, ignore_errors=True)


def _append(path: Path, text: str) -> None:
    # Written as the server user owns it; appending as root keeps the owner.
    with path.open("a") as conf:
        conf.write(text)


def _wait_streaming(replication: Replication) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        rows = replication.primary.query(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            database="postgres")
        if rows[0][0] >= 1 and replication.replica.query("SELECT pg_is_in_recovery()")[0][0]:
            return
        time.sleep(0.1)
    raise TimeoutError(f"the replica did not start streaming within {READY_SECONDS} s:\n"
                       + replication.replica.log.read_text()[-4000:])
