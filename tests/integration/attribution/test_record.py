"""The attribution record on a real store: claims, positions, designations, and who sees them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from accord.attribution.reading import AttributionError, NoSuchClaim, NoSuchDesignation
from accord.attribution.record import AttributionRecord, ClaimDraft, DesignationDraft
from accord.cooperation.desk import Actor
from accord.intake import Screened, store
from accord.store.record_reads import ids_filed_under

T0 = datetime(2015, 9, 1, 9, 0, tzinfo=UTC)
APT19 = "intrusion-set--18854f55-ac7c-4634-bd9a-352dd07613b7"
CAMPAIGN = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
EVIDENCE = "indicator--00000000-0000-4000-8000-000000000001"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def record(world):
    shared = world.node.directory.create_collection(
        "ATT&CK", alias="attack", read=[world.own, world.other], write=[world.own])
    store(world.node.engine, shared, Screened([
        {"type": "intrusion-set", "spec_version": "2.1", "id": APT19, "name": "APT19",
         "created": "2017-05-31T21:31:58.518Z", "modified": "2017-05-31T21:31:58.518Z"},
        {"type": "campaign", "spec_version": "2.1", "id": CAMPAIGN, "name": "OPM intrusions",
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z"},
        {"type": "indicator", "spec_version": "2.1", "id": EVIDENCE,
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
         "valid_from": "2015-06-01T00:00:00Z"},
    ], []), party_id=world.own.id, operator=True)
    return AttributionRecord(world.node, Clock())


@pytest.fixture
def us(world):
    return Actor(world.own)


@pytest.fixture
def cn(world):
    return Actor(world.other)


def draft(**changes):
    fields = dict(subject=CAMPAIGN, attributed_to=(APT19,), sponsor="cn",
                  basis=("technical-forensics", "indictment"), confidence=80,
                  summary="The OPM intrusions are APT19's work.", evidence=(EVIDENCE,))
    return ClaimDraft(**{**fields, **changes})


def test_a_claim_denied_by_the_accused_stands_contested_on_both_sides(record, us, cn):
    made = record.claim(us, draft())
    assert made.status == "uncontested" and made.claim.sponsor == "CN"
    denied = record.respond(cn, made.claim.id, "deny", "China opposes groundless accusations.",
                            basis=("government-statement",))
    assert denied.status == "contested"
    assert denied.reason == ("Contested: United States (US-CERT) asserts it, but "
                             "China (CNCERT/CC) denies it.")
    assert record.standing(us, made.claim.id) == denied
    view = record.subject(us, CAMPAIGN)
    assert view.status == "contested" and view.claims == (denied,)
    assert record.names_in(us, view.claims)[APT19] == "APT19"


def test_a_position_changes_and_the_history_is_kept(record, us, cn):
    claim_id = record.claim(us, draft()).claim.id
    record.respond(cn, claim_id, "deny", "No.")
    later = record.respond(cn, claim_id, "neutral", "We are looking into it.")
    assert [s.position for s in later.stands] == ["agree", "neutral"]
    assert [p.position for p in later.history] == ["deny", "neutral"]


def test_a_claim_shared_with_nobody_else_is_invisible_to_others(record, world, us, cn):
    made = record.claim(us, draft(share_with=(world.own.id,)))
    assert record.claims(cn) == []
    with pytest.raises(NoSuchClaim) as refused:
        record.respond(cn, made.claim.id, "deny", "No.")
    with pytest.raises(NoSuchClaim) as unknown:
        record.respond(cn, "x-accord-claim--00000000-0000-4000-8000-000000000000", "deny", "No.")
    # The same words whether the claim exists or not, but for its id.
    assert str(refused.value).replace(made.claim.id, "X") == \
        str(unknown.value).replace("x-accord-claim--00000000-0000-4000-8000-000000000000", "X")
    assert record.subject(cn, CAMPAIGN).reason == "No party attributes this activity."


def test_a_claim_may_point_only_at_what_its_maker_may_read(record, world, us):
    hidden = world.node.directory.create_collection("Ours", read=[world.own], write=[world.own])
    secret = "indicator--00000000-0000-4000-8000-000000000002"
    store(world.node.engine, hidden, Screened([{
        "type": "indicator", "spec_version": "2.1", "id": secret,
        "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.8']", "pattern_type": "stix",
        "valid_from": "2015-06-01T00:00:00Z"}], []), party_id=world.own.id)
    cn = Actor(world.other)
    with pytest.raises(AttributionError, match="evidence: no object you may read"):
        record.claim(cn, draft(evidence=(secret,)))


@pytest.mark.parametrize(("changes", "words", "about"), [
    ({"basis": ("hunch",)}, "basis 'hunch' is not one of", ("basis",)),
    ({"basis": ()}, "basis: name at least one of", ("basis",)),
    ({"confidence": 101}, "confidence 101 is not between 0 and 100", ("confidence",)),
    ({"summary": " "}, "summary: say in words", ("summary",)),
    ({"sponsor": "China"}, "ISO 3166-1 alpha-2", ("sponsor",)),
    ({"attributed_to": (), "sponsor": None}, "attributes the activity to someone",
     ("attributed_to", "sponsor")),
    ({"attributed_to": (EVIDENCE,)}, "not an id of an intrusion-set", ("attributed_to",)),
    ({"subject": EVIDENCE}, "is not an id of an incident", ("subject",)),
    ({"evidence": (EVIDENCE[:-4] + "dead",)}, "evidence: no object you may read",
     ("evidence",)),
    ({"share_with": ("Atlantis",)}, "no party 'Atlantis'", ("share_with",)),
])
def test_a_malformed_claim_is_refused_in_words_naming_its_field(record, us, changes, words,
                                                                about):
    with pytest.raises(AttributionError, match=words) as refused:
        record.claim(us, draft(**changes))
    assert refused.value.about == about


def refused_about(act) -> tuple[str, ...]:
    """The fields the record's refusal of `act` is about, in its own names."""
    with pytest.raises(AttributionError) as refused:
        act()
    return refused.value.about


