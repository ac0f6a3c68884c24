"""What a TAXII read costs PostgreSQL beyond running it: planning it again at every call,
decompressing bodies slowly, hex-encoding them. Counted by PostgreSQL itself, not timed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from accord.store.engine import one_connection, reading
from accord.store.query import ObjectQuery, Reader

pytestmark = pytest.mark.postgres


def _large(n: int) -> dict[str, object]:
    # Over PostgreSQL's 2 KiB threshold: the body is stored compressed.
    return {"type": "attack-pattern", "spec_version": "2.1",
            "id": f"attack-pattern--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": f"Technique {n}", "description": "Adversaries may do this. " * 200}


@pytest.fixture
def pg_world(pg_url, request):
    from accord.node import initialise, open_node

    node = open_node(pg_url)
    request.addfinalizer(node.engine.dispose)
    own, _token = initialise(node, "United States (US-CERT)")
    return node, own, node.directory.collection("evidence")


def test_a_page_is_planned_once_not_at_every_call(pg_world):
    node, own, evidence = pg_world
    node.objects.add(evidence.id, [_large(n) for n in range(3)], poster_id=own.id)
    query = ObjectQuery(limit=2, reader=Reader(own.id, int(evidence.default_tlp)))
    with one_connection(), reading(node.engine) as conn:
        for _ in range(20):  # psycopg prepares a statement at its sixth call
            page = node.objects.page(evidence.id, query)
        plans = conn.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT objects.seq%'")).all()
    assert [v.body[:1] for v in page.items] == [b"{", b"{"] and page.more
    # PostgreSQL makes a custom plan for a prepared statement's first five calls, then keeps
    # one generic plan if it costs no more; with `LIMIT $n` it never did.
    [(generic, custom)] = plans
    assert custom <= 5 and generic >= 5, plans


def test_bodies_are_compressed_with_lz4_where_the_server_has_it(pg_world):
    node, own, evidence = pg_world
    with reading(node.engine) as conn:
        has_lz4 = conn.execute(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'")).scalar()
    if not has_lz4:
        pytest.skip("this PostgreSQL was built without lz4")
    node.objects.add(evidence.id, [_large(1)], poster_id=own.id)
    with reading(node.engine) as conn:
        assert conn.execute(text("SELECT pg_column_compression(body) FROM objects")
                            ).scalar_one() == "lz4"
