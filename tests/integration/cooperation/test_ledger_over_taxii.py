"""A request's ledger holds against the parties to it writing over TAXII, where the desk's
checks do not run: no party moves its deadlines, times its own acts, deletes an entry, ends a
request for the watcher in another's name, or files an entry where the others cannot read it;
and a token without the liaison role acts over TAXII no more than through the REST API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient
from tests.integration.cooperation.test_desk import EVIDENCE

from accord.app import create_app
from accord.clock import now as utc_now
from accord.cooperation.arrivals import act_receipt_id
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.escalating import escalation_id, watch
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import (
    Acknowledgement,
    ActReceipt,
    Entry,
    Escalation,
    Rating,
    Receipt,
    Response,
    Withdrawal,
)
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked, receipt_id
from accord.store.schema import ledger, objects
from accord.trust.access import Grant
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


@pytest.fixture
def case(world):
    """US-CERT asks CNCERT/CC, sharing the request with JPCERT/CC; each has a liaison token."""
    third = world.node.directory.add_party("Japan (JPCERT/CC)")
    desk = Desk(world.node)
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    view = desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                               "urgent", "Who runs the C2 server?",
                                               evidence=(EVIDENCE["id"],),
                                               shared_with=(third.name,)))
    return _Case(world, desk, view, third,
                 world.node.directory.create_token(third, role="liaison"))


class _Case:
    def __init__(self, world: Any, desk: Desk, view: RequestView, third: Any,
                 third_token: str) -> None:
        self.world, self.desk, self.view, self.third = world, desk, view, third
        self.third_token = third_token
        self.request = view.request

    def entry(self, entry: Entry) -> dict[str, Any]:
        return marked(to_stix(entry), entry.party, self.request)

    def now_view(self) -> RequestView:
        return self.desk.view(Actor(self.world.own), self.request.id)


@contextmanager
def taxii(world, token: str) -> Iterator[TestClient]:
    with TestClient(create_app(world.node), base_url="http://testserver") as client:
        client.headers.update({"Authorization": f"Bearer {token}", "Accept": TAXII})
        yield client


def post(client: TestClient, objects: list[dict[str, Any]], collection: str = "requests"
         ) -> dict[str, Any]:
    answer = client.post(f"{ROOT}collections/{collection}/objects/",
                         content=orjson.dumps({"objects": objects}),
                         headers={"Content-Type": TAXII})
    assert answer.status_code == 202, answer.text
    return answer.json()


def failures(status: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["message"] for f in status.get("failures", [])}


def some_id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def test_the_addressee_cannot_post_a_receipt_that_moves_its_deadlines(case):
    world, request, before = case.world, case.request, case.view
    forged = case.entry(Receipt(
        some_id("x-accord-receipt"), request.id, world.other.id, request.created,
        received=request.created + timedelta(microseconds=1),
        acknowledge_by=request.created + timedelta(days=3000),
        respond_by=request.created + timedelta(days=3200), guidelines_version=1))
    with taxii(world, world.other_token) as client:
        status = post(client, [forged])
    assert status.get("success_count", 0) == 0
    assert "made by this node" in failures(status)[forged["id"]]
    after = case.now_view()
    assert (after.acknowledge_by, after.respond_by) == (before.acknowledge_by, before.respond_by)


def _backdated_ack_and_its_receipt(case) -> tuple[dict[str, Any], dict[str, Any]]:
    """The addressee's acknowledgement dated two hours before the request, and a receipt of
    it in the addressee's own name under the id the node gives that act's receipt."""
    world, request = case.world, case.request
    ack = case.entry(Acknowledgement(some_id("x-accord-acknowledgement"), request.id,
                                     world.other.id, request.created - timedelta(hours=2)))
    return ack, case.entry(ActReceipt(act_receipt_id(ack["id"]), request.id, world.other.id,
                                      request.created, act_id=ack["id"],
                                      received=request.created))


def test_the_addressee_cannot_pre_empt_the_receipt_that_times_its_act(case):
    world, request = case.world, case.request
    ack, forged = _backdated_ack_and_its_receipt(case)
    with taxii(world, world.other_token) as client:
        status = post(client, [ack, forged])
    assert set(failures(status)) == {forged["id"]}
    receipts = [e for e in case.desk.ledgers(None, [request.id])[0].entries
                if isinstance(e, ActReceipt)]
    # The node made the real one, in the requester's name, stamped on arrival.
    assert [(r.id, r.party) for r in receipts] == [(act_receipt_id(ack["id"]), world.own.id)]
    view = case.now_view()
    assert view.acknowledged_at == receipts[0].received and view.backdated == (ack["id"],)


def test_no_party_deletes_an_entry_of_the_ledger(case):
    world, request = case.world, case.request
    ack = case.entry(Acknowledgement(some_id("x-accord-acknowledgement"), request.id,
                                     world.other.id, utc_now()))
    with taxii(world, world.other_token) as client:
        assert post(client, [ack])["success_count"] == 1
        for entry_id in (receipt_id(request.id), ack["id"]):
            answer = client.delete(f"{ROOT}collections/requests/objects/{entry_id}/")
            assert answer.status_code == 403, answer.text
            assert "append-only" in answer.json()["description"]
    with taxii(world, world.admin_token) as client:
        answer = client.delete(f"{ROOT}collections/requests/objects/{request.id}/")
        assert answer.status_code == 403
    view = case.now_view()
    assert view.received is not None and view.acknowledged_at is not None


@pytest.mark.parametrize("forged_by", ["third", "addressee"])
def test_a_request_is_escalated_whoever_else_claims_to_have_ended_it(case, forged_by):
    world, request = case.world, case.request
    if forged_by == "third":  # a response in the name of a party only shared with
        maker, token = case.third.id, case.third_token
        forged = case.entry(Response(some_id("x-accord-response"), request.id, maker,
                                     utc_now(), text="nothing to see"))
    else:  # a withdrawal, which only the requester may make
        maker, token = world.other.id, world.other_token
        forged = case.entry(Withdrawal(some_id("x-accord-withdrawal"), request.id, maker,
                                       utc_now(), reason="gone"))
    with taxii(world, token) as client:
        post(client, [forged])
    assert case.desk.ledgers(None, [request.id])[0].entries  # stored, but it counts for nothing
    later = Desk(world.node, lambda: case.view.acknowledge_by + timedelta(minutes=1))
    made = watch(later)
    assert escalation_id(request.id, "acknowledgement-overdue") in made


def test_an_entry_filed_outside_the_requests_collection_is_refused(case):
    world, request = case.world, case.request
    evidence = world.node.directory.collection("evidence")
    world.node.directory.grant(evidence.id, world.other, Grant(can_read=True, can_write=True))
    response = case.entry(Response(some_id("x-accord-response"), request.id, world.other.id,
                                   utc_now(), text="the answer, where only we read it"))
    with taxii(world, world.other_token) as client:
        status = post(client, [response], collection=evidence.id)
    assert "post them to the collection 'requests'" in failures(status)[response["id"]]
    assert case.now_view().answered_at is None


def test_an_analyst_token_does_not_act_over_taxii(case):
    world, request = case.world, case.request
    analyst = world.node.directory.create_token(world.other, role="analyst", name="Analyst")
    ack = case.entry(Acknowledgement(some_id("x-accord-acknowledgement"), request.id,
                                     world.other.id, utc_now()))
    with taxii(world, analyst) as client:
        status = post(client, [ack])
    assert "take the liaison role" in failures(status)[ack["id"]]
    assert case.now_view().acknowledged_at is None


def test_a_peer_s_receipt_counts_only_in_the_name_of_the_party_it_receipts_for(case):
    """What a peer's node delivers is checked against the request held here: a receipt by
    the addressee, an act receipt by the act's receiver. (A hosted party posts none at all.)"""
    from accord.cooperation.receipts import why_not_receipt

    world, request = case.world, case.request
    ack_id = some_id("x-accord-acknowledgement")
    by_actor = case.entry(ActReceipt(act_receipt_id(ack_id), request.id, world.other.id,
                                     request.created, act_id=ack_id, received=request.created))
    by_receiver = case.entry(ActReceipt(act_receipt_id(ack_id), request.id, world.own.id,
                                        request.created, act_id=ack_id,
                                        received=request.created))
    receipt = case.entry(Receipt(some_id("x-accord-receipt"), request.id, case.third.id,
                                 request.created, received=request.created,
                                 acknowledge_by=request.created, respond_by=request.created,
                                 guidelines_version=1))
    elsewhere = dict(by_actor, request_ref="x-accord-request--00000000-0000-4000-8000-000000000000")
    with world.node.engine.connect() as conn:
        assert world.own.id in why_not_receipt(conn, by_actor)
        assert why_not_receipt(conn, by_receiver) is None
        assert world.other.id in why_not_receipt(conn, receipt)  # only the addressee's
        assert why_not_receipt(conn, elsewhere) is None  # no request here to tell by