def test_a_position_or_a_designation_refused_names_the_field_it_is_about(record, world, us,
                                                                         cn):
    made = record.claim(us, draft())
    assert refused_about(lambda: record.respond(cn, made.claim.id, "deny", " ")) == ("text",)
    assert refused_about(lambda: record.respond(cn, made.claim.id, "deny", "No.",
                                                competing_claim=made.claim.id)) == (
        "competing_claim",)

    def designate(**changes):
        return lambda: record.designate(us, replace(DesignationDraft(
            "Wang Dong", "individual", "E.O. 13694"), **changes))

    assert refused_about(designate(name=" ")) == ("name",)
    assert refused_about(designate(name="...")) == ("name",)
    assert refused_about(designate(aliases=("UglyGorilla", "..."))) == ("aliases",)
    assert refused_about(designate(legal_basis=" ")) == ("legal_basis",)
    assert refused_about(designate(kind="robot")) == ("kind",)
    assert refused_about(designate(designated=T0 + timedelta(days=400))) == ("designated",)
    hidden = record.claim(us, draft(share_with=(world.own.id,)))
    assert refused_about(designate(claims=(hidden.claim.id,))) == ("share_with", "claims")
    designation = record.designate(us, DesignationDraft("Wang Dong", "individual", "E.O."))
    assert refused_about(lambda: record.amend(us, designation.id)) == (
        "aliases", "programme", "legal_basis")
    assert refused_about(lambda: record.amend(us, designation.id, aliases=("Wang Dong",))) \
        == ("aliases",)
    assert refused_about(lambda: record.amend(us, designation.id, legal_basis=" ")) == (
        "legal_basis",)
    assert refused_about(lambda: record.lift(us, designation.id, " ")) == ("reason",)
    # Whose the designation is, or what became of it, is no field's.
    assert refused_about(lambda: record.lift(cn, designation.id, "Not ours.")) == ()


