"""Accord through pgbouncer in transaction mode (`--db postgresql://…?pgbouncer=true`).

In transaction mode each transaction may run on another server connection: nothing may rest
on a session (prepared statements, SET, session advisory locks, LISTEN). A real pgbouncer
(Debian's package) with a pool smaller than the load spreads Accord's transactions over its
server connections while clients write and read at once.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.conftest import PG_ADMIN_URL, _pg_reason
from tests.e2e.ports import free_port

from .conftest import ACCORD, OWN_PARTY, TAXII, created, first_collection, stop_server

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _missing() -> str | None:
    if not Path(PGBOUNCER).is_file():
        return "pgbouncer not installed (Debian package pgbouncer: sh tests/install-postgres-tools)"
    return _pg_reason()


@dataclass(frozen=True)
class Pooled:
    url: str  # the --db URL through pgbouncer
    log: Path  # pgbouncer's log


@pytest.fixture(scope="module")
def pooled() -> Iterator[Pooled]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    import psycopg

    database = f"accord_pgb_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    top = Path(tempfile.mkdtemp(prefix="accord-pgbouncer-"))
    port = free_port()
    admin = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_URL)
    (top / "users.txt").write_text(f'"{admin.get("user", "postgres")}" ""\n')
    (top / "pgbouncer.ini").write_text(f"""
[databases]
accord = host={admin.get("host", "127.0.0.1")} port={admin.get("port", 5432)} dbname={database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {top}/users.txt
pool_mode = transaction
; fewer server connections than the clients' pool: transactions change connections
default_pool_size = 3
max_client_conn = 200
logfile = {top}/pgbouncer.log
pidfile = {top}/pgbouncer.pid
""")
    # pgbouncer refuses to run as root: -u drops to the postgres user.
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    if as_user:
        account = pwd.getpwnam("postgres")
        for path in (top, *top.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
    bouncer = subprocess.Popen([PGBOUNCER, *as_user, str(top / "pgbouncer.ini")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(bouncer, port, top / "pgbouncer.log")
        yield Pooled(f"postgresql://{admin.get('user', 'postgres')}@127.0.0.1:{port}/accord"
                     "?pgbouncer=true", top / "pgbouncer.log")
    finally:
        stop_server(bouncer)
        shutil.rmtree(top, ignore_errors=True)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _wait_listening(bouncer: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if bouncer.poll() is not None:
            stderr = bouncer.stderr.read().decode() if bouncer.stderr else ""
            pytest.fail(f"pgbouncer exited with {bouncer.returncode}: {stderr}")
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/accord",
                                 connect_timeout=2, prepare_threshold=None) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    pytest.fail(f"pgbouncer did not answer within 15 s:\n"
                f"{log.read_text() if log.exists() else ''}")


def test_the_switch_turns_prepared_statements_off(pooled: Pooled) -> None:
    from accord.store.engine import open_engine

    engine = open_engine(pooled.url)
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None  # type: ignore[union-attr]
    finally:
        engine.dispose()


def _indicator(n: int) -> dict[str, object]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z",
        "name": f"pooled {n}", "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix", "valid_from": "2026-12-01T10:00:00Z",
    }


def test_writes_and_reads_through_pgbouncer_in_transaction_mode(
        pooled: Pooled, tmp_path: Path) -> None:
    admin = created("init", "--party", OWN_PARTY, db=pooled.url)  # migrations, through it too
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [str(ACCORD), "serve", "--db", pooled.url, "--port", str(port), "--tick", "1s",
             "--sync-every", "0"], stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    base = f"{url}/taxii2/accord/"
    headers = {"Authorization": f"Bearer {admin}", "Accept": TAXII, "Content-Type": TAXII}
    try:
        collection = first_collection(server, url, admin, log)
        objects = f"{base}collections/{collection}/objects/"

        def write_then_read(n: int) -> list[int]:
            indicator = _indicator(n)
            with httpx.Client(headers=headers, timeout=30) as client:
                posted = client.post(objects, json={"objects": [indicator]})
                codes = [posted.status_code]
                if posted.status_code == 202:
                    codes.append(client.get(f"{base}status/{posted.json()['id']}/").status_code)
                codes.append(client.get(f"{objects}{indicator['id']}/").status_code)
                # The same statements again and again: psycopg would prepare them by now.
                codes += [client.get(objects, params={"limit": 5}).status_code
                          for _ in range(8)]
                return codes

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = [code for codes in pool.map(write_then_read, range(24)) for code in codes]
        assert set(answers) <= {200, 202}, sorted(set(answers))
        listing = httpx.get(objects, headers=headers, params={"limit": 1000}, timeout=30)
        names = {o["name"] for o in listing.json()["objects"] if o["type"] == "indicator"}
        assert {f"pooled {n}" for n in range(24)} <= names
        assert "prepared statement" not in log.read_text()
    finally:
        stop_server(server)
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
