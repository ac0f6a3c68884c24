"""Screening on a node: designations in force and known actors, as each party may read them."""

from __future__ import annotations

import pytest

from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.attribution.watchlist import watchlist
from accord.cooperation.desk import Actor
from accord.intake import Screened, store

API = "/api/v1"
APT3 = "intrusion-set--0bbdf25b-30ff-4894-a1cd-49260d0dd2d9"


@pytest.fixture
def record(world):
    store(world.node.engine, world.evidence, Screened([
        {"type": "intrusion-set", "spec_version": "2.1", "id": APT3, "name": "APT3",
         "aliases": ["APT3", "Gothic Panda", "Pirpi", "UPS Team", "Buckeye", "Threat Group-0110"],
         "created": "2017-05-31T21:31:48.664Z", "modified": "2017-05-31T21:31:48.664Z"}], []),
        party_id=world.own.id, operator=True)
    return AttributionRecord(world.node)


def test_a_designated_name_is_found_in_another_order_and_script(world, record):
    us = Actor(world.own)
    made = record.designate(us, DesignationDraft("Wang Dong", "individual", "E.O. 13694",
                                                 aliases=("王东", "UglyGorilla")))
    for query in ("Dong Wang", "王东", "WANG Dong", "uglygorilla"):
        [hit, *_] = watchlist(record, us).screen(query)
        assert hit.match.match and hit.match.id == made.id and hit.kind == "designation", query
    assert not any(h.match.match for h in watchlist(record, us).screen("Wang Wei"))


def test_a_lifted_designation_no_longer_matches(world, record):
    us = Actor(world.own)
    made = record.designate(us, DesignationDraft("Zhu Hua", "individual", "E.O. 13694"))
    assert watchlist(record, us).screen("Zhu Hua")[0].match.match
    record.lift(us, made.id, "Delisted.")
    assert watchlist(record, us).screen("Zhu Hua") == []


def test_a_known_actors_alias_is_found(world, record):
    [hit, *_] = watchlist(record, Actor(world.own)).screen("Gothic Panda")
    assert hit.match.id == APT3 and hit.kind == "intrusion-set" and hit.match.match


def test_a_designation_a_party_may_not_read_never_matches_for_it(client, world, record):
    us = Actor(world.own)
    record.designate(us, DesignationDraft("Sun Kailiang", "individual", "E.O. 13694",
                                          share_with=(world.own.id,)))
    assert watchlist(record, us).screen("Sun Kailiang")[0].match.match
    assert watchlist(record, Actor(world.other)).screen("Sun Kailiang") == []
    theirs = client.get(f"{API}/screen", params={"name": "Sun Kailiang"},
                        headers={"Authorization": f"Bearer {world.other_token}"}).json()
    assert theirs == {"query": "Sun Kailiang", "matches": []}
    mine = client.get(f"{API}/screen", params={"name": "Sun Kai-liang"}).json()
    assert mine["matches"][0]["match"] is True and "why" in mine["matches"][0]


def test_a_batch_is_screened_over_rest(client, world, record):
    record.designate(Actor(world.own), DesignationDraft("Wang Dong", "individual", "E.O."))
    r = client.post(f"{API}/screen", json={"names": ["Dong Wang", "Li Na"]})
    assert r.status_code == 200
    assert [bool(x["matches"] and x["matches"][0]["match"]) for x in r.json()] == [True, False]
    assert client.post(f"{API}/screen", json={"names": []}).status_code == 422


def test_a_result_says_which_party_listed_what_it_matched(world, record):
    # Any party that may write a collection may list an actor, aliases and all: a result
    # names whose word it is (here China's, not the US's).
    from accord.trust.access import Grant

    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    rival = "intrusion-set--6e0c7a5e-1b7d-4c3f-9f65-3c2d1a0b9e84"
    store(world.node.engine, world.evidence, Screened([
        {"type": "intrusion-set", "spec_version": "2.1", "id": rival, "name": "Blue Harbour",
         "aliases": ["Acme Widgets"], "created": "2020-01-01T00:00:00.000Z",
         "modified": "2020-01-01T00:00:00.000Z"}], []), party_id=world.other.id)
    us = Actor(world.own)
    [hit, *_] = watchlist(record, us).screen("Acme Widgets")
    assert hit.match.id == rival and hit.listed_by == world.other.id
    assert hit.listed_by_name == world.other.name
    [imported, *_] = watchlist(record, us).screen("Gothic Panda")
    assert imported.listed_by == world.own.id


