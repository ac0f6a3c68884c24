"""The object store on SQLite and PostgreSQL: versions, latest, duplicates, paging, deletion."""

from __future__ import annotations

from dataclasses import replace

import orjson

from accord.stix.timestamps import sort_key
from accord.store.query import ALL, FIRST, LAST, ObjectQuery


def indicator(n: int, modified: str = "2020-01-01T00:00:00.000Z", **extra):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2020-01-01T00:00:00.000Z", "modified": modified,
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z", **extra,
    }


def test_every_version_is_kept_and_the_newest_is_latest(world):
    store, cid = world.node.objects, world.evidence.id
    v1, v2, v3 = (indicator(1, f"2020-0{m}-01T00:00:00.000Z") for m in (1, 3, 2))
    outcomes = store.add(cid, [v1, v2]) + store.add(cid, [v3])
    assert all(o.added for o in outcomes)
    latest = store.page(cid, ObjectQuery())
    assert [orjson.loads(v.body)["modified"] for v in latest.items] == ["2020-03-01T00:00:00.000Z"]
    every = store.page(cid, ObjectQuery(versions=frozenset({ALL})))
    assert len(every.items) == 3
    first = store.page(cid, ObjectQuery(versions=frozenset({FIRST})))
    assert [v.version for v in first.items] == ["2020-01-01T00:00:00.000Z"]
    exact = store.page(cid, ObjectQuery(versions=frozenset({sort_key("2020-02-01T00:00:00Z")})))
    assert [v.version for v in exact.items] == ["2020-02-01T00:00:00.000Z"]


def test_reposting_an_identical_version_is_a_no_op(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(1)])
    again = store.add(cid, [indicator(1)])
    assert [(o.stored, o.added) for o in again] == [(True, False)]
    assert store.count(cid) == 1


def test_same_version_with_other_content_is_refused_not_overwritten(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(1)])
    clash = store.add(cid, [indicator(1, name="changed without a new modified")])
    assert not clash[0].stored and "already stored" in clash[0].message
    body = orjson.loads(store.page(cid, ObjectQuery()).items[0].body)
    assert "name" not in body


def test_objects_without_timestamps_are_versioned_by_content(world):
    store, cid = world.node.objects, world.evidence.id
    ip = {"type": "ipv4-addr", "spec_version": "2.1",
          "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
    assert store.add(cid, [ip])[0].added
    assert not store.add(cid, [ip])[0].added
    assert store.count(cid) == 1


def test_custom_properties_round_trip_exactly(world):
    store, cid = world.node.objects, world.evidence.id
    obj = indicator(1, x_mitre_version="3.1", x_acme={"nested": [1, 2.5, "é", True]})
    store.add(cid, [obj])
    assert orjson.loads(store.page(cid, ObjectQuery()).items[0].body) == obj


def test_paging_is_stateless_and_complete(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(n) for n in range(25)])
    store.add(cid, [indicator(n) for n in range(25, 30)])
    query = ObjectQuery(limit=7)
    seen, page = [], store.page(cid, query)
    while True:
        seen += [v.id for v in page.items]
        if not page.more:
            break
        page = store.page(cid, replace(query, after=page.next_cursor))
    assert len(seen) == 30 == len(set(seen))


def test_added_after_is_exclusive(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(1)])
    first_added = store.page(cid, ObjectQuery()).items[0].date_added
    store.add(cid, [indicator(2)])
    later = store.page(cid, ObjectQuery(added_after=first_added))
    assert [v.id for v in later.items] == [indicator(2)["id"]]


def test_date_added_never_goes_backwards_within_a_collection(world):
    store, cid = world.node.objects, world.evidence.id
    for n in range(5):
        store.add(cid, [indicator(n)])
    added = [v.date_added for v in store.page(cid, ObjectQuery()).items]
    assert added == sorted(added)


def test_filters_by_type_and_id(world):
    store, cid = world.node.objects, world.evidence.id
    malware = {"type": "malware", "spec_version": "2.1", "is_family": True, "name": "Sakula",
               "id": "malware--96b08451-b27a-4ff6-893f-790e26393a8e",
               "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z"}
    store.add(cid, [indicator(1), indicator(2), malware])
    assert [v.id for v in store.page(cid, ObjectQuery(types=("malware",))).items] == [malware["id"]]
    by_id = store.page(cid, ObjectQuery(ids=(indicator(2)["id"],)))
    assert [v.id for v in by_id.items] == [indicator(2)["id"]]
    assert store.page(cid, ObjectQuery(spec_versions=("2.0",))).items == []


