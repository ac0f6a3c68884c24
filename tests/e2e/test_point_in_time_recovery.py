"""Point-in-time recovery of a PostgreSQL node, as docs/deployment.md tells it: a throwaway
cluster archiving its WAL, a base backup, a node's work after it, a mistake (the audit trail
wiped), and a recovery to the moment before the mistake — the work kept, the trail whole.

Needs PostgreSQL's server binaries (Debian: postgresql-15) to make its own cluster on a free
port in a temporary folder; skipped, saying so, where they are missing."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.conftest import OWN_PARTY, PARTNER, created, run_accord
from tests.e2e.ports import free_port

from accord.node import open_node

DEBIAN = Path("/usr/lib/postgresql")
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")


def _server_binaries() -> Path | None:
    versions = sorted((d for d in DEBIAN.glob("*/bin") if d.parent.name.isdigit()),
                      key=lambda d: int(d.parent.name), reverse=True)
    return next((d for d in versions if all((d / t).exists() for t in TOOLS)), None)


BIN = _server_binaries()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(BIN is None, reason="PostgreSQL's server binaries (initdb, pg_ctl, "
                                           "pg_basebackup; Debian: postgresql-15) are not "
                                           "installed"),
]


def _owner() -> list[str]:
    """initdb and the server refuse to run as root: as root, run them as `postgres`."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root, and there is no `postgres` user to run a cluster as")
    return ["runuser", "-u", "postgres", "--"]


class Cluster:
    def __init__(self, work: Path, name: str) -> None:
        self.work, self.data, self.port = work, work / name, free_port()
        self.log = work / f"{name}.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def configure(self, **settings: str) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:  # later lines win
            for key, value in {"port": str(self.port), "listen_addresses": "'127.0.0.1'",
                               "unix_socket_directories": f"'{self.work}'", **settings}.items():
                conf.write(f"{key} = {value}\n")

    def start(self) -> None:
        pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        subprocess.run([*_owner(), str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                        "-w", "stop"], capture_output=True, check=False)

    def sql(self, statement: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return "" if row is None else str(row[0])


def pg(tool: str, *args: str) -> None:
    assert BIN is not None
    done = subprocess.run([*_owner(), str(BIN / tool), *args], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, f"{tool} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture
def work() -> Iterator[Path]:
    # Not under pytest's tmp_path: its folders are private to root, and the cluster's owner
    # must reach this one.
    folder = Path(tempfile.mkdtemp(prefix="accord-pitr-"))
    owner = _owner()
    if owner:
        shutil.chown(folder, "postgres", "postgres")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_node_is_recovered_to_the_moment_before_a_mistake(work):
    primary = Cluster(work, "primary")
    archive = work / "archive"
    pg("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--no-sync")
    subprocess.run([*_owner(), "mkdir", str(archive)], check=True)
    primary.configure(wal_level="replica", archive_mode="on", fsync="off",
                      archive_command=f"'cp %p {archive}/%f'")
    recovered = Cluster(work, "recovered")
    try:
        primary.start()
        created("init", "--party", OWN_PARTY, db=primary.url)
        pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
           "-D", str(recovered.data), "--checkpoint=fast", "--wal-method=stream", "--no-sync")
        # The node's work after the base backup: only the archived WAL holds it.
        created("party", "add", PARTNER, db=primary.url)
        token = created("token", "create", "--party", PARTNER, db=primary.url)
        target = primary.sql("SELECT now()")
        time.sleep(0.5)
        # The mistake: the audit trail wiped (by hand, by an intruder).
        primary.sql("DELETE FROM audit_objects")
        primary.sql("DELETE FROM audit WHERE seq > 1")
        assert "party.add" not in run_accord("audit", db=primary.url).stdout
        segment = primary.sql("SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 60
        while primary.sql("SELECT last_archived_wal FROM pg_stat_archiver") < segment:
            assert time.monotonic() < deadline, "the WAL was not archived within 60 s"
            time.sleep(0.2)
        primary.stop()

        # Recovery, as docs/deployment.md says: the base backup, the archive, a target time.
        recovered.configure(archive_mode="off", restore_command=f"'cp {archive}/%f %p'",
                            recovery_target_time=f"'{target}'",
                            recovery_target_action="'promote'")
        subprocess.run([*_owner(), "touch", str(recovered.data / "recovery.signal")],
                       check=True)
        recovered.start()
        deadline = time.monotonic() + 60
        while recovered.sql("SELECT pg_is_in_recovery()") == "True":
            assert time.monotonic() < deadline, recovered.log.read_text()
            time.sleep(0.2)

        parties = run_accord("party", "list", db=recovered.url)
        assert PARTNER in parties.stdout, parties.stderr  # work after the base backup, kept
        verified = run_accord("audit", "verify", db=recovered.url)
        assert verified.returncode == 0, verified.stderr  # the wiped trail, whole again
        trail = [json.loads(line)["action"] for line in
                 run_accord("audit", "--json", db=recovered.url).stdout.splitlines()]
        assert trail[-2:] == ["party.add", "node.init"] and trail[0] == "token.create"
        recovered_node = open_node(recovered.url)
        try:
            assert recovered_node.directory.principal(token) is not None
        finally:
            recovered_node.engine.dispose()
        check = run_accord("db", "check", db=recovered.url)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "recovery stopping before commit" in recovered.log.read_text()
    finally:
        recovered.stop()
        primary.stop()
