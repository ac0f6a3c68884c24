"""The connection a server's event loop keeps between requests, on SQLite (store.resident):
used again without the pool, yet every block reads what was committed before it began, and a
connection left in a transaction goes back to the pool rather than into the next block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.integration.store import test_resident as on_postgresql

from accord.store import resident
from accord.store.engine import one_connection, open_engine, reading, writing


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = open_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with writing(made) as conn:
        conn.execute(text("CREATE TABLE said (n INTEGER)"))
    yield from on_postgresql.kept(made)


# Checkouts from the pool, counted as on PostgreSQL.
checkouts = on_postgresql.checkouts


def _count(engine: Engine) -> int:
    with one_connection(), reading(engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM said")).scalar_one())


def _say(engine: Engine) -> None:
    with writing(engine) as conn:
        conn.execute(text("INSERT INTO said VALUES (1)"))


def test_the_connection_is_kept_and_each_block_reads_what_was_committed(engine, checkouts):
    assert _count(engine) == 0
    _say(engine)  # another connection (a writer's, from the pool) commits meanwhile
    assert _count(engine) == 1
    _say(engine)
    assert _count(engine) == 2
    # One checkout for the reads (kept), one for each write.
    assert len(checkouts) == 1 + 2


def test_a_connection_left_in_a_transaction_is_not_kept(engine, checkouts):
    with one_connection(), reading(engine) as conn:
        conn.exec_driver_sql("BEGIN")  # its reads would stay on this snapshot
        assert conn.execute(text("SELECT count(*) FROM said")).scalar_one() == 0
    _say(engine)
    assert _count(engine) == 1  # a fresh connection, outside that snapshot
    assert len(checkouts) == 1 + 1 + 1



def test_a_servers_reads_leave_no_snapshot_held(tmp_path):
    """Through the app, on its event loop: TAXII pages, an object by id, the UI's requests
    list and a look-up; then a checkpoint that truncates the WAL finds no reader in its way
    (an unfinished statement on the kept connection would hold a snapshot, and with it the
    WAL), and at shutdown the kept connection goes back to the pool."""
    from sqlalchemy import create_engine
    from starlette.testclient import TestClient
    from tests.integration.taxii.test_endpoints import indicator

    from accord.app import create_app
    from accord.node import initialise, open_node

    path = tmp_path / "node.db"
    node = open_node(str(path))
    _, token = initialise(node, "CERT-A")  # with its collection "evidence"
    taxii = {"Accept": "application/taxii+json;version=2.1",
             "Authorization": f"Bearer {token}"}
    objects = "/taxii2/accord/collections/evidence/objects/"
    with TestClient(create_app(node)) as client:
        posted = client.post(objects, json={"objects": [indicator(n) for n in range(1, 4)]},
                             headers={**taxii, "Content-Type": taxii["Accept"]})
        assert posted.status_code == 202
        assert len(client.get(objects + "?limit=2", headers=taxii).json()["objects"]) == 2
        assert client.get(objects + indicator(2)["id"] + "/", headers=taxii).status_code == 200
        assert client.get("/api/v1/lookup?value=198.51.100.1",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert node.engine in resident._residents  # kept between those reads
        other = create_engine(f"sqlite:///{path}")
        try:
            with other.connect() as conn:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            assert busy == 0
        finally:
            other.dispose()
    assert node.engine not in resident._residents
    assert node.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
