"""The web UI's reads of evidence (store.browse): what each party may read, and no more."""

from __future__ import annotations

from typing import Any

from accord.store.browse import Browse
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp


def evidence(n: int, *, level: Tlp | None = None, creator: str | None = None,
             to: str | None = None, modified: str = "2026-01-01T00:00:00.000Z"
             ) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "name": f"evidence {n}",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}
    if level is not None:
        obj |= {"object_marking_refs": [MARKING_FOR[level]], "created_by_ref": creator}
    if to is not None:
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {
            "extension_type": "property-extension", "recipients": [to]}}
    return obj


def test_the_newest_evidence_is_what_others_shared_newest_first_whatever_hides_between(
        world):
    directory, store = world.node.directory, world.node.objects
    us, cn = world.own, world.other
    first = directory.create_collection("First", read=[us, cn], write=[us, cn])
    second = directory.create_collection("Second", read=[us, cn], write=[us, cn])
    secret = directory.create_collection("Secret", read=[us], write=[us])
    store.add(first.id, [evidence(1)], poster_id=us.id)
    store.add(second.id, [evidence(2)], poster_id=us.id)
    store.add(first.id, [evidence(3)], poster_id=us.id)
    store.add(first.id, [evidence(3, modified="2026-02-01T00:00:00.000Z")], poster_id=us.id)
    # Newer than all of those, and none of them China's to see on its dashboard: walked past.
    store.add(secret.id, [evidence(4)], poster_id=us.id)
    store.add(first.id, [evidence(10 + n, level=Tlp.RED, creator=us.id) for n in range(30)],
              poster_id=us.id)
    store.add(second.id, [evidence(5)], poster_id=cn.id)  # China's own
    store.add(second.id, [evidence(6, level=Tlp.RED, creator=us.id, to=cn.id)],
              poster_id=us.id)
    browse = Browse(world.node.engine)
    recent = browse.recent(cn.id, limit=3)
    assert [(f.name, f.version) for f in recent] == [
        ("evidence 6", "2026-01-01T00:00:00.000Z"), ("evidence 3", "2026-02-01T00:00:00.000Z"),
        ("evidence 2", "2026-01-01T00:00:00.000Z")]
    assert [f.marking for f in recent] == ["TLP:RED", "TLP:AMBER", "TLP:AMBER"]
    assert [f.name for f in browse.recent(cn.id, limit=10)] == [
        "evidence 6", "evidence 3", "evidence 2", "evidence 1"]
    # The United States sees China's, not its own; a party that may read nothing, nothing.
    assert [f.name for f in browse.recent(us.id, limit=10)] == ["evidence 5"]
    assert browse.recent(directory.add_party("Russia").id) == []


def test_the_newest_evidence_is_sought_among_each_collections_newest_additions_only(
        world, monkeypatch):
    """Bounded work: a party that added a large feed itself is not walked through all of it
    to find what others shared; the dashboard looks at each collection's newest additions."""
    from accord.store import browse as module

    monkeypatch.setattr(module, "_RECENT_WINDOW", 5)
    directory, store = world.node.directory, world.node.objects
    us, cn = world.own, world.other
    shared = directory.create_collection("Shared", read=[us, cn], write=[us, cn])
    store.add(shared.id, [evidence(1)], poster_id=cn.id)
    store.add(shared.id, [evidence(10 + n) for n in range(4)], poster_id=us.id)
    browse = Browse(world.node.engine)
    assert [f.name for f in browse.recent(us.id)] == ["evidence 1"]  # the 5th newest
    store.add(shared.id, [evidence(20)], poster_id=us.id)
    assert browse.recent(us.id) == []  # now 6th: beyond the window
    # China's own additions are in the window, and the United States' are others' to it.
    assert [f.name for f in browse.recent(cn.id, limit=2)] == ["evidence 20", "evidence 13"]


def test_a_list_reads_no_body_larger_than_its_share_and_the_object_s_page_reads_it_whole(
        world, monkeypatch):
    from accord.store import browse as browse_module

    monkeypatch.setattr(browse_module, "LIST_BODY_BYTES", 4096)
    store, us = world.node.objects, world.own
    large = {**evidence(1), "description": "x" * 10_000}
    rel = {"type": "relationship", "spec_version": "2.1",
           "id": "relationship--00000000-0000-4000-8000-000000000009",
           "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
           "relationship_type": "indicates", "source_ref": large["id"],
           "target_ref": evidence(2)["id"], "description": "y" * 10_000}
    store.add(world.evidence.id, [large, evidence(2), rel], poster_id=us.id)
    browse = Browse(world.node.engine)

    [listed] = browse.by_ids(us.id, [large["id"]]).values()
    assert not listed.whole and listed.body == {"id": large["id"], "type": "indicator"}
    assert listed.name == "" and listed.marking == "TLP:AMBER"  # listed by its id
    whole = browse.whole(listed)
    assert whole.whole and whole.name == "evidence 1" and whole.body == large
    # A relationship too large to list keeps its ends, from the index.
    [drawn] = browse.relationships(us.id, large["id"])
    assert not drawn.whole
    assert (drawn.body["source_ref"], drawn.body["target_ref"]) == (large["id"],
                                                                    evidence(2)["id"])
    # Found by the name in the index, listed by its id.
    assert {f.id: (f.whole, f.name) for f in browse.search(us.id, "evidence")} == {
        large["id"]: (False, ""), evidence(2)["id"]: (True, "evidence 2")}
    # Typed with an East Asian input method's full-width letters, the same.
    assert [f.id for f in browse.search(us.id, "ｅｖｉｄｅｎｃｅ")] == \
        [f.id for f in browse.search(us.id, "evidence")]


def test_a_look_up_by_ids_names_the_first_it_is_given_and_no_more(world):
    # An object may refer to a million others: a page names what it shows, not all of them.
    world.node.objects.add(world.evidence.id, [evidence(n) for n in range(1, 8)],
                           poster_id=world.own.id)
    browse = Browse(world.node.engine)
    ids = [evidence(n)["id"] for n in (7, 3, 7, 5, 1, 2)]
    assert set(browse.by_ids(world.own.id, ids, most=3)) == {evidence(n)["id"] for n in (7, 3, 5)}
    assert len(browse.by_ids(world.own.id, ids)) == 5