def test_the_list_follows_what_it_holds_and_nothing_else(world, record):
    us = Actor(world.own)
    first = watchlist(record, us)
    assert first.screen("Gothic Panda")[0].match.id == APT3
    # Another write (evidence, a request's act) keeps the list: it holds nothing of it.
    store(world.node.engine, world.evidence, Screened([
        {"type": "indicator", "spec_version": "2.1",
         "id": "indicator--6e0c7a5e-1b7d-4c3f-9f65-3c2d1a0b9e85", "pattern_type": "stix",
         "pattern": "[ipv4-addr:value = '198.51.100.7']", "valid_from": "2020-01-01T00:00:00Z",
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}], []),
        party_id=world.own.id, operator=True)
    assert watchlist(record, us) is first
    # The actor removed, it is screened against no more (the list was kept before: the
    # newest version on the node, and the cooperation collection's count, stayed the same).
    from accord.store.query import ObjectQuery

    assert world.node.objects.delete(world.evidence.id, APT3, ObjectQuery()) == 1
    assert watchlist(record, us) is not first
    assert watchlist(record, us).screen("Gothic Panda") == []


def _intrusion_set(oid: str, name: str, aliases: list[str], modified: str, **more) -> dict:
    return {"type": "intrusion-set", "spec_version": "2.1", "id": oid, "name": name,
            "aliases": aliases, "created": "2020-01-01T00:00:00.000Z", "modified": modified,
            **more}


def test_an_actor_added_or_reversioned_is_taken_in_without_rebuilding_the_list(world, record,
                                                                              monkeypatch):
    # A party posting an intrusion set a second made every party's next screening read every
    # actor again: the list now takes in what changed, and only that.
    from accord.screening import matcher
    from accord.trust.access import Grant
    from accord.trust.markings import MARKING_FOR, Tlp

    us, cn = Actor(world.own), Actor(world.other)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    theirs, mine = watchlist(record, cn), watchlist(record, us)
    built = []
    monkeypatch.setattr(matcher.Screener, "__init__", lambda *a, **k: built.append(a))
    rival = "intrusion-set--6e0c7a5e-1b7d-4c3f-9f65-3c2d1a0b9e84"
    store(world.node.engine, world.evidence, Screened([_intrusion_set(
        rival, "Blue Harbour", ["Acme Widgets"], "2020-01-01T00:00:00.000Z",
        created_by_ref=world.own.id)], []), party_id=world.own.id)
    assert watchlist(record, cn) is theirs and watchlist(record, us) is mine and not built
    assert theirs.screen("Acme Widgets")[0].match.id == rival
    assert theirs.screen("Gothic Panda")[0].match.id == APT3  # what it held stays
    # A new version with other aliases: the old one is screened against no more.
    store(world.node.engine, world.evidence, Screened([_intrusion_set(
        rival, "Blue Harbour", ["Harbour Team"], "2021-01-01T00:00:00.000Z",
        created_by_ref=world.own.id)], []), party_id=world.own.id)
    assert watchlist(record, cn) is theirs and not built
    assert [h.match.name for h in theirs.screen("Harbour Team") if h.match.match] == [
        "Blue Harbour"]
    assert not [h for h in theirs.screen("Acme Widgets") if h.match.match]
    # Marked beyond China by its creator: China's list no longer holds it, the US's does.
    store(world.node.engine, world.evidence, Screened([_intrusion_set(
        rival, "Blue Harbour", ["Harbour Team"], "2022-01-01T00:00:00.000Z",
        created_by_ref=world.own.id, object_marking_refs=[MARKING_FOR[Tlp.RED]])], []),
        party_id=world.own.id)
    assert watchlist(record, cn) is theirs and not built
    assert theirs.screen("Blue Harbour") == [] and rival not in theirs.actors
    assert watchlist(record, us).screen("Blue Harbour")[0].match.id == rival


