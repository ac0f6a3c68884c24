"""The mechanism on a real store, with an injected clock: every transition and deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from accord.cooperation.desk import Actor, CooperationError, Desk, Draft, NoSuchRequest
from accord.cooperation.hotline import Hotline
from accord.cooperation.model import escalation_id
from accord.cooperation.watcher import Watcher
from accord.i18n import Refusal
from accord.store.guidelines import GuidelinesStore
from accord.store.query import ObjectQuery, Reader

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EVIDENCE = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-000000000001",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00Z",
    "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def desk(world, clock):
    return Desk(world.node, clock)


@pytest.fixture
def us(world):
    return Actor(world.own)


@pytest.fixture
def cn(world):
    return Actor(world.other)


@pytest.fixture
def evidence(world):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    return EVIDENCE["id"]


def draft(world, evidence_id, urgency="urgent", **more):
    return Draft(world.other.name, "information", "intrusion", urgency,
                 "Who runs the C2 server at 198.51.100.7?", evidence=(evidence_id,), **more)


def test_a_request_is_received_at_once_and_its_deadlines_follow_the_guidelines(
        world, desk, us, evidence):
    view = desk.create(us, draft(world, evidence))
    assert view.state == "submitted"
    assert view.received == T0  # the addressee's node stored it now
    assert view.acknowledge_by == T0 + timedelta(hours=24)
    assert view.respond_by == T0 + timedelta(days=3)
    assert [e.type for e in view.timeline] == ["created", "received"]


def test_a_request_missing_required_content_is_refused_naming_what_is_missing(world, desk, us):
    with pytest.raises(ValueError, match="evidence"):
        desk.create(us, Draft(world.other.name, "information", "intrusion", "routine",
                              "Anything on this?"))
    with pytest.raises(ValueError) as refused:
        desk.create(us, Draft(world.other.name, "prosecution", "fraud", "routine", "Charge"))
    for missing in ("evidence", "legal_basis", "victims", "impact"):
        assert missing in str(refused.value)
    assert desk.search(us) == []  # nothing half-stored


def test_evidence_must_be_an_object_the_requester_may_read(world, desk, us):
    with pytest.raises(CooperationError, match="no object you may read"):
        desk.create(us, draft(world, "indicator--00000000-0000-4000-8000-00000000dead"))


def test_the_addressee_acknowledges_reports_and_answers_and_the_requester_rates(
        world, desk, us, cn, clock, evidence):
    rid = desk.create(us, draft(world, evidence)).request.id
    with pytest.raises(CooperationError, match="only the addressed party"):
        desk.acknowledge(us, rid)
    clock.advance(hours=2)
    assert desk.acknowledge(cn, rid, "on it").state == "acknowledged"
    clock.advance(hours=2)
    assert desk.report(cn, rid, "server located, preserving logs").state == "in-progress"
    with pytest.raises(CooperationError, match="only the requesting party rates"):
        desk.rate(cn, rid, 5)
    with pytest.raises(CooperationError, match="no response to rate"):
        desk.rate(us, rid, 5)
    clock.advance(days=1)
    answered = desk.respond(cn, rid, "information-provided", "hosted by a reseller")
    assert answered.state == "answered" and answered.answered_on_time
    with pytest.raises(CooperationError, match=r"already answered, at .* UTC "
                       r"\(information-provided\): this response was not sent"):
        desk.respond(cn, rid, "action-taken")
    with pytest.raises(CooperationError, match="from 1"):
        desk.rate(us, rid, 6)
    closed = desk.rate(us, rid, 4, "useful")
    assert closed.state == "closed" and closed.rating.score == 4
    assert [e.type for e in closed.timeline] == [
        "created", "received", "acknowledged", "status-report", "responded", "rated"]


def test_acknowledging_exactly_at_the_deadline_is_on_time_a_microsecond_later_is_not(
        world, desk, us, cn, clock, evidence):
    on_time = desk.create(us, draft(world, evidence)).request.id
    late = desk.create(us, draft(world, evidence)).request.id
    deadline = desk.view(us, on_time).acknowledge_by
    clock.now = deadline
    assert desk.acknowledge(cn, on_time).acknowledged_on_time is True
    clock.now = desk.view(us, late).acknowledge_by + timedelta(microseconds=1)
    assert desk.acknowledge(cn, late).acknowledged_on_time is False


def test_a_passed_deadline_is_escalated_exactly_once_and_the_hotlines_hear_of_it(
        world, desk, us, cn, clock, evidence):
    heard: list[dict] = []

    def hotline_endpoint(request: httpx.Request) -> httpx.Response:
        heard.append(orjson.loads(request.content))
        return httpx.Response(204)

    Hotline(world.node.engine).set_contact(world.own.id, "https://us.example/hotline")
    Hotline(world.node.engine).set_contact(world.other.id, "https://cn.example/hotline")
    rid = desk.create(us, draft(world, evidence)).request.id
    watcher = Watcher(world.node, 1.0, clock, httpx.MockTransport(hotline_endpoint))
    clock.advance(hours=23, minutes=59)
    assert watcher.run_once() == ([], 0)
    clock.advance(minutes=2)
    made, delivered = watcher.run_once()
    assert len(made) == 1 and delivered == 2
    assert watcher.run_once() == ([], 0)  # once per passed deadline, however often it looks
    view = desk.view(us, rid)
    assert view.state == "escalated"
    [escalation] = view.escalations
    assert escalation.escalation.reason == "acknowledgement-overdue"
    assert {n["to"] for n in heard} == {world.own.name, world.other.name}
    assert all(n["request_id"] == rid and n["reason"] == "acknowledgement-overdue"
               for n in heard)
    # a second watcher (another worker) makes the same escalation, not a second one
    assert Watcher(world.node, 1.0, clock).desk.watch() == []


def test_an_undelivered_notification_waits_in_the_outbox_and_is_retried(
        world, desk, us, clock, evidence):
    answers = iter([httpx.Response(503), httpx.Response(200)])
    transport = httpx.MockTransport(lambda request: next(answers))
    Hotline(world.node.engine).set_contact(world.other.id, "https://cn.example/hotline")
    desk.create(us, draft(world, evidence))
    clock.advance(days=2)
    watcher = Watcher(world.node, 1.0, clock, transport)
    assert watcher.run_once()[1] == 0
    [waiting] = Hotline(world.node.engine).log()
    assert waiting.delivered is None and waiting.last_error == "HTTP 503"
    assert watcher.run_once()[1] == 0  # not due yet: the retry waits
    clock.advance(seconds=11)
    assert watcher.run_once()[1] == 1
    [sent] = Hotline(world.node.engine).log()
    assert sent.delivered is not None and sent.attempts == 2


def test_a_withdrawn_request_is_never_escalated(world, desk, us, clock, evidence):
    rid = desk.create(us, draft(world, evidence)).request.id
    assert desk.withdraw(us, rid, "solved locally").state == "withdrawn"
    clock.advance(days=30)
    assert desk.watch() == []
    with pytest.raises(CooperationError, match="withdrawn"):
        desk.escalate(us, rid)


@pytest.mark.parametrize("meanwhile", ["respond", "withdraw", "escalate"])
def test_an_act_committed_after_the_watcher_read_the_ledgers_is_heeded(
        world, desk, us, cn, clock, evidence, monkeypatch, meanwhile):
    """The watcher reads every open ledger at the start of its tick: an answer or a withdrawal
    committed before it stores an escalation stops it (none follows an answer), and an
    officer's escalation leaves the watcher's for the next tick, at the level after it."""
    from accord.cooperation import escalating

    rid = desk.create(us, draft(world, evidence)).request.id
    clock.advance(days=2)
    read_at_start = escalating.escalations_due

    def due_then_acted(view, now):  # type: ignore[no-untyped-def]
        due = read_at_start(view, now)
        if due and view.request.id == rid and not acted:
            acted.append(True)
            if meanwhile == "respond":
                desk.respond(cn, rid, "no-information-found")
            elif meanwhile == "withdraw":
                desk.withdraw(us, rid, "solved locally")
            else:
                desk.escalate(us, rid, "manual", "we cannot wait")
        return due

    acted: list[bool] = []
    monkeypatch.setattr(escalating, "escalations_due", due_then_acted)
    assert desk.watch() == []
    view = desk.view(us, rid)
    if meanwhile != "escalate":
        assert not view.escalations
        assert desk.watch() == []
        return
    assert [e.escalation.level for e in view.escalations] == [1]
    made = desk.watch()  # the next tick: what is still due, after the officer's
    assert made == [escalation_id(rid, "acknowledgement-overdue")]
    assert sorted(e.escalation.level for e in desk.view(us, rid).escalations) == [1, 2]


def test_an_answer_being_stored_as_a_peer_posts_it_is_waited_for_not_escalated_past(
        world, desk, us, cn, clock, evidence, monkeypatch):
    """A peer's node posts its officer's answer (or a sync round pulls it): stored in the
    requests collection's turn, not the request's. The watcher, which read the ledger before,
    waits for it and reads it again, and raises nothing."""
    import threading
    import time

    import accord.cooperation.desk as desk_module

    rid = desk.create(us, draft(world, evidence)).request.id
    clock.advance(days=2)
    storing = threading.Event()

    def as_a_peer_posts(conn, key):  # type: ignore[no-untyped-def]
        desk.node.objects.lock(conn, desk.collection().id)
        storing.set()
        time.sleep(0.5)  # the watcher reads and waits meanwhile

    monkeypatch.setattr(desk_module, "take_turn", as_a_peer_posts)
    answering = threading.Thread(target=desk.respond, args=(cn, rid, "no-information-found"))
    answering.start()
    assert storing.wait(10)
    made = desk.watch()
    answering.join()
    assert made == []
    assert desk.view(us, rid).state == "answered" and not desk.view(us, rid).escalations


def test_the_watcher_reads_only_requests_that_can_still_go_overdue(world, desk, us, cn, clock,
                                                                   evidence):
    answered = desk.create(us, draft(world, evidence)).request.id
    desk.respond(cn, answered, "no-information-found")
    withdrawn = desk.create(us, draft(world, evidence)).request.id
    desk.withdraw(us, withdrawn, "solved")
    running = desk.create(us, draft(world, evidence)).request.id
    left = desk.ledgers(None, whole=False, without=("x-accord-response", "x-accord-withdrawal"))
    assert [ledger.request.id for ledger in left] == [running]
    clock.advance(days=30)
    made = desk.watch()
    assert len(made) == 2  # both of the running request's deadlines, none for the others
    assert {v.request.id for v in desk.search(us) if v.is_escalated} == {running}


def test_new_guidelines_do_not_move_a_running_deadline(world, desk, us, clock, evidence):
    first = desk.create(us, draft(world, evidence, urgency="routine")).request.id
    clock.advance(hours=1)
    GuidelinesStore(world.node.engine).add(
        '[urgency.routine]\nacknowledge = "PT1H"\nrespond = "P1D"\n',
        clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    clock.advance(seconds=1)
    second = desk.create(us, draft(world, evidence, urgency="routine")).request.id
    assert desk.view(us, first).acknowledge_by == T0 + timedelta(days=7)
    assert desk.view(us, second).acknowledge_by == clock() + timedelta(hours=1)


def test_guidelines_agreed_between_two_parties_apply_to_them_alone(
        world, desk, us, clock, evidence):
    GuidelinesStore(world.node.engine).add(
        '[urgency.urgent]\nacknowledge = "PT2H"\nrespond = "PT12H"\n',
        T0.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), (world.own.id, world.other.id))
    third = world.node.directory.add_party("Japan (JPCERT/CC)")
    clock.advance(seconds=1)
    paired = desk.create(us, draft(world, evidence))
    other = desk.create(us, Draft(third.name, "information", "intrusion", "urgent", "?",
                                  evidence=(evidence,)))
    assert paired.acknowledge_by - paired.received == timedelta(hours=2)
    assert other.acknowledge_by - other.received == timedelta(hours=24)


def test_lateness_is_escalated_by_hand_only_once_the_deadline_has_passed(world, desk, us, cn,
                                                                          clock, evidence):
    # Escalated "acknowledgement overdue" a minute after sending, two days before the
    # deadline: the review counted it against the addressee.
    rid = desk.create(us, draft(world, evidence)).request.id
    with pytest.raises(CooperationError, match="is not overdue yet: its deadline is"):
        desk.escalate(us, rid, "acknowledgement-overdue")
    with pytest.raises(CooperationError, match="is not overdue yet"):
        desk.escalate(us, rid, "response-overdue")
    assert desk.view(us, rid).escalations == ()
    desk.acknowledge(cn, rid)
    clock.advance(days=2)
    with pytest.raises(CooperationError, match="was acknowledged at"):
        desk.escalate(us, rid, "acknowledgement-overdue")
    clock.advance(days=30)
    with pytest.raises(CooperationError, match="only the requesting party escalates"):
        desk.escalate(cn, rid, "response-overdue")
    escalated = desk.escalate(us, rid, "response-overdue", "A month late.")
    assert [e.escalation.reason for e in escalated.escalations] == ["response-overdue"]


def test_manual_escalation_and_de_escalation_with_reasons(world, desk, us, cn, evidence):
    rid = desk.create(us, draft(world, evidence)).request.id
    escalated = desk.escalate(cn, rid, "disputed", "the evidence is fabricated")
    assert escalated.state == "escalated"
    # The other side does not end it: the party that raised it does.
    with pytest.raises(CooperationError, match="no open escalation of yours"):
        desk.de_escalate(us, rid, "not disputed")
    with pytest.raises(CooperationError, match="say why"):
        desk.de_escalate(cn, rid, " ")
    calmed = desk.de_escalate(cn, rid, "talked it through")
    assert calmed.state == "submitted"
    assert calmed.escalations[0].ended_by == "de-escalated"
    with pytest.raises(CooperationError, match="no open escalation"):
        desk.de_escalate(cn, rid, "again")


def test_an_escalation_raised_by_hand_reaches_both_hotlines(world, desk, us, cn, evidence):
    from accord.cooperation.hotline import Hotline

    hotline = Hotline(world.node.engine)
    hotline.set_contact(world.own.id, "https://hotline.us.example/hook")
    hotline.set_contact(world.other.id, "https://hotline.cn.example/hook")
    rid = desk.create(us, draft(world, evidence)).request.id
    escalated = desk.escalate(cn, rid, "disputed", "the evidence is fabricated")
    first = escalated.escalations[0].escalation
    told = hotline.of_escalations([(first, escalated.request)])[first.id]
    assert sorted(note.body["to"] for note in told) == sorted([world.own.name,
                                                               world.other.name])
    assert {note.body["reason"] for note in told} == {"disputed"}


def test_a_third_party_cannot_see_a_request_or_learn_that_it_exists(
        world, desk, us, evidence):
    rid = desk.create(us, draft(world, evidence)).request.id
    russia = world.node.directory.add_party("Russia (GOV-CERT.RU)")
    outsider = Actor(russia)
    with pytest.raises(NoSuchRequest) as hidden:
        desk.view(outsider, rid)
    with pytest.raises(NoSuchRequest) as absent:
        desk.view(outsider, "x-accord-request--00000000-0000-4000-8000-000000000000")
    assert str(hidden.value).replace(rid, "ID") == str(absent.value).replace(
        "x-accord-request--00000000-0000-4000-8000-000000000000", "ID")
    assert desk.search(outsider) == []
    with pytest.raises(NoSuchRequest):
        desk.escalate(outsider, rid)
    # nor through TAXII, even if it is granted the collection that holds the ledgers
    requests = desk.collection()
    from accord.trust.access import Grant

    world.node.directory.grant(requests.id, russia, Grant(True, True))
    page = world.node.objects.page(requests.id, ObjectQuery(
        reader=Reader(russia.id, int(requests.default_tlp))))
    assert page.items == []


def test_shared_with_parties_see_the_request_but_cannot_act_for_either_side(
        world, desk, us, evidence):
    japan = world.node.directory.add_party("Japan (JPCERT/CC)")
    rid = desk.create(us, draft(world, evidence, shared_with=(japan.name,))).request.id
    watcher = Actor(japan)
    assert desk.view(watcher, rid).request.id == rid
    with pytest.raises(CooperationError, match="only the addressed party"):
        desk.acknowledge(watcher, rid)
    with pytest.raises(CooperationError, match="only the requesting party"):
        desk.withdraw(watcher, rid)


def test_a_party_cannot_address_itself_or_an_unknown_party(world, desk, us, evidence):
    with pytest.raises(CooperationError, match="itself"):
        desk.create(us, Draft(world.own.name, "information", "intrusion", "urgent", "?",
                              evidence=(evidence,)))
    with pytest.raises(CooperationError, match="no party 'Atlantis'"):
        desk.create(us, Draft("Atlantis", "information", "intrusion", "urgent", "?",
                              evidence=(evidence,)))
    with pytest.raises(CooperationError, match="urgency 'asap' is not one of"):
        desk.create(us, Draft(world.other.name, "information", "intrusion", "asap", "?",
                              evidence=(evidence,)))


def test_a_response_exactly_at_the_deadline_is_on_time(world, desk, us, cn, clock, evidence):
    rid = desk.create(us, draft(world, evidence)).request.id
    clock.now = desk.view(us, rid).respond_by
    answered = desk.respond(cn, rid, "no-information-found")
    assert answered.answered_on_time is True and answered.state == "answered"
    assert desk.watch() == []  # answered at the deadline: nothing to escalate


def test_the_requester_learns_which_evidence_the_addressee_cannot_read(
        world, desk, us, evidence):
    view = desk.create(us, draft(world, evidence))
    assert desk.evidence_hidden_from_addressee(view) == [evidence]
    from accord.trust.access import Grant

    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    assert desk.evidence_hidden_from_addressee(view) == []


def test_whether_the_addressee_reads_what_the_requester_did_not_make_is_not_said(
        world, desk, us, evidence):
    # Else a requester attaching a thousand objects of others would map which collections the
    # addressee reads.
    mitre = {**EVIDENCE, "id": "indicator--00000000-0000-4000-8000-0000000000d1",
             "created_by_ref": "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"}
    world.node.objects.add(world.evidence.id, [mitre], poster_id=world.own.id)
    view = desk.create(us, replace(draft(world, evidence), evidence=(evidence, mitre["id"])))
    assert desk.evidence_hidden_from_addressee(view) == [evidence]  # only its own


def test_a_requests_collection_made_at_the_same_moment_elsewhere_is_used(world, desk,
                                                                        monkeypatch):
    made = desk.collection()
    calls = []
    real = Desk._requests_collection

    def late(self):  # the first look misses it, as a worker racing another would
        calls.append(1)
        return None if len(calls) == 1 else real(self)

    monkeypatch.setattr(Desk, "_requests_collection", late)
    assert Desk(world.node).collection() == made


def test_a_request_may_attach_at_most_a_thousand_evidence_objects(world, desk, us, evidence):
    # Each attached id is looked up in every collection of its reader on every view of the
    # request; a report attached as one object may refer to any number of others.
    too_many = tuple(f"indicator--00000000-0000-4000-8000-{n:012d}" for n in range(1_001))
    with pytest.raises(CooperationError) as refused:
        desk.create(us, replace(draft(world, evidence), evidence=too_many))
    assert "at most 1,000 objects may be attached, not 1,001" in str(refused.value)
    assert desk.create(us, replace(draft(world, evidence), evidence=(evidence,) * 1_000))


def test_a_party_adds_a_bounded_number_of_entries_to_one_ledger_and_crowds_out_no_one(
        world, desk, us, cn, clock, evidence, monkeypatch):
    # Every view of a request reads its ledger whole: a participant posting status reports
    # without end would make it slow to open for everyone. Its own entries stop at the bound;
    # the other party's are counted apart, and the node's own (receipts, the watcher's
    # escalation of a passed deadline) not at all.
    from accord.store import ledger_bound

    monkeypatch.setattr(ledger_bound, "MOST_ENTRIES", 2)
    rid = desk.create(us, draft(world, evidence)).request.id
    desk.acknowledge(cn, rid)
    desk.report(cn, rid, "Looking.")
    with pytest.raises(CooperationError) as refused:
        desk.report(cn, rid, "And still.")
    assert str(refused.value) == (
        f"{world.other.name} has made 2 entries in this request, the most one party may make "
        "in one: no more of its entries are taken")
    # The requester's own two (its request is none of them), and the deadline's escalation.
    desk.escalate(us, rid, note="No answer in sight.")
    desk.de_escalate(us, rid, "Answered by phone.")
    clock.advance(days=4)
    assert desk.watch() == [escalation_id(rid, "response-overdue")]
    view = desk.view(us, rid)
    assert view.state == "escalated" and len(view.escalations) == 2
    assert [e.type for e in view.timeline].count("status-report") == 1  # not the refused one
    # Another request of the same parties is a ledger of its own.
    other = desk.create(us, draft(world, evidence)).request.id
    assert desk.acknowledge(cn, other).state == "acknowledged"


def test_entries_in_made_up_names_count_against_their_poster(world, desk, us, cn, evidence,
                                                            clock, monkeypatch):
    # An identity that is no party here would let a poster spread its entries over as many
    # counts as it makes up names.
    from accord.cooperation.model import StatusReport
    from accord.cooperation.objects import to_stix
    from accord.cooperation.receipts import marked
    from accord.store import ledger_bound

    monkeypatch.setattr(ledger_bound, "MOST_ENTRIES", 2)
    view = desk.create(us, draft(world, evidence))
    desk.acknowledge(cn, view.request.id)
    desk.report(cn, view.request.id, "Looking.")
    made_up = "identity--0b7e1d2c-3f4a-4b5c-8d6e-7f8091a2b3c4"
    report = StatusReport("x-accord-status-report--5a0e6b1c-2d3f-4a4b-9c5d-6e7f8091a2b3",
                          view.request.id, made_up, clock.now, text="From nobody.")
    [outcome] = world.node.objects.add(desk.collection().id, [
        marked(to_stix(report), made_up, view.request)], poster_id=world.other.id)
    assert not outcome.stored
    assert f"holds 2 entries of {world.other.id}, the most one party" in outcome.message


def test_a_request_the_watcher_cannot_escalate_keeps_it_from_no_other(
        world, desk, us, clock, evidence, monkeypatch):
    from accord.cooperation import escalating

    stuck = desk.create(us, draft(world, evidence)).request.id
    waiting = desk.create(us, draft(world, evidence)).request.id
    real = escalating._escalate

    def refuse_one(desk_, view, reason):
        if view.request.id == stuck:
            raise CooperationError("refused by the store")
        return real(desk_, view, reason)

    monkeypatch.setattr(escalating, "_escalate", refuse_one)
    clock.advance(days=4)
    assert desk.watch() == [escalation_id(waiting, "acknowledgement-overdue"),
                            escalation_id(waiting, "response-overdue")]


def test_evidence_the_addressee_created_itself_is_not_said_hidden_from_it(world, desk, us):
    # Pulled from the addressee's node into a collection only the requester reads here: the
    # addressee holds it where it made it, whatever this node lets it read.
    theirs = {**EVIDENCE, "id": "indicator--00000000-0000-4000-8000-0000000000c1",
              "created_by_ref": world.other.id}
    world.node.objects.add(world.evidence.id, [theirs], poster_id=world.own.id)
    view = desk.create(us, draft(world, theirs["id"]))
    assert desk.evidence_hidden_from_addressee(view) == []


def test_a_party_may_have_so_many_requests_running_with_one_addressee(
        world, desk, us, cn, evidence, monkeypatch):
    # A thousand urgent requests in a few seconds would bury the addressee's dashboard and
    # hotline under deadlines. Room is made by answering, declining or withdrawing.
    from accord.store import running_bound

    monkeypatch.setattr(running_bound, "MOST_RUNNING", 2)
    first = desk.create(us, draft(world, evidence)).request.id
    second = desk.create(us, draft(world, evidence)).request.id
    with pytest.raises(CooperationError) as refused:
        desk.create(us, draft(world, evidence))
    assert str(refused.value).startswith(
        f"{world.own.name} has 2 requests running with {world.other.name}, the most one party "
        "may have running with one addressee. Withdraw one that is no longer needed")
    # Nothing of the refused request was stored.
    assert len(desk.search(us)) == 2
    # Another addressee is a count of its own.
    third = world.node.directory.add_party("Third party")
    assert desk.create(us, replace(draft(world, evidence), addressee=third.name))
    desk.acknowledge(cn, first)
    desk.respond(cn, first, "information-provided", "It is ours: we took it down.")
    # An answered one runs no more.
    later = desk.create(us, draft(world, evidence)).request.id
    with pytest.raises(CooperationError, match="the most one party may have running"):
        desk.create(us, draft(world, evidence))
    desk.withdraw(us, second, "Found elsewhere.")
    assert desk.create(us, draft(world, evidence)).request.id not in (first, second, later)


def test_the_bound_of_running_requests_holds_over_taxii_within_one_post(
        world, desk, us, evidence, clock, monkeypatch):
    # A party posting its requests straight into the requests collection, several in one
    # envelope, is held to the same bound; the node's own tooling is not.
    from accord.cooperation.model import Request
    from accord.cooperation.objects import to_stix
    from accord.cooperation.receipts import marked
    from accord.store import running_bound

    monkeypatch.setattr(running_bound, "MOST_RUNNING", 2)
    desk.create(us, draft(world, evidence))

    def request(n):
        made = Request(f"x-accord-request--00000000-0000-4000-8000-00000000010{n}", clock.now,
                       world.own.id, world.other.id, "information", "intrusion", "urgent",
                       f"Flood {n}")
        return marked(to_stix(made), world.own.id, made)

    outcomes = world.node.objects.add(desk.collection().id, [request(n) for n in range(1, 4)],
                                      poster_id=world.own.id)
    assert [o.stored for o in outcomes] == [True, False, False]
    assert all(f"has 2 requests running with {world.other.id}" in o.message
               for o in outcomes[1:])
    assert len(desk.search(us)) == 2
    [outcome] = world.node.objects.add(desk.collection().id, [request(4)])
    assert outcome.stored and len(desk.search(us)) == 3
    # A requester no party of this node: nobody here could act as it, and a new identity on
    # each request would escape the count.
    made_up = "identity--0b7e1d2c-3f4a-4b5c-8d6e-7f8091a2b3c5"
    stray = Request("x-accord-request--00000000-0000-4000-8000-000000000109", clock.now,
                    made_up, world.other.id, "information", "intrusion", "urgent", "Flood")
    [outcome] = world.node.objects.add(desk.collection().id, [marked(to_stix(stray), made_up,
                                                                     stray)],
                                       poster_id=world.own.id)
    assert not outcome.stored
    assert f"its requester (created_by_ref) {made_up} is no party of this node" in (
        outcome.message)
    # A withdrawal stored with a new request makes room for it (a peer's page may carry both).
    from accord.cooperation.model import Withdrawal
    from accord.cooperation.objects import from_stix

    monkeypatch.setattr(running_bound, "MOST_RUNNING", 3)
    with world.node.engine.connect() as conn:
        assert running_bound.running(conn, world.own.id, world.other.id) == 3
    first = request(1)
    ended = Withdrawal("x-accord-withdrawal--00000000-0000-4000-8000-000000000201",
                       first["id"], world.own.id, clock.now, reason="Not needed.")
    outcomes = world.node.objects.add(desk.collection().id, [
        marked(to_stix(ended), world.own.id, from_stix(first)), request(5)],
        poster_id=world.own.id)
    assert [o.stored for o in outcomes] == [True, True], outcomes


def test_what_one_party_writes_into_one_request_is_bounded_in_bytes(
        world, desk, us, cn, evidence, clock, monkeypatch):
    # A thousand reports of 20,000 characters each made one request's page 121 MB. The bound
    # counts what each party wrote, as stored, on the desk (in words of its own) and over TAXII.
    from accord.cooperation.model import StatusReport
    from accord.cooperation.objects import to_stix
    from accord.cooperation.receipts import marked
    from accord.store import ledger_bound

    monkeypatch.setattr(ledger_bound, "MOST_BYTES", 9_000)
    view = desk.create(us, draft(world, evidence))
    rid = view.request.id
    desk.acknowledge(cn, rid)
    desk.report(cn, rid, "x" * 2_000)
    desk.report(cn, rid, "y" * 2_000)
    with pytest.raises(CooperationError) as refused:
        desk.report(cn, rid, "z" * 2_000)
    assert str(refused.value).startswith(f"what {world.other.name} has written into this "
                                         "request (")
    assert "would pass the most one party may write into one request (8.8 KiB)" in str(
        refused.value)
    # A shorter one still fits; the requester's own entries are counted apart.
    desk.report(cn, rid, "Short.")
    desk.escalate(us, rid, note="n" * 3_000)
    # Over TAXII, the same bound, in the store's words.
    report = StatusReport("x-accord-status-report--5a0e6b1c-2d3f-4a4b-9c5d-6e7f8091a2b4",
                          rid, world.other.id, clock.now, text="w" * 2_000)
    [outcome] = world.node.objects.add(desk.collection().id, [
        marked(to_stix(report), world.other.id, view.request)], poster_id=world.other.id)
    assert not outcome.stored
    assert f"the entries of {world.other.id} in the ledger of {rid} hold " in outcome.message
    assert "past the most one party may write into one request (9,000 bytes, 8.8 KiB)" in (
        outcome.message)
    reports = [e.detail["text"] for e in desk.view(us, rid).timeline if e.type == "status-report"]
    assert reports == ["x" * 2_000, "y" * 2_000, "Short."]


def _at_once(*acts):
    """Run `acts` on threads released together; what each returned or raised."""
    import threading

    start = threading.Barrier(len(acts))
    said: list[object] = [None] * len(acts)

    def run(n, act):
        start.wait()
        try:
            said[n] = act()
        except CooperationError as refused:
            said[n] = refused

    threads = [threading.Thread(target=run, args=(n, act)) for n, act in enumerate(acts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return said


def test_acts_on_one_request_at_once_take_turns(world, desk, us, cn, evidence):
    # Ten acknowledgements at once were ten "done" and ten entries; a withdrawal crossing a
    # response were both "done". Each act now asks again, in its turn, of the ledger as the
    # one before left it.
    rid = desk.create(us, draft(world, evidence)).request.id
    said = _at_once(*[lambda: desk.acknowledge(cn, rid)] * 6)
    refused = [s for s in said if isinstance(s, CooperationError)]
    assert len(refused) == 5 and all("was already acknowledged, at" in str(r) for r in refused)
    view = desk.view(us, rid)
    assert [e.type for e in view.timeline].count("acknowledged") == 1
    said = _at_once(lambda: desk.respond(cn, rid, "declined", reason="Not ours."),
                    lambda: desk.respond(cn, rid, "information-provided", "Here it is."),
                    lambda: desk.withdraw(us, rid, "Solved."))
    done = [s for s in said if not isinstance(s, CooperationError)]
    assert len(done) == 1, said
    view = desk.view(us, rid)
    assert [e.type for e in view.timeline].count("responded") + \
        [e.type for e in view.timeline].count("withdrawn") == 1
    assert view.state == done[0].state  # what the one that was done was told


def test_an_act_the_store_refuses_leaves_nothing_behind_not_even_its_hotline_notices(
        world, desk, us, evidence, monkeypatch):
    # The desk checks the bounds ahead, but the store has the last word (a signature's bytes,
    # another act in between): what it refuses takes the act's hotline notices with it.
    from accord.cooperation import desk as desk_module
    from accord.store import ledger_bound

    Hotline(world.node.engine).set_contact(world.own.id, "https://us.example/hotline")
    rid = desk.create(us, draft(world, evidence)).request.id
    monkeypatch.setattr(ledger_bound, "MOST_BYTES", 3_000)
    monkeypatch.setattr(desk_module, "within_ledger", lambda *_: None)  # not checked ahead
    with pytest.raises(CooperationError, match="past the most one party may write"):
        desk.escalate(us, rid, note="n" * 4_000)
    assert Hotline(world.node.engine).log() == []
    assert desk.view(us, rid).escalations == ()


def test_the_watcher_s_escalations_count_against_no_one_and_only_as_small_as_its_own(
        world, desk, us, cn, evidence, clock, monkeypatch):
    from accord.cooperation.model import Escalation
    from accord.cooperation.objects import to_stix
    from accord.cooperation.receipts import marked
    from accord.store import ledger_bound

    monkeypatch.setattr(ledger_bound, "MOST_ENTRIES", 2)
    view = desk.create(us, draft(world, evidence))
    rid = view.request.id
    clock.advance(days=4)
    assert len(desk.watch()) == 2  # both deadlines passed: two escalations, the requester's
    # The requester made none of its two entries yet: it may still act.
    desk.escalate(us, rid, note="Still nothing.")
    desk.withdraw(us, rid, "Solved elsewhere.")
    # The other side, under one of the watcher's ids, with more than the watcher writes: it
    # counts, as any escalation of its own.
    monkeypatch.setattr(ledger_bound, "MOST_BYTES", 20_000)
    other = desk.create(us, draft(world, evidence)).request
    big = Escalation(escalation_id(other.id, "disputed"), other.id, world.other.id, clock.now,
                     reason="disputed", level=1, note="x" * 15_000)
    second = Escalation(escalation_id(other.id, "manual"), other.id, world.other.id, clock.now,
                       reason="manual", level=1, note="y" * 8_000)
    outcomes = world.node.objects.add(desk.collection().id, [
        marked(to_stix(e), world.other.id, other) for e in (big, second)],
        poster_id=world.other.id)
    assert outcomes[0].stored and not outcomes[1].stored
    assert "would take them past the most one party may write" in outcomes[1].message


def test_a_final_answer_says_something_and_activity_seen_is_in_the_past(
        world, desk, us, cn, evidence, clock):
    rid = desk.create(us, draft(world, evidence)).request.id
    with pytest.raises(CooperationError, match=r"outcome 'information-provided' must say what "
                                               r"was found or done \(--text\), or attach it"):
        desk.respond(cn, rid, "information-provided")
    assert desk.view(us, rid).response is None
    with pytest.raises(CooperationError, match=r"the activity starts \(2030-01-01 10:00 UTC\) "
                                               r"after now .*: activity seen is in the past"):
        desk.create(us, replace(draft(world, evidence),
                                activity_start=datetime(2030, 1, 1, 10, tzinfo=UTC)))
    # A few hours ahead (a zone east of the node's) is a clock's slip, not a refusal.
    assert desk.create(us, replace(draft(world, evidence),
                                   activity_start=clock.now + timedelta(hours=9)))


def refused_about(act) -> tuple[str, ...]:
    """The fields the desk's refusal of `act` is about, in its own names."""
    with pytest.raises(Refusal) as refused:
        act()
    return refused.value.about


