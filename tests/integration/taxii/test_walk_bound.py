"""A reader that may read few of a collection's many rows: each page walks a bounded number of
rows, ending early where it stopped, and the reader still gets every object it may read, once,
in order, by following `next`. The token for such a position tells nothing of the rows hidden
from the reader, and is good only for the read it came from."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from sqlalchemy import event
from tests.integration.correlation.test_lookup_work import work_of

from accord.store.query import ALL, FIRST, ObjectQuery, Reader
from accord.store.walks import Walks
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

WALK = 300  # rows a page walks, made small
TAXII = "application/taxii+json;version=2.1"


def indicator(n: int, creator: str, to: str | None = None) -> dict:
    """Indicator n; addressed `to` a party (AMBER+STRICT), or TLP:GREEN for every reader."""
    obj = {"type": "indicator", "spec_version": "2.1", "created_by_ref": creator,
           "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "pattern": f"[ipv4-addr:value = '10.0.{n // 256 % 256}.{n % 256}']",
           "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}
    if to is None:
        obj["object_marking_refs"] = [MARKING_FOR[Tlp.GREEN]]
    else:
        obj["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                        "recipients": [to]}}
    return obj


@pytest.fixture
def crowded(world):
    """A collection both parties read: 1,000 rows addressed to a third party, and among them
    a few the other party may read (five GREEN, three addressed to it)."""
    directory = world.node.directory
    third = directory.add_party("Third")
    shared = directory.create_collection("Shared", read=[world.own, world.other, third],
                                         write=[world.own])
    us = world.own.id
    # 299 and 598 are where the first two walks stop (their 300th rows): a row there is
    # left out of the page it ends, and is the first of the next.
    mine = {50: None, 299: None, 420: world.other.id, 421: None, 598: world.other.id,
            700: None, 999: world.other.id, 1003: world.other.id, 1004: None, 1005: None}
    world.node.objects.add(shared.id, [indicator(n, us, mine.get(n, third.id))
                                       for n in range(1006)], poster_id=us)
    world.node.info = replace(world.node.info, most_walked=WALK)
    return shared, [indicator(n, us)["id"] for n in sorted(mine)]


def pages(client, url, token, **params):
    """Every page of a TAXII read, following `next`: (objects' ids, the envelope) each."""
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    found = []
    asked = dict(params)
    while True:
        answered = client.get(url, params=asked, headers=headers)
        assert answered.status_code == 200, answered.text
        envelope = answered.json()
        found.append(([o["id"] for o in envelope.get("objects", [])], envelope, answered))
        if not envelope.get("more"):
            return found
        asked = {**params, "next": envelope["next"]}


def test_a_sparse_reader_gets_everything_it_may_read_by_bounded_pages(client, world, crowded):
    shared, readable = crowded
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    read = pages(client, url, world.other_token, limit=100)
    assert [oid for ids, _, _ in read for oid in ids] == readable  # each once, in order
    assert len(read) >= 1006 // WALK  # pages ended where their walk did
    for ids, envelope, answered in read[:-1]:
        assert envelope["more"] is True and envelope["next"]
        if not ids:  # nothing it may read: no dates, no objects
            assert "objects" not in envelope and "x-taxii-date-added-last" not in answered.headers
    # The manifest pages the same way.
    listed = pages(client, f"/taxii2/accord/collections/{shared.id}/manifest/",
                   world.other_token, limit=100)
    assert [oid for ids, _, _ in listed for oid in ids] == readable
    # A reader that may read them all: full pages, not one cut short by the walk.
    whole = pages(client, url, world.admin_token, limit=250)
    assert [len(ids) for ids, _, _ in whole] == [250, 250, 250, 250, 6]


def test_a_position_the_reader_has_not_seen_is_sealed(client, world, crowded):
    shared, _ = crowded
    url = f"/taxii2/accord/collections/{shared.id}/objects/"
    first = pages(client, url, world.other_token, limit=100)[0][1]
    token = first["next"]
    # The walk stopped at the 300th row, hidden from the reader: its date_added is in the
    # token neither as it is nor in base64, as a position the reader has seen would be.
    hidden = world.node.objects.page(shared.id, ObjectQuery(limit=WALK, bodies=False))
    stopped = hidden.items[-1].date_added
    assert token.startswith("~")
    sealed = base64.urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4))
    assert stopped.encode() not in sealed and stopped[:19].encode() not in sealed
    assert base64.urlsafe_b64encode(stopped.encode()).decode()[:20] not in token
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    # Good only for this read: not in another collection the reader reads, nor for another
    # reader of this one, nor changed.
    elsewhere = world.node.directory.create_collection("Elsewhere", read=[world.other],
                                                       write=[])
    refused = client.get(f"/taxii2/accord/collections/{elsewhere.id}/objects/",
                         params={"next": token}, headers=headers)
    assert refused.status_code == 400 and "not a paging token" in refused.json()["description"]
    refused = client.get(url, params={"next": token},
                         headers={**headers, "Authorization": f"Bearer {world.admin_token}"})
    assert refused.status_code == 400 and "this party" in refused.json()["description"]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    refused = client.get(url, params={"next": tampered}, headers=headers)
    assert refused.status_code == 400 and "not a paging token" in refused.json()["description"]
    assert client.get(url, params={"next": token}, headers=headers).status_code == 200
    # The node's own party reads everything here: its pages end at their limit, and their
    # tokens are the last object's date_added, as before.
    own = client.get(url, params={"limit": 10}).json()["next"]
    assert not own.startswith("~")


