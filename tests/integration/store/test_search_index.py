"""The search index on SQLite and PostgreSQL: a search by name, alias or external id and an
object's relationships read object_names and relationship_ends, kept on every write path, and
find only what the reader may read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.integration.store.migrating import upgrade as _upgrade

from accord.stix.timestamps import sort_key
from accord.store.browse import Browse
from accord.store.engine import open_engine, writing
from accord.store.query import ObjectQuery, Reader
from accord.store.schema import object_names, relationship_ends
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

T0 = "2020-01-01T00:00:00.000Z"


def sdo(kind: str, n: int, modified: str = T0, **properties: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--00000000-0000-4000-8000-{n:012d}",
            "created": T0, "modified": modified, **properties}


def attack_id(external_id: str) -> list[dict[str, str]]:
    return [{"source_name": "mitre-attack", "external_id": external_id,
             "url": f"https://attack.mitre.org/{external_id}"}]


APT19 = sdo("intrusion-set", 1, name="APT19", aliases=["APT19", "Codoso", "C0d0so0"],
            external_references=attack_id("G0073"),
            description="A group that also mentions Lazarus in its description")
INTERPRETER = sdo("attack-pattern", 2, name="Command and Scripting Interpreter",
                  external_references=attack_id("T1059"))
OCEAN_LOTUS = sdo("intrusion-set", 3, name="海莲花", aliases=["OceanLotus", "APT32"])
PERCENT = sdo("malware", 4, name="Loader 50% off", is_family=True)


def relationship(n: int, source: str, target: str, **extra: Any) -> dict[str, Any]:
    return sdo("relationship", n, relationship_type="uses", source_ref=source, target_ref=target,
               **extra)


def ids(found: list[Any]) -> set[str]:
    return {f.id for f in found}


@pytest.fixture
def shared(world):
    """A collection both parties read, holding ATT&CK-like objects and a Chinese name."""
    collection = world.node.directory.create_collection(
        "Shared", read=[world.own, world.other], write=[world.own])
    added = world.node.objects.add(collection.id, [APT19, INTERPRETER, OCEAN_LOTUS, PERCENT],
                                   poster_id=world.own.id)
    assert all(o.added for o in added)
    return collection


def test_finds_by_name_alias_and_external_id_whatever_the_case(world, shared):
    browse, reader = Browse(world.node.engine), world.other.id
    for needle in ("APT19", "apt19", "Codoso", "c0d0so0", "G0073", "g0073"):
        assert ids(browse.search(reader, needle)) == {APT19["id"]}, needle
    assert ids(browse.search(reader, "T1059")) == {INTERPRETER["id"]}
    assert ids(browse.search(reader, "scripting INTERP")) == {INTERPRETER["id"]}
    assert ids(browse.search(reader, "oceanlotus")) == {OCEAN_LOTUS["id"]}
    # Names only: a word of a description is not a name.
    assert browse.search(reader, "Lazarus") == []


def test_chinese_names_and_needles_too_short_for_trigrams(world, shared):
    browse, reader = Browse(world.node.engine), world.other.id
    assert ids(browse.search(reader, "海莲花")) == {OCEAN_LOTUS["id"]}
    assert ids(browse.search(reader, "莲花")) == {OCEAN_LOTUS["id"]}  # two characters
    assert ids(browse.search(reader, "海")) == {OCEAN_LOTUS["id"]}  # one
    assert ids(browse.search(reader, "19")) == {APT19["id"]}
    assert ids(browse.search(reader, "apt")) == {APT19["id"], OCEAN_LOTUS["id"]}


def test_like_wildcards_in_a_needle_are_plain_characters(world, shared):
    browse, reader = Browse(world.node.engine), world.other.id
    assert ids(browse.search(reader, "50%")) == {PERCENT["id"]}
    assert browse.search(reader, "a%t") == []
    assert browse.search(reader, "ap_19") == []
    assert browse.search(reader, '"apt19"') == []  # a quote is a character, not FTS syntax


def test_a_new_version_replaces_the_names_of_the_old(world, shared):
    store, browse, reader = world.node.objects, Browse(world.node.engine), world.other.id
    renamed = {**APT19, "modified": "2021-01-01T00:00:00.000Z", "name": "Deep Panda",
               "aliases": ["Deep Panda"]}
    assert store.add(shared.id, [renamed], poster_id=world.own.id)[0].added
    assert browse.search(reader, "codoso") == []
    [found] = browse.search(reader, "deep panda")
    assert found.version == "2021-01-01T00:00:00.000Z"
    assert ids(browse.search(reader, "G0073")) == {APT19["id"]}  # kept by the new version
    # An older version arriving late does not become the newest, nor searchable.
    late = {**APT19, "modified": "2020-06-01T00:00:00.000Z", "name": "Late Comer"}
    assert store.add(shared.id, [late], poster_id=world.own.id)[0].added
    assert browse.search(reader, "late comer") == []
    # Versions superseded within one call are not indexed either.
    first = sdo("tool", 9, name="Tool One")
    second = sdo("tool", 9, modified="2020-02-01T00:00:00.000Z", name="Tool Two")
    store.add(shared.id, [first, second], poster_id=world.own.id)
    assert browse.search(reader, "tool one") == []
    assert ids(browse.search(reader, "tool two")) == {second["id"]}


def test_deleted_versions_vanish_and_the_newest_survivor_is_found(world, shared):
    store, browse, reader = world.node.objects, Browse(world.node.engine), world.other.id
    newer = {**APT19, "modified": "2021-01-01T00:00:00.000Z", "name": "Renamed Group",
             "aliases": []}
    store.add(shared.id, [newer], poster_id=world.own.id)
    assert ids(browse.search(reader, "renamed")) == {APT19["id"]}
    me = Reader(world.own.id, int(Tlp.AMBER))
    only_newer = ObjectQuery(versions=frozenset({sort_key(newer["modified"])}), reader=me)
    assert store.delete(shared.id, APT19["id"], only_newer) == 1
    assert browse.search(reader, "renamed") == []
    assert ids(browse.search(reader, "codoso")) == {APT19["id"]}
    assert store.delete(shared.id, APT19["id"], ObjectQuery(reader=me)) == 1
    assert browse.search(reader, "codoso") == []
    assert browse.search(reader, "G0073") == []
    with world.node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(object_names)
                            .where(object_names.c.id == APT19["id"])).scalar_one() == 0


def test_the_newest_names_replaced_in_one_call_are_found_and_the_index_stays_whole(
        world, shared):
    """The names indexed last replaced in the same transaction that indexes their successors
    (SQLite may then give the new names the old ones' row ids): each write path leaves the
    full-text index holding exactly the names, as `accord db check --thorough` reads it."""
    from accord.store import search_index

    store, browse, reader = world.node.objects, Browse(world.node.engine), world.other.id
    renamed = {**PERCENT, "modified": "2021-01-01T00:00:00.000Z", "name": "Cheaper Loader"}
    assert store.add(shared.id, [renamed], poster_id=world.own.id)[0].added
    assert ids(browse.search(reader, "cheaper loader")) == {PERCENT["id"]}
    assert browse.search(reader, "50% off") == []
    batch = [sdo("tool", 100 + n, name=f"Batch Tool {n:03d}") for n in range(300)]
    assert all(o.added for o in store.add(shared.id, batch, poster_id=world.own.id))
    assert ids(browse.search(reader, "batch tool 299")) == {batch[-1]["id"]}
    assert ids(browse.search(reader, "tool 150")) == {batch[150]["id"]}
    me = Reader(world.own.id, int(Tlp.AMBER))
    assert store.delete(shared.id, batch[-1]["id"], ObjectQuery(reader=me)) == 1
    assert browse.search(reader, "batch tool 299") == []
    if world.node.engine.dialect.name == "sqlite":
        engine = world.node.engine
        with engine.connect() as conn:
            assert search_index.fts_apart(conn) == (0, 0)
        with writing(engine) as conn:
            conn.exec_driver_sql("DELETE FROM object_names_fts WHERE rowid = "
                                 "(SELECT max(name_id) FROM object_names)")
            conn.exec_driver_sql("INSERT INTO object_names_fts (rowid, text) "
                                 "VALUES (987654321, 'no such name')")
        with engine.connect() as conn:
            assert search_index.fts_apart(conn) == (1, 1)
        search_index.rebuild(engine)
        with engine.connect() as conn:
            assert search_index.fts_apart(conn) == (0, 0)


def marked(obj: dict[str, Any], level: Tlp, *recipients: str) -> dict[str, Any]:
    obj = {**obj, "object_marking_refs": [MARKING_FOR[level]]}
    if recipients:
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {
            "extension_type": "property-extension", "recipients": list(recipients)}}
    return obj


def test_what_a_reader_may_not_read_is_never_found(world, shared):
    d, store, browse = world.node.directory, world.node.objects, Browse(world.node.engine)
    us, cn = world.own.id, world.other.id
    private = d.create_collection("Private", read=[world.own], write=[world.own])
    drop_box = d.create_collection("Drop box", read=[world.own], write=[world.own, world.other])
    secret_group = sdo("intrusion-set", 20, name="Secret Group", created_by_ref=us)
    red = marked(sdo("intrusion-set", 21, name="Red Group", created_by_ref=us), Tlp.RED)
    strict = marked(sdo("intrusion-set", 22, name="Strict Group", created_by_ref=us),
                    Tlp.AMBER_STRICT, cn)
    strict_other = marked(sdo("intrusion-set", 23, name="Strict Elsewhere", created_by_ref=us),
                          Tlp.AMBER_STRICT)
    store.add(private.id, [secret_group], poster_id=us)
    store.add(drop_box.id, [sdo("intrusion-set", 24, name="Dropped Group")], poster_id=cn)
    visible_link = relationship(32, strict["id"], APT19["id"])
    store.add(shared.id, [red, strict, strict_other,
                          marked(relationship(30, red["id"], APT19["id"]), Tlp.RED),
                          marked(relationship(31, strict["id"], APT19["id"]), Tlp.AMBER_STRICT),
                          visible_link], poster_id=us)
    hidden = {secret_group["id"], red["id"], strict_other["id"],
              "intrusion-set--00000000-0000-4000-8000-000000000024"}
    for needle in ("Secret Group", "Red Group", "Strict Elsewhere", "Dropped Group", "secret",
                   "se", "G", "group", "ed"):
        assert not ids(browse.search(cn, needle)) & hidden, needle
    assert ids(browse.search(cn, "strict")) == {strict["id"]}
    assert ids(browse.search(cn, "group")) == {strict["id"]}
    # The relationships of an object both read: only those the reader may read.
    assert ids(browse.relationships(cn, APT19["id"])) == {visible_link["id"]}
    assert browse.relationships(cn, red["id"]) == []
    assert len(browse.relationships(us, APT19["id"])) == 3
    # The creator finds all of its own.
    assert ids(browse.search(us, "group")) == hidden - {strict_other["id"]} | {strict["id"]}


def test_an_exact_name_comes_before_names_that_contain_it(world, shared):
    store, browse, reader = world.node.objects, Browse(world.node.engine), world.other.id
    # Stored after APT19, so newer: by recency alone they would come first.
    store.add(shared.id, [sdo("intrusion-set", 50, name="APT19 Successor"),
                          sdo("campaign", 51, name="Against apt19 targets")],
              poster_id=world.own.id)
    found = browse.search(reader, "apt19")
    assert found[0].id == APT19["id"]
    assert ids(found[1:]) == {sdo("intrusion-set", 50)["id"], sdo("campaign", 51)["id"]}
    # An object with several matching names (name and alias) is listed once.
    assert [f.id for f in found].count(APT19["id"]) == 1
    # A page of one holds the exact name.
    assert [f.id for f in browse.search(reader, "APT19", limit=1)] == [APT19["id"]]


def test_a_readable_match_behind_many_hidden_ones_is_found(world, shared):
    """The index is read a window of names at a time: names the reader may not read fill the
    first windows, and the readable ones behind them must still be found, exact or not."""
    from accord.store.browse import _FIRST_WINDOW

    store, browse = world.node.objects, Browse(world.node.engine)
    us, cn = world.own.id, world.other.id
    private = world.node.directory.create_collection("Private", read=[world.own],
                                                     write=[world.own])
    visible = [sdo("malware", 100, name="Hydra", is_family=True),
               sdo("malware", 101, name="Hydra loader", is_family=True)]
    store.add(shared.id, visible, poster_id=us)
    hidden = [sdo("malware", 1000 + n, name="Hydra" if n % 2 else f"Hydra {n}", is_family=True)
              for n in range(3 * _FIRST_WINDOW)]
    store.add(private.id, hidden, poster_id=us)
    assert [f.id for f in browse.search(cn, "hydra")] == [visible[0]["id"], visible[1]["id"]]
    assert len(browse.search(us, "hydra", limit=50)) == 50
    # The creator, who reads them all: newest exact names first, then the others.
    mine = browse.search(us, "hydra", limit=1000)
    assert len(mine) == len(visible) + len(hidden)
    exact = [f for f in mine if f.name == "Hydra"]
    assert mine[:len(exact)] == exact


def test_a_search_reads_only_as_many_objects_as_its_page_needs(world, shared, monkeypatch):
    """The objects of a window of names are read in parts, as far as the page needs: a page of
    5 among 150 readable matches reads 5 objects, not the window's 150 (each, at scale, a
    page of the table read from the disk)."""
    store, browse, us = world.node.objects, Browse(world.node.engine), world.own.id
    store.add(shared.id, [sdo("tool", 300 + n, name=f"Orchid {n}") for n in range(150)],
              poster_id=us)
    read: list[int] = []
    rows = Browse._rows

    def counted(self, reader, *where, **options):
        found = rows(self, reader, *where, **options)
        read.append(len(found))
        return found

    monkeypatch.setattr(Browse, "_rows", counted)
    page = browse.search(world.other.id, "orchid", limit=5)
    assert [f.name for f in page] == [f"Orchid {n}" for n in range(149, 144, -1)]
    assert sum(read) <= 5 + 1  # the page's objects, and the creator's identity at most


def test_relationships_are_found_from_either_end_and_follow_new_versions(world, shared):
    store, browse, reader = world.node.objects, Browse(world.node.engine), world.other.id
    uses = relationship(40, APT19["id"], INTERPRETER["id"])
    alias = relationship(41, OCEAN_LOTUS["id"], APT19["id"])
    store.add(shared.id, [uses, alias], poster_id=world.own.id)
    assert ids(browse.relationships(reader, APT19["id"])) == {uses["id"], alias["id"]}
    assert ids(browse.relationships(reader, INTERPRETER["id"])) == {uses["id"]}
    assert ids(browse.relationships(reader, OCEAN_LOTUS["id"])) == {alias["id"]}
    moved = {**uses, "modified": "2021-01-01T00:00:00.000Z", "target_ref": PERCENT["id"]}
    store.add(shared.id, [moved], poster_id=world.own.id)
    assert browse.relationships(reader, INTERPRETER["id"]) == []
    [found] = browse.relationships(reader, PERCENT["id"])
    assert found.body["target_ref"] == PERCENT["id"]
    me = Reader(world.own.id, int(Tlp.AMBER))
    store.delete(shared.id, alias["id"], ObjectQuery(reader=me))
    assert ids(browse.relationships(reader, APT19["id"])) == {uses["id"]}


def test_requests_and_their_ledger_are_not_indexed_by_name(world, shared):
    from accord.store import search_index

    assert not search_index.is_searchable("x-accord-request")
    assert not search_index.is_searchable("language-content")
    assert search_index.rows_for(7, "c", {"type": "x-accord-request",
                                          "id": "x-accord-request--1",
                                          "name": "Please share"}) == ([], [])


def test_the_migration_indexes_what_is_already_stored(db_url):
    engine = open_engine(db_url)
    try:
        _upgrade(engine, "0017")
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        old_name = {**APT19, "name": "Old Name", "aliases": []}
        link = relationship(50, APT19["id"], INTERPRETER["id"])
        # seq, id, latest, body
        rows = [(1, APT19["id"], False, old_name), (2, APT19["id"], True, APT19),
                (3, INTERPRETER["id"], True, INTERPRETER), (4, link["id"], True, link),
                (5, "x-accord-request--1", True,
                 {"type": "x-accord-request", "id": "x-accord-request--1", "name": "Hidden"})]
        with writing(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO collections (id, title, description, created, default_tlp) VALUES "
                "('c', 't', '', '2020', 2)")
            conn.exec_driver_sql(
                "INSERT INTO parties (id, name, created, is_self, identity) VALUES "
                f"({mark}, {mark}, {mark}, {mark}, {mark})",
                ("identity--reader", "Reader", "2020", False, b"{}"))
            conn.exec_driver_sql(
                "INSERT INTO permissions (collection_id, party_id, can_read, can_write) VALUES "
                f"('c', 'identity--reader', {mark}, {mark})", (True, False))
            for seq, oid, latest, body in rows:
                conn.exec_driver_sql(
                    "INSERT INTO objects (seq, collection_id, id, type, spec_version, version, "
                    "version_key, date_added, is_latest, body, tlp, creator_id, poster_id) "
                    f"VALUES ({', '.join([mark] * 13)})",
                    (seq, "c", oid, oid.split("--")[0], "2.1", f"v{seq}", f"v{seq}",
                     f"2020-0{seq}", latest, orjson.dumps(body), None, None, None))
        _upgrade(engine, "head")
        with engine.connect() as conn:
            names = {tuple(r) for r in conn.execute(
                select(object_names.c.seq, object_names.c.kind, object_names.c.text))}
            ends = {tuple(r) for r in conn.execute(select(relationship_ends))}
        assert names == {(2, "name", "apt19"), (2, "alias", "apt19"), (2, "alias", "codoso"),
                         (2, "alias", "c0d0so0"), (2, "external_id", "g0073"),
                         (3, "name", "command and scripting interpreter"),
                         (3, "external_id", "t1059")}
        assert ends == {(4, APT19["id"], INTERPRETER["id"])}
        browse = Browse(engine)
        assert ids(browse.search("identity--reader", "Codoso")) == {APT19["id"]}
        assert browse.search("identity--reader", "old name") == []
        assert ids(browse.relationships("identity--reader", INTERPRETER["id"])) == {link["id"]}
    finally:
        engine.dispose()


def test_the_migration_can_be_undone_and_redone(db_url):
    from sqlalchemy import inspect
    from tests.integration.store.migrating import downgrade

    engine = open_engine(db_url)
    try:
        _upgrade(engine, "head")
        downgrade(engine, "0017")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert not tables & {"object_names", "object_names_fts", "relationship_ends"}
        _upgrade(engine, "head")  # pg_trgm, kept by the downgrade, is found again
        with engine.connect() as conn:
            assert {"object_names", "relationship_ends"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_a_search_reads_a_bounded_number_of_names(world, shared, monkeypatch):
    """A word in more names than the bound, none of which the reader may read, costs the bound:
    a readable match behind all of them is not reached (a longer needle finds it)."""
    from accord.store import browse as module

    monkeypatch.setattr(module, "_FIRST_WINDOW", 4)
    monkeypatch.setattr(module, "_MOST_NAMES", 10)
    store, browse = world.node.objects, Browse(world.node.engine)
    us, cn = world.own, world.other
    private = world.node.directory.create_collection("Private", read=[world.own],
                                                     write=[world.own])
    store.add(shared.id, [sdo("tool", 300, name="Wolf readable")], poster_id=us.id)
    store.add(private.id, [sdo("tool", 400 + n, name=f"Wolf {n}") for n in range(12)],
              poster_id=us.id)
    assert browse.search(cn.id, "wolf") == []
    assert ids(browse.search(cn.id, "wolf readable")) == {sdo("tool", 300)["id"]}
    assert len(browse.search(us.id, "wolf")) == 10


# PostgreSQL's plans for a substring (store.name_plans), made to run on a few hundred names by
# shrinking the smallest walk (the sample is then every name: the measure is exact, the choice
# certain): whichever runs, the answer is the names that contain the needle, newest first, as
# one backward walk of every name gives it.

def _names_store(node, own):
    """Names stored oldest first: a word clustered among the oldest (`ember`), one rare name
    (`quartz`), then a word in every other one of the newest (`common`)."""
    collection = node.directory.create_collection("Names", read=[own], write=[own])
    batches = [[sdo("malware", 1999, name="Zircon Ember", is_family=True)]
               + [sdo("malware", 2000 + n, name=f"Ember {n}", is_family=True) for n in range(60)],
               [sdo("tool", 2100, name="Quartz")],
               [sdo("tool", 2200 + n, name=f"Common {n}" if n % 2 else f"Filler {n}")
                for n in range(100)]]
    for batch in batches:
        node.objects.add(collection.id, batch, poster_id=own.id)
    return collection


def _every_collection(conn) -> list[str]:
    return sorted(conn.scalars(select(object_names.c.collection_id).distinct()))


def _contain(conn, needle, before, count):
    """Every name that contains `needle`, newest first: what a backward walk of all gives."""
    rows = conn.execute(select(object_names.c.name_id, object_names.c.seq,
                               object_names.c.text)).all()
    found = sorted(((int(r), int(s)) for r, s, t in rows
                    if needle in t and (before is None or r < before)), reverse=True)
    return found[:count]


@pytest.fixture
def pg_names(pg_url, monkeypatch):
    """A node on PostgreSQL holding _names_store's names, with plans sized for them, and the
    plan steps each search took (with the word a read through the index asked for)."""
    from accord.node import initialise, open_node
    from accord.store import name_plans

    node = open_node(pg_url)
    own, _ = initialise(node, "United States (US-CERT)")
    _names_store(node, own)
    monkeypatch.setattr(name_plans, "_WALK", 8)
    steps: list[str] = []
    for step in ("_walk", "_measure", "_read_all"):
        original = getattr(name_plans, step)

        def spy(*args, _original=original, _step=step, **kwargs):
            steps.append(_step if _step != "_read_all" else f"_read_all {args[2]}")
            return _original(*args, **kwargs)

        monkeypatch.setattr(name_plans, step, spy)
    try:
        yield node, own, steps
    finally:
        node.engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_each_plan_finds_what_a_walk_of_every_name_finds(pg_names):
    from accord.store import search_index

    node, _, steps = pg_names
    plans = set()
    with node.engine.connect() as conn:
        top = conn.scalar(select(func.max(object_names.c.name_id)))
        for needle in ("common", "ember", "quartz", "ember 5", "zircon ember", "ember zircon",
                       "e", "zz", "nothing", "1"):
            for before in (None, top - 3, top - 50, top - 110, 30, 5):
                for count in (1, 3, 10, 50, 200):
                    steps.clear()
                    found = search_index.matching(conn, needle, exact=False, before=before,
                                                  count=count, collections=_every_collection(conn))
                    assert [(r, s) for r, s, ok in found if ok] == _contain(
                        conn, needle, before, count), \
                        (needle, before, count, steps)
                    plans.add(tuple(s.split()[0] for s in steps[:2]))
    # Each way was taken: walked at once, measured then walked, read through the index, and
    # too short for trigrams (no step of name_plans: PostgreSQL's own plan).
    assert {("_walk",), ("_measure", "_walk"), ("_measure", "_read_all"), ()} <= plans


@pytest.mark.postgres
def test_on_postgresql_a_common_word_is_walked_and_a_rare_one_read_through_its_index(
        pg_names):
    from accord.store import search_index

    node, _, steps = pg_names

    def plan(needle: str, count: int = 200) -> list[str]:
        steps.clear()
        search_index.matching(conn, needle, exact=False, before=None, count=count,
                              collections=_every_collection(conn))
        return list(steps)

    with node.engine.connect() as conn:
        # In every other one of the newest names: one walk of the smallest range.
        assert plan("common", count=3) == ["_measure", "_walk"]
        # One name, 100 names back: read through the trigram index.
        assert plan("quartz") == ["_measure", "_read_all quartz"]
        # The index is asked for the needle's rarest word; the needle is checked on each row.
        assert plan("zircon ember") == ["_measure", "_read_all zircon"]
        assert plan("ember zircon") == ["_measure", "_read_all ember zircon"]


@pytest.mark.postgres
def test_on_postgresql_a_measure_that_erred_falls_back_to_the_walk(pg_names, monkeypatch):
    """The sample says "rare" but the needle is in 61 names: the index read stops at what the
    walk would have cost, and the walk gives the answer."""
    from accord.store import name_plans, search_index

    node, _, steps = pg_names
    with node.engine.connect() as conn:
        top = conn.scalar(select(func.max(object_names.c.name_id))) + 1
        monkeypatch.setattr(name_plans, "_measure", lambda _c, needle, *_: (
            top, needle, 0.0, 5.0 * name_plans._MATCH_COST))
        found = search_index.matching(conn, "ember", exact=False, before=None, count=50,
                                      collections=_every_collection(conn))
        assert [(r, s) for r, s, _ in found] == _contain(conn, "ember", None, 50)
    assert steps[0] == "_read_all ember" and steps[1:] and set(steps[1:]) == {"_walk"}


@pytest.mark.postgres
def test_on_postgresql_search_by_name_lists_the_newest_first_whichever_plan(pg_names,
                                                                            monkeypatch):
    from accord.store import browse as module

    monkeypatch.setattr(module, "_FIRST_WINDOW", 4)
    node, own, steps = pg_names
    browse = Browse(node.engine)
    common = browse.search(own.id, "common", limit=5)
    assert [f.name for f in common] == [f"Common {n}" for n in (99, 97, 95, 93, 91)]
    steps.clear()
    ember = browse.search(own.id, "ember 5", limit=5)  # the exact name first
    assert [f.name for f in ember] == [f"Ember {n}" for n in (5, 59, 58, 57, 56)]
    assert "_read_all ember 5" in steps
    assert [f.name for f in browse.search(own.id, "QUARTZ")] == ["Quartz"]
    assert [f.name for f in browse.search(own.id, "zircon EMBER")] == ["Zircon Ember"]


def test_sqlite_names_fill_the_full_text_index_by_statement_from_0028_and_by_trigger_before(
        tmp_path):
    """From 0028 Accord's connections fill the FTS5 index a batch at a time; the trigger fills
    it only for a connection that does not say it does, and a connection of an older Accord
    (which knows no such function) cannot insert a name that the search would then miss."""
    import sqlite3

    from tests.integration.store.migrating import downgrade

    from accord.store import search_index

    path = tmp_path / "node.db"
    engine = open_engine(str(path))

    def name(seq: int, text: str, *, by_add: bool) -> None:
        """A name of no object (the foreign key off): only the index is under test."""
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            with conn.begin():
                if by_add:
                    search_index.add(conn, [(seq, "c", f"tool--{seq}", "name", text)], [])
                else:
                    conn.exec_driver_sql("INSERT INTO object_names (seq, id, kind, text) "
                                         "VALUES (?, ?, 'name', ?)", (seq, f"tool--{seq}", text))

    def matches(needle: str) -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM object_names_fts WHERE "
                                        "object_names_fts MATCH ?", (f'"{needle}"',)).scalar()

    def apart() -> tuple[int, int]:
        with engine.connect() as conn:
            return search_index.fts_apart(conn)
    try:
        _upgrade(engine, "0027")
        name(1, "before the change", by_add=False)  # the trigger of 0018
        _upgrade(engine, "head")
        name(2, "after the change", by_add=True)
        name(3, "a plain insert", by_add=False)  # the guarded trigger, standing aside
        assert matches("before") == matches("after") == 1
        assert matches("plain insert") == 0 and apart() == (1, 0)
        search_index.rebuild(engine)
        assert matches("plain insert") == 1 and apart() == (0, 0)
        older = sqlite3.connect(path)  # as an Accord from before 0028 would insert
        try:
            with pytest.raises(sqlite3.OperationalError, match="accord_fills_search_index"):
                older.execute("INSERT INTO object_names (seq, id, kind, text) "
                              "VALUES (4, 'tool--4', 'name', 'lost')")
        finally:
            older.close()
        downgrade(engine, "0027")
        name(5, "after the downgrade", by_add=False)
        assert matches("downgrade") == 1 and apart() == (0, 0)
    finally:
        engine.dispose()


def test_names_another_party_holds_where_the_reader_cannot_read_cost_its_search_nothing(
        world, shared, monkeypatch):
    # The US posted thousands of "APT19"s into a collection of its own: China's search for
    # APT19 walked them, row by row, past its budget, and found nothing it may read (and the
    # time it took said how many there were).
    from accord.store import browse as module

    monkeypatch.setattr(module, "_FIRST_WINDOW", 8)
    monkeypatch.setattr(module, "_MOST_NAMES", 40)
    own = world.node.directory.create_collection("Ours", read=[world.own], write=[world.own])
    flood = [sdo("tool", 1000 + n, name="APT19") for n in range(200)]
    world.node.objects.add(own.id, flood, poster_id=world.own.id)
    browse = Browse(world.node.engine)
    assert ids(browse.search(world.other.id, "APT19")) == {APT19["id"]}
    assert ids(browse.search(world.other.id, "apt19")) == {APT19["id"]}
    asked: list[str] = []
    real = module.search_index.matching

    def counted(conn, needle, **how):  # type: ignore[no-untyped-def]
        found = real(conn, needle, **how)
        if how["exact"]:
            asked.extend(str(seq) for _, seq, _ in found)
        return found

    monkeypatch.setattr(module.search_index, "matching", counted)
    browse.search(world.other.id, "APT19")
    assert len(set(asked)) == 1  # the exact names it may read alone (its name, its alias)
    # The US reads its own: as many as the walk's budget (40 here).
    assert len(browse.search(world.own.id, "APT19", limit=300)) == 40


def test_no_object_of_a_name_hidden_from_the_reader_is_read_for_its_search(world, shared,
                                                                          monkeypatch):
    # A name hidden in a collection the reader cannot read was handed back by the substring
    # pass and its object read to be told it may not: the search took a millisecond longer
    # when a hidden name held the needle, and "Secret Bea", "Secret Bear", … read it out a
    # character at a time. The statement now says which names are the reader's.
    from accord.store import browse as module

    secret = world.node.directory.create_collection("Secrets", read=[world.own],
                                                    write=[world.own])
    hidden = [sdo("threat-actor", 900, name="Secret Bear"), sdo("threat-actor", 901,
                                                               name="秘密熊")]
    world.node.objects.add(secret.id, hidden, poster_id=world.own.id)
    with world.node.engine.connect() as conn:
        hidden_seqs = set(conn.scalars(select(object_names.c.seq).where(
            object_names.c.collection_id == secret.id)))
    read: list[int] = []
    real = module.Browse._readable_named

    def counted(self, reader, names, *args):  # type: ignore[no-untyped-def]
        read.extend(seq for _, seq in names)
        return real(self, reader, names, *args)

    monkeypatch.setattr(module.Browse, "_readable_named", counted)
    browse = Browse(world.node.engine)
    for needle in ("ecret Bea", "Secret", "et B", "秘密", "熊"):  # trigram, and too short
        assert browse.search(world.other.id, needle) == []
    assert hidden_seqs and not hidden_seqs & set(read)
    assert ids(browse.search(world.own.id, "ecret Bea")) == {hidden[0]["id"]}
    assert ids(browse.search(world.own.id, "秘密")) == {hidden[1]["id"]}


def test_a_name_typed_with_spaces_finds_it_written_run_together(world, shared):
    browse, reader = Browse(world.node.engine), world.other.id
    for typed in ("APT 19", "apt-19", "Co doso", "G 0073"):
        assert ids(browse.search(reader, typed)) == {APT19["id"]}, typed
    assert browse.search(reader, "APT 99") == []