def test_a_refusal_of_what_was_asked_names_the_field_it_is_about(world, desk, us, cn,
                                                                evidence):
    def create(**changes):
        return lambda: desk.create(us, replace(draft(world, evidence), **changes))

    assert refused_about(create(addressee=world.own.name)) == ("addressee",)
    assert refused_about(create(addressee="Atlantis")) == ("addressee",)
    assert refused_about(create(shared_with=("Atlantis",))) == ("shared_with",)
    assert refused_about(create(urgency="asap")) == ("urgency",)
    assert refused_about(create(lang="not a language")) == ("lang",)
    assert refused_about(create(evidence=(EVIDENCE["id"][:-4] + "dead",))) == ("evidence",)
    assert refused_about(create(activity_start=T0, activity_end=T0 - timedelta(days=1))) == (
        "activity_start", "activity_end")
    assert refused_about(create(translations={"zh-Hans": {"colour": "红"}})) == (
        "translations.zh-Hans.colour",)
    assert refused_about(create(kind="mitigation", evidence=())) == (  # the guidelines'
        "activity", "evidence")
    rid = desk.create(us, draft(world, evidence)).request.id
    assert refused_about(lambda: desk.report(cn, rid, " ")) == ("text",)
    assert refused_about(lambda: desk.escalate(us, rid, "response-overdue")) == ("reason",)
    assert refused_about(lambda: desk.escalate(cn, rid, "response-overdue")) == ("reason",)
    assert refused_about(lambda: desk.respond(cn, rid, "declined")) == ("reason",)
    assert refused_about(lambda: desk.respond(cn, rid, "action-taken")) == ("text", "evidence")
    desk.escalate(cn, rid, "disputed")
    assert refused_about(lambda: desk.de_escalate(cn, rid, " ")) == ("reason",)
    desk.respond(cn, rid, "no-information-found")
    assert refused_about(lambda: desk.rate(us, rid, 6)) == ("score",)
    # A state the request is in is no field's: nothing to correct in what was asked.
    assert refused_about(lambda: desk.respond(cn, rid, "declined", reason="No.")) == ()
    assert refused_about(lambda: desk.acknowledge(us, rid)) == ()
