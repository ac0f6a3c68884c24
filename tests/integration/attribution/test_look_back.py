"""A designation made (or amended) after names were stored is screened against them: the
supplier stored in March whose owner is designated in June is flagged in June, once."""

from __future__ import annotations

import orjson
import pytest

from accord.attribution import look_back as looking
from accord.attribution.arrivals import flags, screen_arrivals
from accord.attribution.look_back import LOOKED_BACK
from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.cooperation.desk import Actor
from accord.store.audit_log import AuditQuery

TAXII = "application/taxii+json;version=2.1"


def identity(name: str, n: int) -> dict:
    return {"type": "identity", "spec_version": "2.1",
            "id": f"identity--00000000-0000-4000-8000-{n:012d}", "name": name,
            "identity_class": "individual", "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z"}


def post(client, world, objects) -> None:
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": objects}),
                    headers={"Content-Type": TAXII})
    assert r.status_code == 202 and r.json()["success_count"] == len(objects), r.text


def designate(world, name: str, *aliases: str):
    return AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        name, "individual", "Indictment, 2018", aliases=aliases))


@pytest.fixture
def screened(client, world):
    """A node that screens: one designation, and names stored and screened against it."""
    designate(world, "Zhang Shilong")
    post(client, world, [identity("Zhu Hua", 1), identity("Wang Dong", 2),
                         identity("Acme Widgets", 3)])
    screen_arrivals(world.node)
    assert flags(world.node) == []
    return world


def test_a_name_stored_before_its_designation_is_flagged_when_it_comes(screened):
    world = screened
    zhu = designate(world, "Zhu Hua")
    [flag] = screen_arrivals(world.node)
    assert (flag.object_id, flag.designation_id) == (identity("", 1)["id"], zhu.id)
    assert flag.screened == "Zhu Hua" and "exactly" in flag.why
    assert screen_arrivals(world.node) == []  # once
    [record] = world.node.audit.query(AuditQuery(action="screening.hit", limit=10))
    assert record.event.object_ids == (flag.object_id,)
    assert record.event.detail == {"designations": [zhu.id], "stored_before": True}


def test_an_amendment_naming_a_stored_alias_flags_it(screened):
    world = screened
    wang = designate(world, "Liu Yang")
    assert [f.object_id for f in screen_arrivals(world.node)] == []
    AttributionRecord(world.node).amend(Actor(world.own), wang.id, aliases=("Wang Dong",))
    [flag] = screen_arrivals(world.node)
    assert (flag.object_id, flag.designation_id) == (identity("", 2)["id"], wang.id)
    assert flag.matched == "Wang Dong"


def test_what_was_flagged_on_arrival_is_not_flagged_again(client, screened):
    world = screened
    designate(world, "Li Na")
    post(client, world, [identity("Li Na", 4)])  # after the designation: flagged on arrival
    assert [f.object_id for f in flags(world.node)] == [identity("", 4)["id"]]
    assert screen_arrivals(world.node) == []  # its pass meets it too, and raises nothing
    assert len(flags(world.node)) == 1


def test_a_designation_lifted_before_its_pass_flags_nothing(screened):
    world = screened
    zhu = designate(world, "Zhu Hua")
    AttributionRecord(world.node).lift(Actor(world.own), zhu.id, "Withdrawn by the court")
    assert screen_arrivals(world.node) == [] and flags(world.node) == []
    # And the pass is over: the next designation starts its own.
    designate(world, "Wang Dong")
    assert [f.screened for f in screen_arrivals(world.node)] == ["Wang Dong"]


def test_a_pass_goes_a_window_at_a_time_and_carries_on(client, screened, monkeypatch):
    world = screened
    post(client, world, [identity("Zhu Hua", n) for n in range(10, 16)])
    screen_arrivals(world.node)
    monkeypatch.setattr(looking, "WINDOW", 3)
    designate(world, "Zhu Hua")
    seen: list[str] = []
    for _ in range(20):
        seen += [f.object_id for f in looking.look_back(world.node, max_batches=1)]
        if "target" not in orjson.loads(world.node.directory.setting(LOOKED_BACK)):
            break
    assert sorted(seen) == sorted([identity("", 1)["id"]] + [identity("", n)["id"]
                                                              for n in range(10, 16)])
    assert len(seen) == len(set(seen)) and screen_arrivals(world.node) == []