def test_a_peer_s_second_receipt_or_one_before_the_request_is_refused(case):
    """The addressee's node delivered a second receipt, `received` a second earlier (so that
    it counted) and deadlines in 2027: the deadlines moved, the watcher never escalated; one
    received in 2025 took the request out of its review period."""
    from accord.cooperation.receipts import why_not_receipt

    world, request = case.world, case.request
    before = case.now_view()
    assert before.received is not None  # this node made the first, as the addressee's

    def receipt(received, days: int = 0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return case.entry(Receipt(some_id("x-accord-receipt"), request.id, world.other.id,
                                  received, received=received,
                                  acknowledge_by=received + timedelta(days=1 + days),
                                  respond_by=received + timedelta(days=7 + days),
                                  guidelines_version=1))

    second = receipt(before.received - timedelta(seconds=1), days=300)
    with world.node.engine.connect() as conn:
        assert "was received already" in why_not_receipt(conn, second)
        # The first of a request (on the requester's node, say): sane times only. (Its
        # receipt taken out of the ledger's index for the while, and put back.)
        conn.rollback()
        conn.execute(ledger.delete().where(ledger.c.request_id == request.id,
                                           ledger.c.type == "x-accord-receipt"))
        early = receipt(request.created - timedelta(days=400))
        assert "before the request was made" in why_not_receipt(conn, early)
        assert why_not_receipt(conn, receipt(request.created + timedelta(seconds=2))) is None
        conn.rollback()


def test_the_ledger_counts_no_receipt_of_before_the_request_and_the_earliest_deadlines(case):
    world, request, before = case.world, case.request, case.view
    moved = Receipt(some_id("x-accord-receipt"), request.id, world.other.id,
                    request.created - timedelta(days=400),
                    received=request.created - timedelta(days=400),
                    acknowledge_by=request.created + timedelta(days=3000),
                    respond_by=request.created + timedelta(days=3200), guidelines_version=1)
    later = Receipt(some_id("x-accord-receipt"), request.id, world.other.id,
                    before.received - timedelta(seconds=1),
                    received=before.received - timedelta(seconds=1),
                    acknowledge_by=before.acknowledge_by + timedelta(days=30),
                    respond_by=before.respond_by + timedelta(days=30), guidelines_version=1)
    ledger_ = case.desk.ledgers(None, [request.id])[0]
    view = derive(replace(ledger_, entries=(*ledger_.entries, moved, later)), before.as_of)
    assert view.received == later.received  # the earliest that is not before the request
    assert (view.acknowledge_by, view.respond_by) == (before.acknowledge_by, before.respond_by)


def _stored_before(case, entry: dict[str, Any]) -> None:
    """`entry` stored as it stood before what it receipts arrived: a page pulled from a peer,
    or a peer's post, before the request (or the act) was here to check it against."""
    case.world.node.objects.add(case.desk.collection().id, [entry],
                                poster_id=entry["created_by_ref"])


def test_a_receipt_stored_before_its_request_does_not_stop_the_addressee_s(case):
    world = case.world
    request = replace(case.request, id=some_id("x-accord-request"), created=utc_now())
    far = request.created + timedelta(days=3000)
    squat = marked(to_stix(Receipt(receipt_id(request.id), request.id, world.own.id,
                                   request.created, received=request.created,
                                   acknowledge_by=far, respond_by=far, guidelines_version=1)),
                   world.own.id, request)
    _stored_before(case, squat)
    with taxii(world, world.admin_token) as client:
        assert post(client, [marked(to_stix(request), world.own.id, request)])[
            "success_count"] == 1

    receipts = [e for e in case.desk.ledgers(None, [request.id])[0].entries
                if isinstance(e, Receipt)]
    made = [r for r in receipts if r.party == world.other.id]
    assert len(made) == 1 and made[0].id != squat["id"]
    view = case.desk.view(Actor(world.own), request.id)
    assert view.received == made[0].received
    assert view.acknowledge_by == made[0].acknowledge_by < far


def test_a_receipt_stored_before_its_act_does_not_stop_the_receiver_s(case):
    world, request = case.world, case.request
    ack, squat = _backdated_ack_and_its_receipt(case)
    _stored_before(case, squat)
    with taxii(world, world.other_token) as client:
        assert post(client, [ack])["success_count"] == 1

    receipts = [e for e in case.desk.ledgers(None, [request.id])[0].entries
                if isinstance(e, ActReceipt) and e.party == world.own.id]
    assert len(receipts) == 1 and receipts[0].id != squat["id"]
    view = case.now_view()
    # Timed by its arrival here, not by the `created` it was backdated to.
    assert view.acknowledged_at == receipts[0].received and view.backdated == (ack["id"],)


def _ack(case) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return to_stix(Acknowledgement(some_id("x-accord-acknowledgement"), case.request.id,
                                   case.world.other.id, utc_now()))


@pytest.mark.parametrize("marking", ["none", "green", "requester-only"])
def test_an_act_the_other_parties_could_not_read_is_refused(case, marking):
    # Stored, an acknowledgement only its maker reads would make the request acknowledged, on
    # time, in the addressee's view and review, and not in the requester's.
    world = case.world
    ack = _ack(case)
    if marking == "green":
        ack = {**case.entry(Acknowledgement(ack["id"], case.request.id, world.other.id,
                                            utc_now())),
               "object_marking_refs": [MARKING_FOR[Tlp.GREEN]]}
    elif marking == "requester-only":
        ack["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
        ack["extensions"] = {**ack["extensions"], ACCORD_MARKING_EXTENSION: {
            "extension_type": "property-extension", "recipients": [world.own.id]}}
    with taxii(world, world.other_token) as client:
        status = post(client, [ack])
    said = failures(status)[ack["id"]]
    assert ("not addressed to" in said and case.third.id in said) or "TLP:GREEN" in said
    theirs = case.desk.view(Actor(world.other), case.request.id)
    assert theirs.acknowledged_at is None and case.now_view().acknowledged_at is None


def test_an_act_marked_for_every_party_to_the_request_is_taken(case):
    world = case.world
    ack = case.entry(Acknowledgement(some_id("x-accord-acknowledgement"), case.request.id,
                                     world.other.id, utc_now()))
    with taxii(world, world.other_token) as client:
        assert post(client, [ack])["success_count"] == 1
    assert case.now_view().acknowledged_at is not None
    assert case.desk.view(Actor(world.other), case.request.id).acknowledged_at is not None


def test_an_act_of_the_other_side_is_refused_saying_whose_it_is(case):
    world, request = case.world, case.request
    rating = case.entry(Rating(some_id("x-accord-rating"), request.id, world.other.id,
                               utc_now(), response_id=some_id("x-accord-response"), score=5))
    with taxii(world, world.other_token) as client:
        status = post(client, [rating])
    assert "made by the requester" in failures(status)[rating["id"]]


def test_a_request_posted_over_taxii_reaches_its_addressee_or_is_refused(case):
    world = case.world
    request = replace(case.request, id=some_id("x-accord-request"), shared_with=())
    alone = to_stix(request)  # no recipients: only its requester would read it
    with taxii(world, world.admin_token) as client:
        status = post(client, [alone])
    assert world.other.id in failures(status)[alone["id"]]
    reaching = marked(to_stix(request), world.own.id, request)
    with taxii(world, world.admin_token) as client:
        assert post(client, [reaching])["success_count"] == 1


def _escalation(case, request_id: str) -> Escalation:  # type: ignore[no-untyped-def]
    return Escalation(some_id("x-accord-escalation"), request_id, case.world.own.id,
                      utc_now(), reason="manual", level=1)


def test_an_act_is_checked_against_the_request_held_not_a_copy_sent_beside_it(case):
    # A copy of the real request's id, naming a stranger as its addressee, sent with an
    # acknowledgement addressed to that stranger alone: the copy is refused as a different
    # object, and the acknowledgement with it.
    world, request = case.world, case.request
    stranger = "identity--00000000-0000-4000-8000-00000000beef"
    copy = replace(request, requester=stranger, addressee=world.other.id, shared_with=())
    ack = marked(to_stix(Acknowledgement(some_id("x-accord-acknowledgement"), request.id,
                                         world.other.id, utc_now())), world.other.id, copy)
    with taxii(world, world.other_token) as client:
        status = post(client, [marked(to_stix(copy), stranger, copy), ack])
    assert ack["id"] in failures(status)
    assert case.now_view().acknowledged_at is None


def test_of_two_copies_of_a_request_in_one_post_the_first_is_the_one_checked(case):
    world, third = case.world, case.third
    shared = replace(case.request, id=some_id("x-accord-request"), shared_with=(third.id,))
    lone = replace(shared, shared_with=())
    esc = marked(to_stix(_escalation(case, shared.id)), world.own.id, lone)
    with taxii(world, world.admin_token) as client:
        status = post(client, [marked(to_stix(shared), world.own.id, shared),
                               marked(to_stix(lone), world.own.id, lone), esc])
    assert third.id in failures(status)[esc["id"]]


def test_an_act_on_a_request_not_held_here_is_refused(case):
    world = case.world
    request = replace(case.request, id=some_id("x-accord-request"), shared_with=())
    esc = to_stix(_escalation(case, request.id))
    esc["object_marking_refs"] = [MARKING_FOR[Tlp.RED]]  # its maker alone would read it
    with taxii(world, world.admin_token) as client:
        status = post(client, [esc])
        assert "send it first" in failures(status)[esc["id"]]
        assert post(client, [marked(to_stix(request), world.own.id, request)]
                    )["success_count"] == 1
    theirs = case.desk.view(Actor(world.other), request.id)
    assert theirs.escalations == case.desk.view(Actor(world.own), request.id).escalations == ()


def test_an_act_also_addressed_to_an_outsider_is_refused(case):
    world = case.world
    outsider = world.node.directory.add_party("Russia (GOV-CERT.RU)")
    ack = case.entry(Acknowledgement(some_id("x-accord-acknowledgement"), case.request.id,
                                     world.other.id, utc_now()))
    marking = ack["extensions"][ACCORD_MARKING_EXTENSION]
    marking["recipients"] = [*marking["recipients"], outsider.id]
    with taxii(world, world.other_token) as client:
        status = post(client, [ack])
    assert "not a party to request" in failures(status)[ack["id"]]


def test_a_request_stored_before_its_texts_were_bounded_is_still_read_and_acted_on(case):
    # A bound holds what comes in; what was stored before it stays readable.
    world = case.world
    o = objects.c
    with world.node.engine.begin() as conn:
        body = orjson.loads(conn.execute(select(o.body).where(o.id == case.request.id)
                                         ).scalar())
        conn.execute(update(objects).where(o.id == case.request.id).values(
            body=orjson.dumps({**body, "summary": "S" * 400})))
    assert case.now_view().request.summary == "S" * 400
    case.desk.acknowledge(Actor(world.other), case.request.id, "Received.")
    assert case.now_view().acknowledged_at is not None
    assert case.request.id in {v.request.id for v in case.desk.search(Actor(world.own))}


def test_a_node_that_never_signed_takes_a_peer_s_request_at_once(world):
    # Its receipt is the node's first signature: the key was made inside the transaction
    # storing the request, and on SQLite waited 30 s for that transaction's own lock (503).
    import base64
    import time

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.cooperation.model import Request
    from accord.federation.keys import SIGNING_KEY
    from accord.intake import Screened, store
    from accord.store.peers import PeerStore

    assert world.node.directory.setting(SIGNING_KEY) is None  # nothing signed yet
    peer = world.node.directory.add_party("Russia")
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    PeerStore(world.node.engine).add("russia", "https://ru.example", "t", peer.id,
                                     base64.urlsafe_b64encode(key).decode().rstrip("="))
    desk = Desk(world.node)
    desk.admit(desk.collection(), [world.own.id, peer.id])
    made = Request(f"x-accord-request--{uuid.uuid4()}", utc_now(), peer.id, world.own.id,
                   "information", "intrusion", "urgent", "First of all")
    started = time.monotonic()
    report = store(world.node.engine, desk.collection(),
                   Screened([marked(to_stix(made), peer.id, made)], []), party_id=peer.id)
    assert time.monotonic() - started < 10
    assert [o.id for o in report.added][:1] == [made.id]
    assert desk.view(Actor(world.own), made.id).received is not None


def test_a_rating_of_a_response_its_request_does_not_hold_is_refused(world):
    from accord.cooperation.model import Rating
    from accord.intake import Screened, store

    desk = Desk(world.node)
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    us, cn = Actor(world.own), Actor(world.other)
    view = desk.create(us, Draft(world.other.name, "information", "intrusion", "urgent",
                                 "Who?", evidence=(EVIDENCE["id"],)))
    rid = view.request.id
    desk.acknowledge(cn, rid)
    answered = desk.respond(cn, rid, "information-provided", "Them.")
    assert answered.response is not None

    def rating(response_id):
        made = Rating(f"x-accord-rating--{uuid.uuid4()}", rid, world.own.id, utc_now(),
                      response_id=response_id, score=4)
        return marked(to_stix(made), world.own.id, view.request)

    nowhere = "x-accord-response--00000000-0000-4000-8000-000000000000"
    report = store(world.node.engine, desk.collection(), Screened([rating(nowhere)], []),
                   party_id=world.own.id)
    assert not report.added
    assert f"its response_ref {nowhere} is no response in the ledger of {rid}" in (
        report.rejected[0].message)
    report = store(world.node.engine, desk.collection(),
                   Screened([rating(answered.response.id)], []), party_id=world.own.id)
    assert len(report.added) == 1
    # A response and its rating in one call (a peer's page): the rating rates it.
    from accord.cooperation.model import Response

    other = desk.create(us, Draft(world.other.name, "information", "intrusion", "urgent",
                                  "And who else?", evidence=(EVIDENCE["id"],))).request
    answer = Response(f"x-accord-response--{uuid.uuid4()}", other.id, world.other.id,
                      utc_now(), outcome="information-provided", text="Nobody else.")
    rated = Rating(f"x-accord-rating--{uuid.uuid4()}", other.id, world.own.id, utc_now(),
                   response_id=answer.id, score=5)
    report = store(world.node.engine, desk.collection(), Screened([
        marked(to_stix(answer), world.other.id, other),
        marked(to_stix(rated), world.own.id, other)], []), party_id=world.own.id)
    assert not report.rejected, [r.message for r in report.rejected]
