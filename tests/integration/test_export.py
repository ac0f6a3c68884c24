"""An export hands each version out once, from the first collection that hands it out, read a
page at a time: what an earlier collection did is asked of the database, not remembered."""

from __future__ import annotations

from typing import Any

import orjson

from accord.export import Export, Tally, exportable
from accord.store.query import LAST, ObjectQuery
from accord.trust.markings import MARKING_FOR, Tlp

PAGE = 2  # objects a page: every test spans several


def identity(n: int, **more: Any) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1",
            "id": f"identity--00000000-0000-4000-8000-{n:012d}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}", **more}


def handed_out(world, collections, recipient=None, **query: Any) -> tuple[list[Any], Tally]:
    tally = Tally()
    export = Export(world.node, exportable(world.node, collections, recipient),
                    ObjectQuery(limit=PAGE, **query), recipient)
    bodies = [orjson.loads(body) for body in export.bodies(tally)]
    assert tally.exported == len(bodies)
    return [(o["id"], o["modified"]) for o in bodies], tally


def test_a_version_in_several_collections_is_handed_out_once(world):
    node = world.node
    second = node.directory.create_collection("Second", read=[world.own], write=[world.own])
    first_only = [identity(n) for n in range(3)]
    both = [identity(n) for n in range(3, 8)]
    node.objects.add(world.evidence.id, first_only + both)
    node.objects.add(second.id, [*reversed(both), identity(8)])
    got, _ = handed_out(world, [world.evidence, second])
    assert got == [(o["id"], o["modified"]) for o in [*first_only, *both, identity(8)]]


def test_another_version_of_the_same_object_is_handed_out_too(world):
    node = world.node
    second = node.directory.create_collection("Second", read=[world.own], write=[world.own])
    newer = identity(1, modified="2024-02-01T00:00:00.000Z")
    node.objects.add(world.evidence.id, [identity(1), identity(2)])
    node.objects.add(second.id, [identity(1), newer, identity(2)])
    got, _ = handed_out(world, [world.evidence, second], versions=frozenset({LAST}))
    # The first collection's newest version of 1 is not the second's: both are handed out.
    assert got == [(identity(1)["id"], identity(1)["modified"]),
                   (identity(2)["id"], identity(2)["modified"]),
                   (newer["id"], newer["modified"])]


def test_what_an_earlier_collection_withheld_is_handed_out_from_a_later_one(world):
    """Unmarked, an object takes its collection's level: AMBER in the first (it may not travel
    without its creator's permission), GREEN in the second (it may)."""
    node, other = world.node, world.other
    amber = node.directory.create_collection("Amber", read=[world.own, other],
                                             write=[world.own])
    green = node.directory.create_collection("Green", read=[world.own, other],
                                             write=[world.own], default_tlp=Tlp.GREEN)
    unmarked = [identity(n) for n in range(4)]
    marked = [identity(n, object_marking_refs=[MARKING_FOR[Tlp.GREEN]]) for n in range(4, 7)]
    for collection in (amber, green):
        node.objects.add(collection.id, unmarked + marked, default_tlp=collection.default_tlp)
    # The evidence collection, which the other party may not read, is not drawn on at all.
    node.objects.add(world.evidence.id, [identity(9)])
    got, tally = handed_out(world, [world.evidence, amber, green], recipient=other)
    assert got == [(o["id"], o["modified"]) for o in marked + unmarked]
    assert tally.withheld == len(unmarked)  # in the AMBER collection


def test_added_after_in_an_earlier_collection_does_not_hide_a_later_addition(world):
    node = world.node
    second = node.directory.create_collection("Second", read=[world.own], write=[world.own])
    node.objects.add(world.evidence.id, [identity(1), identity(2)])
    [threshold] = [item.date_added for item in node.objects.page(
        world.evidence.id, ObjectQuery()).items[-1:]]
    node.objects.add(second.id, [identity(1), identity(3)])
    got, _ = handed_out(world, [world.evidence, second], added_after=threshold)
    assert got == [(identity(n)["id"], identity(n)["modified"]) for n in (1, 3)]


def test_a_node_holding_nothing_hands_out_nothing(world):
    got, tally = handed_out(world, world.node.directory.all_collections())
    assert got == [] and tally == Tally(0, 0)