def test_a_sparse_readers_page_walks_no_more_than_its_bound(world, crowded):
    shared, _ = crowded
    store = world.node.objects
    reader = Reader(world.other.id, int(shared.default_tlp))
    query = ObjectQuery(limit=100, reader=reader, most_walked=WALK)

    def first_page() -> tuple[int, bool]:
        page = store.page(shared.id, query)
        return len(page.items), page.more

    first_page()  # (the count of the collection's hidden rows, kept a while: store.walks)
    before, work_before = work_of(world.node.engine, first_page)
    store.add(shared.id, [indicator(5000 + n, world.own.id, world.own.id)
                          for n in range(2000)], poster_id=world.own.id)
    after, work_after = work_of(world.node.engine, first_page)
    assert before == after == (1, True)
    # The same rows walked: not one more per row added beyond the bound.
    assert abs(work_after - work_before) < 200, (work_before, work_after)
    unbounded = replace(query, most_walked=None)
    assert len(store.page(shared.id, unbounded).items) == 10  # (without it: all, in one page)


def test_a_collection_with_few_rows_hidden_from_anyone_is_read_without_the_bound(
        client, world, crowded):
    """No walk can run long where a collection holds fewer rows some readers may not read
    than the bound leaves room for: its pages are read by the plain statement (the fastest),
    and a short page asks nothing more. The Requests collection, whose unmarked objects are
    RED, is always walked within the bound."""
    shared, _ = crowded
    ran: list[str] = []

    def seen(_conn, _cursor, statement, *_):
        ran.append(statement)

    few = world.node.directory.create_collection("Few", read=[world.own, world.other],
                                                 write=[world.own])
    world.node.objects.add(few.id, [indicator(2000 + n, world.own.id, world.own.id)
                                    for n in range(WALK // 2)]
                           + [indicator(3000 + n, world.own.id) for n in range(5)],
                           poster_id=world.own.id)
    headers = {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}
    event.listen(world.node.engine, "before_cursor_execute", seen)
    try:
        for collection, walked in ((few, False), (shared, True)):
            ran.clear()
            answered = client.get(f"/taxii2/accord/collections/{collection.id}/objects/",
                                  params={"limit": 100}, headers=headers)
            assert answered.status_code == 200
            assert any("walked" in s for s in ran) is walked, collection.title
        assert len(answered.json().get("objects", [])) <= 1
    finally:
        event.remove(world.node.engine, "before_cursor_execute", seen)
    # Where unmarked objects are RED (the Requests collection), every walk keeps its bound,
    # however few rows are marked.
    red = world.node.directory.create_collection("Red", read=[world.other], write=[],
                                                 default_tlp=Tlp.RED)
    walks = Walks()
    with world.node.engine.connect() as conn:
        for collection, kept in ((red, WALK), (few, None)):
            query = ObjectQuery(limit=100, most_walked=WALK,
                                reader=Reader(world.other.id, int(collection.default_tlp)))
            assert walks.bounded(conn, collection.id, query, None).most_walked == kept


def test_the_count_of_hidden_rows_reads_only_those(world):
    """The count that decides whether a page's walk needs its bound reads the partial index
    of rows not every reader may read: rows every reader may read add no work to it."""
    shared = world.node.directory.create_collection("Open", read=[world.own], write=[world.own])
    store = world.node.objects
    store.add(shared.id, [indicator(n, world.own.id) for n in range(50)]
              + [indicator(100 + n, world.own.id, world.other.id) for n in range(5)],
              poster_id=world.own.id)

    def count() -> int:
        with world.node.engine.connect() as conn:
            return Walks()._closed(conn, shared.id, WALK)

    before, work_before = work_of(world.node.engine, count)
    store.add(shared.id, [indicator(1000 + n, world.own.id) for n in range(2000)],
              poster_id=world.own.id)
    after, work_after = work_of(world.node.engine, count)
    assert before == after == 5
    assert abs(work_after - work_before) < 100, (work_before, work_after)


@pytest.mark.parametrize("versions", [ALL, FIRST])
def test_every_version_and_the_first_are_paged_within_the_bound_too(world, crowded, versions):
    """Asked for every version or the first: an older version may be hidden whatever its
    own marking (its object's newest is tightened), and which is first depends on the
    reader, so such reads keep the bound, and the walk passes every version."""
    shared, _ = crowded
    store, us = world.node.objects, world.own.id
    # Objects the reader could see, then tightened to another party: hidden, every version.
    loosened = [dict(indicator(4000 + n, us), modified="2020-01-01T00:00:00.000Z")
                for n in range(400)]
    tightened = [dict(indicator(4000 + n, us, world.own.id), modified="2021-01-01T00:00:00.000Z")
                 for n in range(400)]
    store.add(shared.id, loosened + tightened, poster_id=us)
    reader = Reader(world.other.id, int(shared.default_tlp))

    def read(most_walked: int | None) -> tuple[list[tuple[str, str]], int]:
        query = ObjectQuery(limit=50, reader=reader, versions=frozenset({versions}),
                            most_walked=most_walked)
        found, pages = [], 0
        while True:
            page = store.page(shared.id, query)
            found += [(v.id, v.version) for v in page.items]
            pages += 1
            if not page.more:
                return found, pages
            query = replace(query, after=page.next_cursor)

    bounded, pages = read(WALK)
    unbounded, _ = read(None)
    assert bounded == unbounded and len(unbounded) == 10
    assert pages >= (1006 + 800) // WALK  # the walk kept its bound: pages cut short