def test_deleting_the_latest_version_promotes_the_previous_one(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(1, "2020-01-01T00:00:00.000Z"),
                    indicator(1, "2021-01-01T00:00:00.000Z")])
    gone = store.delete(cid, indicator(1)["id"],
                        ObjectQuery(versions=frozenset({sort_key("2021-01-01T00:00:00.000Z")})))
    assert gone == 1
    assert [v.version for v in store.page(cid, ObjectQuery()).items] == ["2020-01-01T00:00:00.000Z"]
    assert store.delete(cid, indicator(1)["id"], ObjectQuery(versions=frozenset({ALL}))) == 1
    assert not store.exists(cid, indicator(1)["id"])


def test_collections_are_separate(world):
    store = world.node.objects
    other = world.node.directory.create_collection("Other", read=[world.own], write=[world.own])
    store.add(world.evidence.id, [indicator(1)])
    assert store.page(other.id, ObjectQuery(versions=frozenset({LAST}))).items == []
    assert store.add(other.id, [indicator(1)])[0].added


def test_each_object_of_one_post_gets_its_own_later_date_added(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(n) for n in range(50)])
    added = [v.date_added for v in store.page(cid, ObjectQuery()).items]
    assert len(set(added)) == 50 and added == sorted(added)


def test_many_versions_of_one_object_in_one_post_leave_one_latest(world):
    store, cid = world.node.objects, world.evidence.id
    months = [f"2020-{m:02d}-01T00:00:00.000Z" for m in (3, 1, 12, 7, 2)]
    store.add(cid, [indicator(1, m) for m in months])
    assert [v.version for v in store.page(cid, ObjectQuery()).items] == [
        "2020-12-01T00:00:00.000Z"]


def test_the_rows_kept_beside_new_versions_name_their_own_seq(world):
    """Names, relationship ends and observable values are written by the seq each version was
    given: after gaps, and after the newest row was deleted (SQLite gives its seq again)."""
    from sqlalchemy import select

    from accord.store.schema import object_names, objects, observables, relationship_ends

    store, cid = world.node.objects, world.evidence.id
    everything = ObjectQuery(versions=frozenset({ALL}))
    store.add(cid, [indicator(n) for n in range(1, 5)])
    assert store.delete(cid, indicator(2)["id"], everything) == 1  # a gap
    assert store.delete(cid, indicator(4)["id"], everything) == 1  # the newest
    named = [indicator(n, name=f"Relay {n}",
                       pattern=f"[ipv4-addr:value = '198.51.100.{n}']") for n in range(10, 14)]
    ends = {"type": "relationship", "spec_version": "2.1",
            "id": "relationship--00000000-0000-4000-8000-000000000099",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "relationship_type": "indicates", "source_ref": named[0]["id"],
            "target_ref": "malware--00000000-0000-4000-8000-000000000003"}
    # A version that is not the newest in the call: nothing indexed for it.
    older = indicator(11, "2019-01-01T00:00:00.000Z", name="Relay old")
    assert all(o.added for o in store.add(cid, [*named, older, ends]))
    with world.node.engine.connect() as conn:
        seq_of = {(oid, version): seq for seq, oid, version in conn.execute(
            select(objects.c.seq, objects.c.id, objects.c.version))}
        names = {(seq, text) for seq, text in conn.execute(
            select(object_names.c.seq, object_names.c.text)) if text.startswith("relay")}
        values = [(seq, value) for seq, value in conn.execute(
            select(observables.c.seq, observables.c.value))]
        relationship = conn.execute(select(relationship_ends.c.seq)).scalars().all()
    modified = "2020-01-01T00:00:00.000Z"
    assert names == {(seq_of[o["id"], modified], o["name"].casefold()) for o in named}
    # Each address is kept in the index's own form; one value for each of its six indicators.
    assert len({value for _, value in values}) == 5
    assert sorted(seq for seq, _ in values) == sorted(
        seq_of[o["id"], modified] for o in (indicator(1), indicator(3), *named))
    assert relationship == [seq_of[ends["id"], modified]]