def test_a_designation_cites_only_what_every_reader_of_it_may_read(record, world, us, cn):
    # A claim the US keeps to itself, cited by a designation every party reads, would tell
    # China the claim exists (its id); refused, and a designation citing it kept to the US.
    hidden = record.claim(us, draft(share_with=(world.own.id,)))
    with pytest.raises(AttributionError, match="not shared with China"):
        record.designate(us, DesignationDraft("Wang Dong", "individual", "E.O. 13694",
                                              claims=(hidden.claim.id,)))
    kept = record.designate(us, DesignationDraft("Wang Dong", "individual", "E.O. 13694",
                                                 claims=(hidden.claim.id,),
                                                 share_with=(world.own.id,)))
    assert [d.claims for d in record.designations(us)] == [(hidden.claim.id,)]
    assert record.designations(cn) == [] and kept.claims == (hidden.claim.id,)
    # One stored otherwise (over TAXII, from a peer) shows a reader only what it may read.

    from accord.attribution.objects import designation_to_stix
    from accord.attribution.record import _marked

    shown = replace(kept, id="x-accord-designation--5d2b7c2e-5b0a-4f8e-9d7c-1b6f3e2a9c41")
    record.desk.admit(record.desk.collection(), [world.other.id])
    store(world.node.engine, record.desk.collection(), Screened([_marked(
        designation_to_stix(shown), world.own.id, [world.other.id])], []),
        party_id=world.own.id)
    assert [d.claims for d in record.designations(cn)] == [()]
    # A page of them holds the same: what a reader may not read is neither listed nor cited.
    page, following = record.designations_page(cn, limit=5)
    assert [(d.id, d.claims) for d in page] == [(shown.id, ())] and following is None
    assert [d.id for d in record.designations_page(us, limit=5)[0]] == [shown.id, kept.id]


def test_designations_are_paged_back_in_time_as_the_whole_list_gives_them(record, world,
                                                                           us, cn):
    made = [record.designate(us if n % 2 else cn, DesignationDraft(
        f"Firm {n}", "organization", "E.O. 13694")).id for n in range(5)]
    record.amend(us, made[1], aliases=("Firm One",))
    whole = [d.id for d in record.designations(cn)]
    assert whole == [made[1], made[4], made[3], made[2], made[0]]
    paged, after = [], None
    while True:
        page, after = record.designations_page(cn, limit=2, after=after)
        assert 1 <= len(page) <= 2
        paged += [d.id for d in page]
        if after is None:
            break
    assert paged == whole


def test_what_a_position_cites_is_shown_only_to_those_who_may_read_it(record, world, us, cn):
    # China answers a claim every party reads, citing a claim it keeps to itself: the US reads
    # the position, not the id of what it may not read.
    made = record.claim(us, draft())
    own = record.claim(cn, draft(share_with=(world.other.id,)))
    record.respond(cn, made.claim.id, "deny", "Ours is the right one.",
                   competing_claim=own.claim.id)
    [theirs] = [s for s in record.standing(us, made.claim.id).stands if not s.is_claimant]
    [mine] = [s for s in record.standing(cn, made.claim.id).stands if not s.is_claimant]
    assert theirs.competing_claim is None and mine.competing_claim == own.claim.id


def test_a_designation_is_lifted_by_a_new_version_by_its_maker_only(record, us, cn):
    made = record.designate(us, DesignationDraft(
        "Wang Dong", "individual", "Executive Order 13694", aliases=("王东", "UglyGorilla"),
        programme="CYBER2"))
    assert [d.name for d in record.designations(cn)] == ["Wang Dong"]
    with pytest.raises(AttributionError, match="only it may lift it"):
        record.lift(cn, made.id, "Not ours to keep.")
    lifted = record.lift(us, made.id, "Delisted after review.")
    assert not lifted.is_in_force
    assert record.designations(cn)[0].lift_reason == "Delisted after review."
    with pytest.raises(NoSuchDesignation):
        record.lift(us, "x-accord-designation--00000000-0000-4000-8000-000000000000", "x")


def test_a_request_cites_a_claim_and_the_response_answers_it_with_a_position(record, us, cn):
    from accord.cooperation.desk import Draft

    claim_id = record.claim(us, draft()).claim.id
    desk = record.desk
    view = desk.create(us, Draft("China (CNCERT/CC)", "information", "intrusion", "priority",
                                 "Act on the attribution of the OPM intrusions",
                                 evidence=(claim_id,)))
    assert view.request.evidence == (claim_id,)
    assert desk.evidence_hidden_from_addressee(view) == []
    denial = record.respond(cn, claim_id, "deny", "Counter-evidence attached.",
                            evidence=(EVIDENCE,))
    position_id = denial.history[-1].id
    desk.acknowledge(cn, view.request.id)
    answered = desk.respond(cn, view.request.id, "information-provided",
                            "Our position on the claim, with counter-evidence.",
                            evidence=(position_id,))
    assert answered.response is not None and answered.response.evidence == (position_id,)