def test_a_designation_hidden_from_a_party_costs_its_next_screening_nothing(world, record,
                                                                            monkeypatch):
    """Made and kept from China: the tick takes it into every kept list, so that China's
    next screening reads nothing more than the one before (its time would tell China a
    designation was made that it may not read)."""
    from accord.attribution.record import AttributionRecord as Record
    from accord.cooperation.watcher import Watcher

    us, cn = Actor(world.own), Actor(world.other)
    theirs, mine = watchlist(record, cn), watchlist(record, us)
    record.designate(us, DesignationDraft("Sun Kailiang", "individual", "E.O. 13694",
                                          share_with=(world.own.id,)))
    Watcher(world.node, 1.0).run_once()  # the server's tick
    read: list[str] = []
    designations = Record.designations
    monkeypatch.setattr(Record, "designations",
                        lambda self, actor: read.append(actor.party.id) or designations(
                            self, actor))
    assert watchlist(record, cn) is theirs and theirs.screen("Sun Kailiang") == []
    assert watchlist(record, us) is mine and mine.screen("Sun Kailiang")[0].match.match
    assert read == []  # neither screening read the designations: the tick had


def test_a_list_read_through_other_grants_is_forgotten(world, record):
    from accord.attribution import watchlist as module
    from accord.trust.access import Grant

    cn = Actor(world.other)
    before = watchlist(record, cn)
    assert before.screen("Gothic Panda") == []  # China may not read the evidence collection
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    after = watchlist(record, cn)
    assert after is not before and after.screen("Gothic Panda")[0].match.id == APT3
    held = [k for k in module._cache if k[:3] == (str(world.node.engine.url),
                                                   world.other.id, True)]
    assert len(held) == 1 and module._cache[held[0]] is after


def test_an_actor_with_aliases_without_end_is_screened_by_its_first_hundred(world, record):
    # Any party that may write a collection may post an actor: 200,000 aliases made every
    # screening of every party take seconds, and a gigabyte.
    flood = "intrusion-set--7d1e2b3c-4a5f-4e6d-8c7b-9a0b1c2d3e4f"
    aliases = [f"Front Company {n:06d}" for n in range(200_000)]
    store(world.node.engine, world.evidence, Screened([_intrusion_set(
        flood, "Flood Panda", aliases, "2020-01-01T00:00:00.000Z")], []),
        party_id=world.own.id, operator=True)
    listed = watchlist(record, Actor(world.own))
    first = listed.screen("Front Company 000099")
    assert first and first[0].match.id == flood and first[0].match.match
    assert not any(h.match.id == flood and h.match.match
                   for h in listed.screen("Front Company 150000"))


def test_a_designation_stored_before_aliases_were_bounded_is_still_screened(client, world):
    import orjson
    from sqlalchemy import select, update

    from accord.store.schema import objects

    made = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    o = objects.c
    with world.node.engine.begin() as conn:
        body = orjson.loads(conn.execute(select(o.body).where(o.id == made["id"])).scalar())
        conn.execute(update(objects).where(o.id == made["id"]).values(body=orjson.dumps(
            {**body, "aliases": [f"Alias {n:03d}" for n in range(150)]})))
    r = client.get(f"{API}/screen", params={"name": "Wang Dong"})
    assert r.status_code == 200 and r.json()["matches"][0]["id"] == made["id"], r.text[:300]


