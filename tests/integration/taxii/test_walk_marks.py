"""A client that pages by `added_after` alone (TAXII 2.1 §3.5), never following `next`, gets
past a stretch of rows hidden from it longer than a page's walk: the same poll asked again
goes on from where the last walk stopped (store.walk_marks). Before, one party posting rows
marked for another into a shared collection stopped every other reader's poller there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError
from tests.integration.taxii.test_walk_bound import TAXII, WALK, indicator

from accord.store import walk_marks
from accord.store.query import ObjectQuery, Reader
from accord.store.walk_marks import WalkMarks

HIDDEN = 1_000  # rows in a row the poller may not read: more than three walks


@pytest.fixture
def stretch(world):
    """A collection both parties read: one row for every reader, HIDDEN addressed to a third
    party only, then two for every reader again."""
    directory = world.node.directory
    third = directory.add_party("Third")
    third_token = directory.create_token(third, role="reader")
    shared = directory.create_collection("Shared", read=[world.own, world.other, third],
                                         write=[world.own])
    us = world.own.id
    rows = [indicator(0, us)] + [indicator(n, us, third.id) for n in range(1, HIDDEN + 1)] \
        + [indicator(HIDDEN + 1, us), indicator(HIDDEN + 2, us)]
    world.node.objects.add(shared.id, rows, poster_id=us)
    world.node.info = replace(world.node.info, most_walked=WALK)
    return shared, third_token, [r["id"] for r in rows]


def poll(client, url, token, most_requests=20, **params):
    """A poller that keeps only X-TAXII-Date-Added-Last as its place, as many clients do:
    every object it was given, in order, and the requests it took."""
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    got, asked = [], 0
    while asked < most_requests:
        answered = client.get(url, params=params, headers=headers)
        asked += 1
        assert answered.status_code == 200, answered.text
        envelope = answered.json()
        got += [o["id"] for o in envelope.get("objects", [])]
        last = answered.headers.get("x-taxii-date-added-last")
        if last is not None:
            params = {**params, "added_after": last}
        if not envelope.get("more"):
            return got, asked
    raise AssertionError(f"still not through after {asked} requests; given {got}")


def test_a_poller_by_added_after_alone_gets_past_rows_hidden_from_it(client, world, stretch):
    shared, _, ids = stretch
    for resource in ("objects", "manifest"):
        url = f"/taxii2/accord/collections/{shared.id}/{resource}/"
        got, asked = poll(client, url, world.other_token, limit=100)
        assert got == [ids[0], ids[-2], ids[-1]]
        # A walk's bound of rows a request: the stretch is crossed in as many polls.
        assert asked <= HIDDEN // WALK + 3


def test_a_poll_resumed_tells_no_more_than_next_would(client, world, stretch):
    shared, _, ids = stretch
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    first = client.get(url, params={"limit": 1}, headers=headers)
    after = first.headers["x-taxii-date-added-last"]
    for _ in range(HIDDEN // WALK):
        again = client.get(url, params={"added_after": after}, headers=headers)
        envelope = again.json()
        assert envelope == {"more": True, "next": envelope["next"]}  # nothing but `next`
        assert envelope["next"].startswith("~")  # sealed: no hidden row's date_added
        assert "x-taxii-date-added-first" not in again.headers
        assert "x-taxii-date-added-last" not in again.headers
    through = client.get(url, params={"added_after": after}, headers=headers).json()
    assert [o["id"] for o in through["objects"]] == ids[-2:]


def test_a_readers_mark_is_its_own(client, world, stretch):
    """Where one reader's walk got to says nothing of what another may read: the third
    party, which may read the stretch, polling from the same place gets all of it."""
    shared, third_token, ids = stretch
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    after = client.get(url, params={"limit": 1}, headers=headers) \
        .headers["x-taxii-date-added-last"]
    for _ in range(HIDDEN // WALK):  # the other party's mark, 900 rows into the stretch
        client.get(url, params={"added_after": after}, headers=headers)
    got, _ = poll(client, url, third_token, most_requests=40, added_after=after, limit=100)
    assert got == ids[1:]
    # Nor are other filters' or another place's: a poll of indicators from the same place
    # walks from there (from the mark, its walk would have reached the rows after the
    # stretch), and the plain poll from the start begins at the start.
    first = client.get(url, params={"added_after": after, "match[type]": "indicator"},
                       headers=headers).json()
    assert first["more"] is True and "objects" not in first
    assert [o["id"] for o in client.get(url, params={"limit": 1}, headers=headers)
            .json()["objects"]] == [ids[0]]


def test_a_poll_that_follows_next_writes_no_mark(client, world, stretch):
    shared, _, _ = stretch
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    answered = client.get(url, params={"limit": 1}, headers=headers).json()
    while answered.get("more"):
        answered = client.get(url, params={"limit": 100, "next": answered["next"]},
                              headers=headers).json()
    with world.node.engine.connect() as conn:
        kept = conn.execute(walk_marks.walk_marks.select()).all()
    # The first page, from the start, walked into the stretch and found its one row: no
    # empty page, no mark; the pages after it went on by their tokens.
    assert kept == []


def test_a_party_keeps_a_bounded_number_of_marks_for_a_while(world, monkeypatch):
    monkeypatch.setattr(walk_marks, "LIMIT", 3)
    marks = WalkMarks(world.node.engine)
    reader = Reader(world.other.id, 2)
    now = world.node.objects.clock()

    def query(n: int) -> ObjectQuery:
        return ObjectQuery(reader=reader, most_walked=WALK,
                           added_after=f"2020-01-01T00:00:{n:02d}.000000Z")

    for n in range(5):
        marks.keep("collection--x", query(n), f"2021-01-01T00:00:{n:02d}.000000Z",
                   now + timedelta(seconds=n))
    with world.node.engine.connect() as conn:
        assert [marks.reached(conn, "collection--x", query(n)) for n in range(5)] == \
            [None, None, "2021-01-01T00:00:02.000000Z", "2021-01-01T00:00:03.000000Z",
             "2021-01-01T00:00:04.000000Z"]
    # A host that walked less far does not move a mark back.
    marks.keep("collection--x", query(4), "2020-06-01T00:00:00.000000Z",
               now + timedelta(seconds=5))
    # Another party's marks are its own, and a week unused forgets them.
    other = ObjectQuery(reader=Reader(world.own.id, 2), most_walked=WALK)
    marks.keep("collection--x", other, "2022-01-01T00:00:00.000000Z",
               now + walk_marks.KEEP + timedelta(seconds=6))
    with world.node.engine.connect() as conn:
        assert marks.reached(conn, "collection--x", query(4)) == "2021-01-01T00:00:04.000000Z"
        assert marks.reached(conn, "collection--x", other) == "2022-01-01T00:00:00.000000Z"
    marks.keep("collection--x", query(9), "2021-01-01T00:00:09.000000Z",
               now + walk_marks.KEEP + timedelta(seconds=7))
    with world.node.engine.connect() as conn:
        assert [marks.reached(conn, "collection--x", query(n)) for n in (2, 3, 4, 9)] == \
            [None, None, None, "2021-01-01T00:00:09.000000Z"]


def test_a_mark_that_cannot_be_written_leaves_the_page_as_it_is(client, world, stretch,
                                                                  monkeypatch):
    """Keeping a mark is a write on a read (SQLite's write lock may be held past its timeout
    by an import): where it fails, the reader still gets its page."""
    shared, _, _ = stretch

    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO walk_marks …", {}, Exception("database is locked"))

    monkeypatch.setattr(WalkMarks, "keep", locked)
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    after = client.get(url, params={"limit": 1}, headers=headers) \
        .headers["x-taxii-date-added-last"]
    answered = client.get(url, params={"added_after": after}, headers=headers)
    assert answered.status_code == 200
    assert answered.json()["more"] is True and "objects" not in answered.json()
