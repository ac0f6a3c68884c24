"""PostgreSQL: a serving process answers a page it read a moment ago from memory
(store.page_memo), and never once it has changed — by a write of its own, seen at once, or by
another process's, seen as soon as it is announced — nor to a reader it was not read for."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient
from tests.integration.taxii.test_endpoints import objects_url, post
from tests.integration.taxii.test_hot_reads import RED, TAXII, indicator

from accord.app import create_app
from accord.store.audit_log import AuditQuery
from accord.store.page_memo import HELD_FOR, TRIGGER_PREFIX, WATCHED
from accord.trust.access import Grant

pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(pg_url: str) -> str:
    return pg_url


@pytest.fixture
def served(world) -> Iterator[TestClient]:
    """The node's app with its lifespan (which starts the listener), remembering pages."""
    with TestClient(create_app(world.node), base_url="http://testserver") as client:
        client.headers.update({"Authorization": f"Bearer {world.admin_token}",
                               "Accept": TAXII})
        memo = world.node.objects.pages
        assert memo is not None
        deadline = time.monotonic() + 10
        while memo.generation() is None:
            assert time.monotonic() < deadline, "the change listener never confirmed"
            time.sleep(0.01)
        yield client


def _post(client: TestClient, world, *objects: dict) -> None:
    answer = post(client, world.evidence.id, list(objects))
    assert answer.status_code == 202 and answer.json()["failure_count"] == 0, answer.text


def _modified(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [o["modified"] for o in answer.json().get("objects", [])]


def test_a_page_read_again_is_remembered_and_still_recorded(served, world) -> None:
    _post(served, world, indicator(1))
    first = served.get(objects_url(world))
    assert len(world.node.objects.pages) >= 1
    again = served.get(objects_url(world))
    assert again.content == first.content
    assert again.headers["X-TAXII-Date-Added-Last"] == first.headers["X-TAXII-Date-Added-Last"]
    # Answered from memory, the read is in the audit trail like any other.
    world.node.reads.flush()
    reads = list(world.node.audit.query(AuditQuery(action="objects.read", limit=10)))
    assert len(reads) == 2


def test_a_write_of_this_process_is_read_at_once(served, world) -> None:
    _post(served, world, indicator(1))
    one = objects_url(world, indicator(1)["id"] + "/")
    assert _modified(served.get(one)) == ["2020-01-01T00:00:00.000Z"]
    assert _modified(served.get(objects_url(world))) == ["2020-01-01T00:00:00.000Z"]
    _post(served, world, indicator(1, "2021-01-01T00:00:00.000Z"))
    # The very next reads, by id and the collection's page: the new version.
    assert _modified(served.get(one)) == ["2021-01-01T00:00:00.000Z"]
    assert _modified(served.get(objects_url(world))) == ["2021-01-01T00:00:00.000Z"]
    assert served.delete(one).status_code == 200
    assert served.get(one).status_code == 404
    assert _modified(served.get(objects_url(world))) == []


def test_a_write_of_this_process_is_read_at_once_without_its_announcement(
        served, world, pg_url) -> None:
    # The triggers dropped once the listener listens: nothing is announced any more, and what
    # this process writes is forgotten by the write itself (store.page_memo.watch_writes).
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for table in WATCHED:
            conn.execute(f"DROP TRIGGER {TRIGGER_PREFIX}{table} ON {table}")
    test_a_write_of_this_process_is_read_at_once(served, world)


def test_a_write_of_another_process_is_read_as_soon_as_it_is_announced(
        served, world, pg_url) -> None:
    _post(served, world, indicator(1))
    one = objects_url(world, indicator(1)["id"] + "/")
    assert served.get(one).status_code == 200
    assert served.get(one).status_code == 200  # remembered
    # Another process (as another host would) removes it: this one hears of it.
    removed = subprocess.run(
        [sys.executable, "-m", "accord", "collection", "remove-object", world.evidence.id,
         indicator(1)["id"], "--reason", "test", "--db", pg_url],
        capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr
    announced = time.monotonic()
    while served.get(one).status_code != 404:
        # Milliseconds, in practice; never past the listener's bound.
        assert time.monotonic() - announced < HELD_FOR + 1.0, "the removal was never seen"
        time.sleep(0.01)


def test_a_page_remembered_for_one_reader_is_not_anothers(served, world) -> None:
    _post(served, world, indicator(1), indicator(2, object_marking_refs=[RED]))
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    hidden = objects_url(world, indicator(2)["id"] + "/")
    for _ in range(2):  # read, then remembered, by the party that may read it
        assert served.get(hidden).status_code == 200
        assert len(served.get(objects_url(world)).json()["objects"]) == 2
    other = {"Authorization": f"Bearer {world.other_token}"}
    for _ in range(2):
        assert served.get(hidden, headers=other).status_code == 404
        seen = served.get(objects_url(world), headers=other).json()["objects"]
        assert [o["id"] for o in seen] == [indicator(1)["id"]]