def test_one_posters_actors_fill_its_share_of_the_list_alone(client, world, record,
                                                              monkeypatch):
    # One party posted 4,000 actors of 100 aliases each into a collection others read: every
    # reader's list grew to 400,000 names (10 s to build, 1.2 GB). Each poster's actors now
    # fill a share of the list: a flood pushes out neither its older actors nor anyone else's.
    from accord.attribution import watchlist as module
    from accord.trust.access import Grant

    monkeypatch.setattr(module, "MOST_NAMES_BY_POSTER", 12)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    flood = [_intrusion_set(f"intrusion-set--00000000-0000-4000-8000-{n:012d}", f"Front {n}",
                            [f"Front {n} alias {a}" for a in range(3)],
                            f"2021-01-01T00:00:{n:02d}.000Z") for n in range(10)]
    store(world.node.engine, world.evidence, Screened(flood, []), party_id=world.other.id)
    listed = watchlist(record, Actor(world.own))
    held = {oid for oid in listed.actors if oid.startswith("intrusion-set--00000000")}
    assert held == {flood[0]["id"], flood[1]["id"], flood[2]["id"]}  # 4 names each: 12
    assert listed.left_out == 7
    assert listed.screen("Gothic Panda")[0].match.id == APT3  # the operator's own share
    assert listed.screen("Front 0 alias 1")[0].match.id == flood[0]["id"]
    # Said with each screening: a name that matches nothing may be one of those left out.
    said = client.get(f"{API}/screen", params={"name": "Front 9"}).json()
    assert said["actors_left_out"] == 7
    batch = client.post(f"{API}/screen", json={"names": ["Front 9", "Front 8"]}).json()
    assert [b["actors_left_out"] for b in batch] == [7, 7]
    # An actor left out, re-versioned, is caught up with and still left out once: the count
    # grew with each new version of it.
    for second in (10, 11):
        store(world.node.engine, world.evidence, Screened([_intrusion_set(
            flood[9]["id"], "Front 9", ["Front 9 alias 0"],
            f"2021-01-01T00:00:{second}.500Z")], []), party_id=world.other.id)
        assert watchlist(record, Actor(world.own)) is listed  # caught up, not rebuilt
        assert listed.left_out == 7
    # The node's operator's imports (ATT&CK, a feed) are its own tooling's: no share.
    operator = [_intrusion_set(f"intrusion-set--00000000-0000-4000-8001-{n:012d}",
                               f"Imported {n}", [f"Imported {n} alias {a}" for a in range(3)],
                               f"2021-02-01T00:00:{n:02d}.000Z") for n in range(10)]
    store(world.node.engine, world.evidence, Screened(operator, []), party_id=world.own.id,
          operator=True)
    rebuilt = watchlist(record, Actor(world.own))
    assert {o["id"] for o in operator} <= set(rebuilt.actors)


def test_a_designation_made_reads_the_designations_again_not_every_actor(world, record,
                                                                       monkeypatch):
    # Any party's designation, made or lifted, made every party's next screening rebuild its
    # list whole, every actor it may read again: 20 to 40 s with many actors.
    from accord.screening import matcher

    us = Actor(world.own)
    before = watchlist(record, us)
    built = []
    real = matcher.Screener.__init__

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(args)
        real(self, *args, **kwargs)

    monkeypatch.setattr(matcher.Screener, "__init__", counted)
    made = record.designate(us, DesignationDraft("Sun Kailiang", "individual", "E.O. 13694"))
    after = watchlist(record, us)
    assert after is before and not built
    assert after.screen("Sun Kailiang")[0].match.id == made.id
    assert after.screen("Gothic Panda")[0].match.id == APT3
    record.lift(us, made.id, "Delisted.")
    assert watchlist(record, us) is before and not built
    assert not any(h.match.match for h in before.screen("Sun Kailiang"))


def test_a_copy_of_an_actor_under_its_id_elsewhere_hides_nothing(world, record):
    # A hostile finding: China re-posted ATT&CK's actor under its id, renamed, into another
    # collection; the list kept one copy an id (the first collection's) and the actor's real
    # names found nothing for any party. Each copy is screened now, in its poster's name.
    from accord.trust.access import Grant

    us = Actor(world.own)
    shared = world.node.directory.create_collection(
        "Shared", alias="shared", read=[world.own, world.other], write=[world.other])
    before = watchlist(record, us)  # built, then caught up with the copy
    store(world.node.engine, shared, Screened([_intrusion_set(
        APT3, "Harmless Research Lab", ["Harmless Research Lab"],
        "2017-05-31T21:31:48.664Z")], []), party_id=world.other.id)
    assert watchlist(record, us) is before  # taken in without a rebuild
    for _ in range(2):
        [real, *_] = watchlist(record, us).screen("Gothic Panda")
        assert (real.match.id, real.match.match, real.listed_by) == (APT3, True, world.own.id)
        assert real.collection == world.evidence  # where this copy is: the same id is twice
    [copy, *_] = watchlist(record, us).screen("Harmless Research Lab")
    assert (copy.match.id, copy.match.name, copy.listed_by) == (
        APT3, "Harmless Research Lab", world.other.id)
    assert copy.collection == shared
    assert copy.as_json()["collection_id"] == shared.id
    assert copy.as_json()["collection_title"] == "Shared"
    # China's own list, reading both collections, holds both copies too.
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    assert watchlist(record, Actor(world.other)).screen("Buckeye")[0].match.id == APT3


def test_a_name_of_spaces_alone_is_refused_not_screened(client):
    answered = client.get(f"{API}/screen", params={"name": "   "})
    assert answered.status_code == 400 and "it is empty" in answered.json()["title"]