def test_a_designation_is_amended_by_a_new_version_and_found_by_its_new_alias(record, us, cn):
    from accord.attribution.watchlist import watchlist

    made = record.designate(us, DesignationDraft("Huang Zhenyu", "individual", "E.O. 13694"))
    with pytest.raises(AttributionError, match="only it may amend it"):
        record.amend(cn, made.id, aliases=("黄振宇",))
    with pytest.raises(AttributionError, match="already has the alias 'Huang Zhenyu'"):
        record.amend(us, made.id, aliases=("Huang Zhenyu",))
    amended = record.amend(us, made.id, aliases=("黄振宇",), programme="CYBER2")
    assert amended.aliases == ("黄振宇",) and amended.modified > made.modified
    assert record.designations(cn)[0].programme == "CYBER2"
    assert watchlist(record, cn).screen("黄振宇")[0].match.id == made.id
    # What the designation already says is no amendment: no new version, shown to its readers
    # as one.
    for same in ({"programme": "CYBER2"}, {"programme": " CYBER2 "},
                 {"legal_basis": "E.O. 13694"}, {"aliases": ("黄振宇",)}):
        with pytest.raises(AttributionError, match="nothing to amend"):
            record.amend(us, made.id, **same)
    cleared = record.amend(us, made.id, programme="")  # "" takes the programme away
    assert cleared.programme is None
    with pytest.raises(AttributionError, match="already says that"):
        record.amend(us, made.id, programme="")


def test_claims_marked_for_others_stay_hidden_over_taxii(client, record, world, us):
    from accord.trust.access import Grant

    made = record.claim(us, draft(share_with=(world.own.id,)))
    requests = record.desk.collection()
    world.node.directory.grant(requests.id, world.other, Grant(True, True))
    r = client.get(f"/taxii2/accord/collections/{requests.id}/objects/",
                   params={"match[type]": "x-accord-claim,opinion,relationship"},
                   headers={"Authorization": f"Bearer {world.other_token}"})
    assert r.status_code == 200 and "objects" not in r.json()
    one = client.get(f"/taxii2/accord/collections/{requests.id}/objects/{made.claim.id}/",
                     headers={"Authorization": f"Bearer {world.other_token}"})
    assert one.status_code == 404


def test_the_designee_is_a_standard_stix_identity_too(record, world, us):
    made = record.designate(us, DesignationDraft("Wu Yingzhuo", "individual", "Indictment",
                                                 aliases=("Wu Ying Zhuo",)))
    assert made.identity is not None and made.identity.startswith("identity--")
    readable = record.desk.readable_by(world.other.id, [made.identity])
    assert readable == {made.identity}


OTHER_SUBJECT = "campaign--0b6c2a52-2d52-4d0f-9a43-3f8a5d1f6a10"


