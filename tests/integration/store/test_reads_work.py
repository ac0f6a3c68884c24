"""A TAXII page's work does not grow with what its reader receives by name: the entitlement
rule looks up the reader's receipt for the rows the page walks, instead of gathering every
receipt of the reader first. Measured as in test_lookup_work (instructions on SQLite, rows
scanned on PostgreSQL). Not timed."""

from __future__ import annotations

from tests.integration.correlation.test_lookup_work import indicator, work_of

from accord.store.query import ObjectQuery, Reader
from accord.trust.markings import Tlp

RECEIVED = 2000


def test_what_a_reader_receives_adds_no_work_to_its_first_page(world):
    directory, store = world.node.directory, world.node.objects
    us, china = world.own, world.other
    shared = directory.create_collection("Shared", read=[us, china], write=[us])
    first = [indicator(n, f"10.1.0.{n + 1}") for n in range(4)]
    first.append(indicator(4, "10.1.0.200", Tlp.RED, us.id, to=china.id))
    store.add(shared.id, first, poster_id=us.id)
    reader = Reader(china.id, int(shared.default_tlp))

    def page() -> list[str]:
        return [v.id for v in store.page(shared.id, ObjectQuery(limit=5, reader=reader)).items]

    before, work_before = work_of(world.node.engine, page)
    assert before == [o["id"] for o in first]
    store.add(shared.id, [indicator(1000 + n, f"10.2.{n // 250}.{n % 250 + 1}", Tlp.RED, us.id,
                                    to=china.id) for n in range(RECEIVED)], poster_id=us.id)
    assert len(store.page(shared.id, ObjectQuery(limit=5000, reader=reader)).items) == (
        RECEIVED + len(first))

    after, work_after = work_of(world.node.engine, page)
    assert after == before
    assert work_after - work_before < RECEIVED // 10, (work_before, work_after)


def test_objects_asked_for_by_id_and_type_are_found_by_id_not_among_every_one_of_the_type(
        world):
    # The attribution record reads a claim's positions as opinions by id; TAXII's
    # match[id] with match[type] too. SQLite's planner walked every object of the type.
    directory, store = world.node.directory, world.node.objects
    us = world.own
    shared = directory.create_collection("Shared", read=[us], write=[us])
    store.add(shared.id, [indicator(n, f"10.1.0.{n + 1}") for n in range(5)], poster_id=us.id)
    reader = Reader(us.id, int(shared.default_tlp))
    wanted = ObjectQuery(ids=(indicator(2, "")["id"],), types=("indicator",), limit=10,
                         reader=reader)

    def page() -> list[str]:
        return [v.id for v in store.page(shared.id, wanted).items]

    found, work_before = work_of(world.node.engine, page)
    assert found == [indicator(2, "")["id"]]
    store.add(shared.id, [indicator(100 + n, f"10.2.{n // 250}.{n % 250 + 1}")
                          for n in range(RECEIVED)], poster_id=us.id)
    again, work_after = work_of(world.node.engine, page)
    assert again == found
    assert work_after - work_before < RECEIVED // 10, (work_before, work_after)
