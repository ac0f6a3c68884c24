"""What one GET may cost: a page holds objects of at most max_page_bytes together (its first
whatever its size), so a poll of large objects comes in several pages, none lost, none twice."""

from __future__ import annotations

from dataclasses import replace

import orjson

from accord.store.query import ObjectQuery

ROOT = "/taxii2/accord/"
KIB = 1024


def report(n: int, size: int) -> dict[str, object]:
    """A report whose body is about `size` bytes (its description fills it)."""
    return {"type": "report", "spec_version": "2.1",
            "id": f"report--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": f"Report {n}", "published": "2020-01-01T00:00:00Z",
            "object_refs": ["identity--00000000-0000-4000-8000-000000000001"],
            "description": "x" * size}


def walk(client, path: str, **params: str) -> list[dict[str, object]]:
    """Every page of `path`, by the next tokens the node gives."""
    pages, query = [], dict(params)
    while True:
        r = client.get(path, params=query)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        if not r.json()["more"]:
            return pages
        query = {**params, "next": r.json()["next"]}


def _store(world, sizes: list[int]) -> None:
    world.node.objects.add(world.evidence.id, [report(n, s) for n, s in enumerate(sizes)],
                           poster_id=world.own.id)


def test_large_objects_come_a_budget_at_a_time_and_every_one_once(client, world):
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    _store(world, [40 * KIB] * 7)

    pages = walk(client, f"{ROOT}collections/{world.evidence.id}/objects/")

    assert [len(p["objects"]) for p in pages] == [2, 2, 2, 1]
    assert all(len(orjson.dumps(p)) < 100 * KIB + 4 * KIB for p in pages)
    assert [o["id"] for p in pages for o in p["objects"]] == [report(n, 0)["id"]
                                                              for n in range(7)]
    assert all(o["description"] == "x" * 40 * KIB for p in pages for o in p["objects"])


def test_an_object_larger_than_the_budget_comes_alone_and_the_walk_goes_on(client, world):
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    _store(world, [1 * KIB, 300 * KIB, 2 * KIB, 3 * KIB])

    pages = walk(client, f"{ROOT}collections/{world.evidence.id}/objects/")

    assert [[o["name"] for o in p["objects"]] for p in pages] == [
        ["Report 0"], ["Report 1"], ["Report 2", "Report 3"]]
    assert pages[1]["objects"][0]["description"] == "x" * 300 * KIB
    assert [p["more"] for p in pages] == [True, True, False]


def test_small_objects_fill_a_page_to_its_limit(client, world):
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    _store(world, [100] * 30)
    pages = walk(client, f"{ROOT}collections/{world.evidence.id}/objects/", limit="25")
    assert [len(p["objects"]) for p in pages] == [25, 5]


def test_the_page_of_one_object_s_versions_is_held_to_the_budget(client, world):
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    versions = [{**report(1, 60 * KIB), "modified": f"2020-01-0{d}T00:00:00.000Z"}
                for d in range(1, 5)]
    world.node.objects.add(world.evidence.id, versions, poster_id=world.own.id)
    oid = versions[0]["id"]

    pages = walk(client, f"{ROOT}collections/{world.evidence.id}/objects/{oid}/",
                 **{"match[version]": "all"})

    assert [len(p["objects"]) for p in pages] == [1, 1, 1, 1]
    assert [p["objects"][0]["modified"] for p in pages] == [v["modified"] for v in versions]
    # The list of versions and the manifest read no bodies: one page each.
    listed = client.get(f"{ROOT}collections/{world.evidence.id}/objects/{oid}/versions/")
    assert listed.json() == {"more": False, "versions": [v["modified"] for v in versions]}


def test_the_manifest_lists_a_full_page_of_large_objects(client, world):
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    _store(world, [60 * KIB] * 5)
    r = client.get(f"{ROOT}collections/{world.evidence.id}/manifest/")
    assert r.json()["more"] is False
    assert [m["id"] for m in r.json()["objects"]] == [report(n, 0)["id"] for n in range(5)]
    assert {m["media_type"] for m in r.json()["objects"]} == {
        "application/stix+json;version=2.1"}


def test_a_first_page_asked_again_keeps_to_the_budget(client, world):
    # On PostgreSQL a first page asked twice is served from bodies the process holds
    # (store.held_bodies): the budget holds there too, and the bodies are the stored ones.
    world.node.info = replace(world.node.info, max_page_bytes=100 * KIB)
    _store(world, [40 * KIB, 40 * KIB, 200, 40 * KIB])
    path = f"{ROOT}collections/{world.evidence.id}/objects/"
    answers = [client.get(path).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert [o["name"] for o in answers[0]["objects"]] == ["Report 0", "Report 1", "Report 2"]
    assert answers[0]["more"] is True


def test_the_store_reads_a_large_body_after_the_page_and_only_within_the_budget(world):
    # Bodies past a page's share (most_bytes / limit) do not come with the page's statement:
    # they are read afterwards, only those the page holds.
    _store(world, [500, 30 * KIB, 500, 30 * KIB, 30 * KIB])
    query = ObjectQuery(limit=10, most_bytes=64 * KIB, reader=None)

    page = world.node.objects.page(world.evidence.id, query)

    assert [orjson.loads(v.body)["name"] for v in page.items] == [
        "Report 0", "Report 1", "Report 2", "Report 3"]
    assert [len(orjson.loads(v.body)["description"]) for v in page.items] == [
        500, 30 * KIB, 500, 30 * KIB]
    assert page.more and page.next_cursor is not None
    rest = world.node.objects.page(world.evidence.id, replace(query, after=page.next_cursor))
    assert [orjson.loads(v.body)["name"] for v in rest.items] == ["Report 4"]
    assert not rest.more


def test_a_large_body_deleted_between_the_page_and_its_read_is_not_served_nor_the_rest_lost(
        world, monkeypatch):
    # Each statement sees what was committed before it: a large body is read by a second
    # statement, after another transaction may have deleted its row. The walk serves every
    # object still there, once, and not the deleted one.
    from sqlalchemy import text

    from accord.store import held_bodies, reads
    from accord.store.engine import writing

    _store(world, [500, 30 * KIB, 30 * KIB, 500])
    query = ObjectQuery(limit=10, most_bytes=256 * KIB)
    passed = reads.within

    def deleting(rows, most_bytes):  # type: ignore[no-untyped-def]
        with writing(world.node.engine) as other:
            other.execute(text("DELETE FROM objects WHERE id = :id"), {"id": report(2, 0)["id"]})
        return passed(rows, most_bytes)

    monkeypatch.setattr(reads, "within", deleting)
    monkeypatch.setattr(held_bodies, "within", deleting)
    names, page = [], world.node.objects.page(world.evidence.id, query)
    while True:
        names += [orjson.loads(v.body)["name"] for v in page.items]
        if not page.more:
            break
        page = world.node.objects.page(world.evidence.id, replace(query, after=page.next_cursor))
    assert names == ["Report 0", "Report 1", "Report 3"]
