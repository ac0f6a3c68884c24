"""First pages asked for again on PostgreSQL: their bodies come from the serving process, not
from the database, and never differ from what the database holds for the reader now."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import text

from accord.store import held_bodies
from accord.store.body_cache import Held
from accord.store.engine import writing
from accord.store.query import Cursor, ObjectQuery, Reader
from accord.store.reads import BODIES

pytestmark = pytest.mark.postgres

RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def _pattern(n: int, **extra: object) -> dict[str, object]:
    return {"type": "attack-pattern", "spec_version": "2.1",
            "id": f"attack-pattern--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": f"Technique {n}", "description": "Adversaries may do this. " * 50,
            **extra}


@pytest.fixture
def pg_world(pg_url, request):
    from accord.node import initialise, open_node

    node = open_node(pg_url)
    request.addfinalizer(node.engine.dispose)
    own, _token = initialise(node, "United States (US-CERT)")
    other = node.directory.add_party("China (CNCERT/CC)")
    return node, own, other, node.directory.collection("evidence")


@pytest.fixture
def sent(monkeypatch):
    """The bodies PostgreSQL sent for each first page: one list per statement run."""
    statements: list[list[bytes | None]] = []
    run = held_bodies.direct.rows

    def counted(conn, statement, values, **options):
        rows = run(conn, statement, values, **options)
        if "held" in values:  # a first page's statement (the others run here too)
            statements.append([row[5] for row in rows])
        return rows

    monkeypatch.setattr(held_bodies.direct, "rows", counted)
    return statements


def _bodies(node, collection_id: str, query: ObjectQuery) -> list[bytes]:
    return [v.body for v in node.objects.page(collection_id, query).items]


def test_a_first_page_asked_a_third_time_is_sent_without_its_bodies(pg_world, sent):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(n) for n in range(5)], poster_id=own.id)
    query = ObjectQuery(types=("attack-pattern",), reader=Reader(own.id, 2))

    pages = [_bodies(node, evidence.id, query) for _ in range(3)]

    assert pages[0] == pages[1] == pages[2] and len(pages[0]) == 5
    assert [orjson.loads(b)["name"] for b in pages[2]] == [f"Technique {n}" for n in range(5)]
    # Sent with the bodies the first two times (the second keeps them), not the third.
    assert [sum(b is not None for b in bodies) for bodies in sent] == [5, 5, 0]


def test_the_pages_after_the_first_and_one_object_are_always_read_whole(pg_world, sent):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(n) for n in range(3)], poster_id=own.id)
    first = node.objects.page(evidence.id, ObjectQuery(limit=1))
    after = ObjectQuery(limit=1, after=Cursor(first.items[0].date_added))
    sent.clear()
    for _ in range(3):
        assert len(node.objects.page(evidence.id, after).items) == 1
        assert len(node.objects.page(evidence.id, ObjectQuery(), _pattern(1)["id"]).items) == 1
    assert sent == []  # none of them took the way of the first pages


def test_a_body_written_anew_after_it_was_kept_is_read_anew(pg_world, sent):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(1)], poster_id=own.id)
    query = ObjectQuery()
    kept = [_bodies(node, evidence.id, query) for _ in range(2)][-1][0]
    # As keyring.rewrite_in does when a node signs its objects with a new key.
    signed = kept[:-1] + b', "x_signed": true}'
    with writing(node.engine) as conn:
        conn.execute(text("UPDATE objects SET body = :body WHERE id = :id"),
                     {"body": signed, "id": _pattern(1)["id"]})

    assert _bodies(node, evidence.id, query) == [signed]
    assert _bodies(node, evidence.id, query) == [signed]  # and kept so
    assert [sum(b is not None for b in bodies) for bodies in sent] == [1, 1, 0, 0]


def test_a_version_removed_after_its_body_was_kept_is_not_served(pg_world):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(1), _pattern(2)], poster_id=own.id)
    for _ in range(3):
        _bodies(node, evidence.id, ObjectQuery())
    with writing(node.engine) as conn:
        conn.execute(text("DELETE FROM objects WHERE id = :id"), {"id": _pattern(1)["id"]})
    [left] = _bodies(node, evidence.id, ObjectQuery())
    assert orjson.loads(left)["id"] == _pattern(2)["id"]


def test_a_row_removed_between_the_page_and_its_bodies_leaves_the_page_whole(pg_world,
                                                                              monkeypatch):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(n) for n in range(1, 4)], poster_id=own.id)
    first = ObjectQuery(limit=1)
    for _ in range(2):
        node.objects.page(evidence.id, first)
    with writing(node.engine) as conn:  # the bodies held now differ from the rows'
        conn.execute(text("UPDATE objects SET body = body || ' '::bytea"))
    run = held_bodies.direct.rows

    def removed_meanwhile(conn, statement, values, **options):
        if statement is BODIES:
            with writing(node.engine) as other:
                other.execute(text("DELETE FROM objects WHERE id = :id"),
                              {"id": _pattern(1)["id"]})
        return run(conn, statement, values, **options)

    monkeypatch.setattr(held_bodies.direct, "rows", removed_meanwhile)
    page = node.objects.page(evidence.id, first)
    # Read again whole: the next version in its place, and more after it (leaving the
    # removed row out would have said there was no more).
    assert [v.id for v in page.items] == [_pattern(2)["id"]] and page.more
    assert page.items[0].body.endswith(b" ")


def test_a_held_body_of_a_lost_row_is_not_served_for_a_new_row_with_its_seq_and_xmin(pg_world):
    node, own, _, evidence = pg_world
    node.objects.add(evidence.id, [_pattern(1)], poster_id=own.id)
    for _ in range(2):
        [body] = _bodies(node, evidence.id, ObjectQuery())
    with writing(node.engine) as conn:
        seq, xmin = conn.execute(text("SELECT seq, xmin::text FROM objects")).one()
    # As after a recovery to an earlier point: a row now in the database has the seq and the
    # xmin of one this process read before the recovery, and lost with it.
    node.objects.bodies._bodies[seq] = Held(f"{xmin} 2019-12-31T23:59:59.999999Z", b"{lost}")
    assert _bodies(node, evidence.id, ObjectQuery()) == [body]