def test_a_post_does_not_look_back(client, screened):
    world = screened
    before = world.node.directory.setting(LOOKED_BACK)
    designate(world, "Zhu Hua")
    post(client, world, [identity("Someone Else", 20)])  # screened on arrival, in the POST
    assert world.node.directory.setting(LOOKED_BACK) == before
    assert flags(world.node) == []  # Zhu Hua, stored before, waits for the tick
    assert [f.screened for f in screen_arrivals(world.node)] == ["Zhu Hua"]


def test_a_name_screened_without_a_designation_made_meanwhile_is_met_by_its_pass(
        screened, monkeypatch):
    # An arrivals screening builds its list, a designation is made and its pass begins
    # (another host's tick), and only then does the screening record how far it got, having
    # screened a name the new designation names without it.
    from accord.attribution import watchlist as listing

    world = screened
    world.node.objects.add(world.evidence.id, [identity("Zhu Hua", 30)])  # not screened yet
    made = []
    build = listing.watchlist

    def meanwhile(*args, **kwargs):
        found = build(*args, **kwargs)
        if not made:  # the arrivals' list, without it; then, before they record, it comes
            made.append(designate(world, "Zhu Hua"))
            listing._cache.clear()  # the pass's list its own, as on another host
            looking.look_back(world.node)
        return found

    monkeypatch.setattr(listing, "watchlist", meanwhile)
    screen_arrivals(world.node, stored_before=False)  # screens Zhu Hua without the designation
    monkeypatch.setattr(listing, "watchlist", build)
    while "target" in orjson.loads(world.node.directory.setting(LOOKED_BACK)):
        looking.look_back(world.node)
    assert {(f.object_id, f.designation_id) for f in flags(world.node)} >= {
        (identity("", 30)["id"], made[0].id)}


def test_named_objects_are_read_a_bounded_part_at_a_time(screened, monkeypatch):
    from accord.attribution import arrivals

    world = screened
    world.node.objects.add(world.evidence.id, [identity(f"Person {n}", 40 + n)
                                               for n in range(5)])
    read: list[int] = []
    execute = type(world.node.engine.connect()).execute

    def counted(conn, statement, *args, **kwargs):
        if "objects.body" in str(statement) and "length" not in str(statement):
            read.append(1)
        return execute(conn, statement, *args, **kwargs)

    monkeypatch.setattr(type(world.node.engine.connect()), "execute", counted)
    monkeypatch.setattr(arrivals, "BODIES_AT_ONCE", 1)  # each body alone
    named = [(oid, name) for oid, _, name in arrivals.named_between(world.node, 0, 10**9)]
    assert named[-5:] == [(identity("", 40 + n)["id"], f"Person {n}") for n in range(5)]
    assert len(read) == len(named) >= 5  # one statement a body


def test_a_name_stored_under_a_removed_newest_seq_is_screened(client, screened):
    # SQLite gives a removed newest row's seq to the next row: a party posting a harmless
    # identity, waiting for its screening, removing it and posting a designated name got the
    # same seq, behind the screening's cursor, never screened (migration 0037).
    world = screened
    designate(world, "Zhu Hua")
    screen_arrivals(world.node)
    flagged = {f.object_id for f in flags(world.node)}
    harmless = identity("Harmless Trading", 50)
    post(client, world, [harmless])
    screen_arrivals(world.node)
    removed = client.delete(f"/taxii2/accord/collections/{world.evidence.id}/objects/"
                            f"{harmless['id']}/")
    assert removed.status_code == 200
    post(client, world, [identity("Zhu Hua", 51)])
    screen_arrivals(world.node)
    assert {f.object_id for f in flags(world.node)} - flagged == {identity("", 51)["id"]}