def test_a_view_reads_only_the_claims_and_positions_filed_under_it(record, world, us, cn,
                                                                   monkeypatch):
    store(world.node.engine, world.node.directory.collection("attack"), Screened([
        {"type": "campaign", "spec_version": "2.1", "id": OTHER_SUBJECT, "name": "Other",
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z"}],
        []), party_id=world.own.id, operator=True)
    here = record.claim(us, draft()).claim.id
    record.respond(cn, here, "deny", "No.")
    there = [record.claim(us, draft(subject=OTHER_SUBJECT)).claim.id for _ in range(3)]
    for claim_id in there:
        record.respond(cn, claim_id, "deny", "Not this either.")
        record.respond(cn, claim_id, "neutral", "Looking into it.")
    read: list[str] = []
    page = world.node.objects.page

    def counted(collection_id, query):  # type: ignore[no-untyped-def]
        found = page(collection_id, query)
        read.extend(item.id for item in found.items)
        return found

    monkeypatch.setattr(world.node.objects, "page", counted)
    view = record.subject(cn, CAMPAIGN)
    assert [s.claim.id for s in view.claims] == [here]
    assert [p.position for p in view.claims[0].history] == ["deny"]
    assert set(read) == {here, *(p.id for p in view.claims[0].history)}
    read.clear()
    assert [p.position for p in record.standing(us, there[0]).history] == ["deny", "neutral"]
    assert len(read) == 3  # the claim, and its position's two versions
    # Every claim, with no subject named: the whole record, as before.
    assert {s.claim.id for s in record.claims(us)} == {here, *there}
    assert [s.claim.id for s in record.claims(us, OTHER_SUBJECT)] == \
        sorted(there, key=lambda i: [s.claim.id for s in record.claims(us)].index(i))


def test_the_record_stored_before_its_index_is_filed_by_the_migration(db_url):
    from tests.integration.store.migrating import upgrade

    from accord.attribution.model import Claim, Position
    from accord.attribution.objects import claim_to_stix, position_to_stix
    from accord.store.engine import open_engine, writing
    from accord.store.schema import collections, objects

    claim = Claim("x-accord-claim--5d0b1c2e-3f4a-4b5c-8d6e-7f8091a2b3c4",
                  "identity--00000000-0000-4000-8000-000000000001", T0, CAMPAIGN, (APT19,),
                  None, ("technical-forensics",), 80, "APT19's work.", ())
    position = Position("opinion--6f4c1e3a-9a7b-4f4e-8d1e-0c2b3a4d5e6f",
                        "identity--00000000-0000-4000-8000-000000000002", T0, claim.id, "deny",
                        "No.", (), (), None)
    plain = {"type": "opinion", "spec_version": "2.1", "id": "opinion--" + "1" * 8 + "-1111-4111"
             "-8111-" + "1" * 12, "created": "2016-01-01T00:00:00.000Z",
             "modified": "2016-01-01T00:00:00.000Z", "opinion": "agree",
             "object_refs": [claim.id]}
    engine = open_engine(db_url)
    try:
        upgrade(engine, "0029")
        with writing(engine) as conn:
            conn.execute(collections.insert().values(id="c1", title="C", description="",
                                                     created="2020-01-01T00:00:00Z"))
            for n, obj in enumerate([claim_to_stix(claim), position_to_stix(position), plain]):
                conn.execute(objects.insert().values(
                    collection_id="c1", id=obj["id"], type=obj["type"], spec_version="2.1",
                    version=obj["modified"], version_key=f"k{n}",
                    date_added=f"2020-01-01T00:00:0{n}.000000Z", is_latest=True,
                    body=orjson.dumps(obj)))
        upgrade(engine, "head")
        assert ids_filed_under(engine, "c1", [CAMPAIGN]) == [claim.id]
        # The position, not the opinion that carries none.
        assert ids_filed_under(engine, "c1", [claim.id]) == [position.id]
        assert ids_filed_under(engine, "elsewhere", [CAMPAIGN]) == []
    finally:
        engine.dispose()


def test_many_claims_on_a_subject_are_read_a_block_at_a_time_in_the_order_made(
        record, world, us, cn, monkeypatch):
    import accord.store.record_reads as module

    monkeypatch.setattr(module, "BLOCK", 2)  # blocks of two ids, as of 1,000 on a node
    made = [record.claim(us if n % 2 else cn, draft(confidence=50 + n)).claim.id
            for n in range(7)]
    assert [s.claim.id for s in record.claims(us, CAMPAIGN)] == made
    assert [s.claim.id for s in record.claims(us)] == made
    paged, after = [], None
    while True:
        page, after = record.claims_page(us, CAMPAIGN, limit=3, after=after)
        assert len(page) <= 3
        paged += [s.claim.id for s in page]
        if after is None:
            break
    assert paged == made
    # A claim on the subject posted to another collection is no part of the record.
    from accord.attribution.model import Claim
    from accord.attribution.objects import claim_to_stix

    elsewhere = Claim("x-accord-claim--0f0e0d0c-0b0a-4909-8807-060504030201", world.own.id,
                      T0, CAMPAIGN, (APT19,), None, ("media-report",), 10, "Elsewhere.", ())
    store(world.node.engine, world.node.directory.collection("attack"),
          Screened([claim_to_stix(elsewhere)], []), party_id=world.own.id, operator=True)
    assert [s.claim.id for s in record.claims(us, CAMPAIGN)] == made
    assert elsewhere.id not in ids_filed_under(world.node.engine, record.desk.collection().id,
                                               [CAMPAIGN])