def test_deleting_versions_leaves_no_row_of_them_in_the_indexes(world):
    """The correlation and search indexes' rows name their version without a foreign key that
    PostgreSQL enforces (migration 0025): the store removes them itself, and a thorough check
    finds no row that names nothing."""
    from sqlalchemy import func, select

    from accord.store.checkup import references_finding, schema_objects
    from accord.store.schema import object_names, observables, relationship_ends

    store, cid = world.node.objects, world.evidence.id
    named = indicator(1, name="Fast Flux Relay", external_references=[
        {"source_name": "feed", "external_id": "FF-1"}])
    related = {"type": "relationship", "spec_version": "2.1",
               "id": "relationship--00000000-0000-4000-8000-000000000002",
               "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
               "relationship_type": "indicates", "source_ref": named["id"],
               "target_ref": "malware--00000000-0000-4000-8000-000000000003"}
    assert all(o.added for o in store.add(cid, [named, related]))

    def rows() -> list[int]:
        with world.node.engine.connect() as conn:
            return [conn.execute(select(func.count()).select_from(table)).scalar_one()
                    for table in (observables, object_names, relationship_ends)]

    assert all(rows())  # each table holds something to delete
    everything = ObjectQuery(versions=frozenset({ALL}))
    assert store.delete(cid, named["id"], everything) == 1
    assert store.delete(cid, related["id"], everything) == 1
    assert rows() == [0, 0, 0]
    finding = references_finding(world.node.engine, schema_objects(world.node.engine),
                                 thorough=True)
    assert finding.problems == ()
    # And a row that names no version is still found, on either backend.
    with world.node.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only then will SQLite take it
        conn.execute(observables.insert().values(collection_id=cid, audience="*", kind="ipv4",
                                                 value="198.51.100.1", seq=987654))
    finding = references_finding(world.node.engine, schema_objects(world.node.engine),
                                 thorough=True)
    assert any("observables.seq names objects rows that do not exist (987654)" in p
               for p in finding.problems)


def test_first_pages_asked_again_are_answered_alike_and_only_postgresql_keeps_bodies(world):
    store, cid = world.node.objects, world.evidence.id
    store.add(cid, [indicator(n) for n in range(3)])
    query = ObjectQuery(limit=2)
    pages = [store.page(cid, query) for _ in range(3)]
    assert pages[0] == pages[1] == pages[2] and len(pages[0].items) == 2 and pages[0].more
    # store.body_cache: the second ask keeps a first page's bodies (and the one row more it
    # reads to know there is more), on PostgreSQL only: SQLite reads them in process.
    assert len(store.bodies) == (0 if store._sqlite else 3)


def test_a_new_version_reads_only_the_stored_bodies_it_is_compared_with(world):
    """An object may hold a thousand versions of up to the largest object's size each: deciding
    on one arriving reads the stored version of its own timestamp, not all of them; an
    observable with no timestamp is compared with every version of its id."""
    from accord.store.held_versions import held_in

    store, cid = world.node.objects, world.evidence.id
    months = [f"2020-{m:02d}-01T00:00:00.000Z" for m in range(1, 6)]
    store.add(cid, [indicator(1, m) for m in months])
    ip = {"type": "ipv4-addr", "spec_version": "2.1",
          "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
    store.add(cid, [ip, {**ip, "x_note": "another"}])

    def bodies_read(arriving):
        with world.node.engine.connect() as conn:
            held = held_in(conn, cid, arriving)
        return {(oid, r.version) for oid, versions in held.items() for r in versions.values()
                if r.body is not None}, sum(len(v) for v in held.values())

    assert bodies_read([indicator(1, "2020-07-01T00:00:00.000Z")]) == (set(), 5)
    assert bodies_read([indicator(1, months[2])]) == ({(indicator(1)["id"], months[2])}, 5)
    read, held = bodies_read([{**ip, "x_note": "a third"}])
    assert (len(read), held) == (2, 2)
    # And the decisions they serve are unchanged.
    assert store.add(cid, [indicator(1, months[2])])[0].message == "already stored"
    assert not store.add(cid, [indicator(1, months[2], name="changed")])[0].stored
    assert not store.add(cid, [{**ip, "x_note": "another"}])[0].added
    assert store.add(cid, [{**ip, "x_note": "a third"}])[0].added
