"""The state of a request derived from its ledger, with an injected clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.cooperation.deadlines import escalations_due, next_deadline, next_level
from accord.cooperation.ledger import EVENT_TYPES, derive
from accord.cooperation.model import (
    Acknowledgement,
    DeEscalation,
    Entry,
    Escalation,
    Ledger,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
    escalation_id,
)

US = "identity--00000000-0000-4000-8000-0000000000a1"
CN = "identity--00000000-0000-4000-8000-0000000000c1"
OTHER = "identity--00000000-0000-4000-8000-0000000000f1"
MICRO = timedelta(microseconds=1)

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACK_BY = RECEIVED + timedelta(hours=24)
RESPOND_BY = RECEIVED + timedelta(days=7)
REQUEST = Request(id="x-accord-request--1", created=RECEIVED - timedelta(minutes=5),
                  requester=US, addressee=CN, kind="information", category="intrusion",
                  urgency="priority", summary="intrusion into personnel records")


def receipt(received: datetime = RECEIVED, id: str = "x-accord-receipt--1",
            party: str = CN) -> Receipt:
    return Receipt(id, REQUEST.id, party, received, received=received,
                   acknowledge_by=received + timedelta(hours=24),
                   respond_by=received + timedelta(days=7), guidelines_version=1)


def ack(at: datetime, id: str = "x-accord-ack--1", party: str = CN) -> Acknowledgement:
    return Acknowledgement(id, REQUEST.id, party, at)


def report(at: datetime, id: str = "x-accord-report--1", party: str = CN) -> StatusReport:
    return StatusReport(id, REQUEST.id, party, at, text="working on it")


def respond(at: datetime, id: str = "x-accord-response--1", party: str = CN,
            outcome: str = "information-provided") -> Response:
    return Response(id, REQUEST.id, party, at, outcome=outcome)  # type: ignore[arg-type]


def rate(at: datetime, score: int = 4, id: str = "x-accord-rating--1", party: str = US,
         response_id: str = "x-accord-response--1") -> Rating:
    return Rating(id, REQUEST.id, party, at, response_id=response_id, score=score)


def escalate(at: datetime, reason: str = "manual", id: str = "x-accord-escalation--1",
             party: str = US) -> Escalation:
    return Escalation(id, REQUEST.id, party, at, reason=reason)  # type: ignore[arg-type]


def de_escalate(at: datetime, escalation_id: str = "x-accord-escalation--1",
                id: str = "x-accord-de-escalation--1", party: str = US) -> DeEscalation:
    return DeEscalation(id, REQUEST.id, party, at, escalation_id=escalation_id)


def withdraw(at: datetime, id: str = "x-accord-withdrawal--1", party: str = US) -> Withdrawal:
    return Withdrawal(id, REQUEST.id, party, at, reason="resolved elsewhere")


def ledger(*entries: Entry) -> Ledger:
    return Ledger(REQUEST, entries)


# Deadlines and timeliness

def test_request_not_yet_received_has_no_deadlines_and_is_never_overdue():
    view = derive(ledger(), RECEIVED + timedelta(days=365))
    assert (view.received, view.acknowledge_by, view.respond_by) == (None, None, None)
    assert view.state == "submitted"
    assert not view.is_overdue
    assert escalations_due(view, RECEIVED + timedelta(days=365)) == []
    assert next_deadline(view) is None


def test_receipt_fixes_the_deadlines():
    view = derive(ledger(receipt()), RECEIVED)
    assert (view.received, view.acknowledge_by, view.respond_by) == (RECEIVED, ACK_BY,
                                                                     RESPOND_BY)
    assert view.state == "submitted"


def test_acknowledgement_exactly_at_the_deadline_is_on_time():
    view = derive(ledger(receipt(), ack(ACK_BY)), ACK_BY)
    assert view.acknowledged_at == ACK_BY
    assert view.acknowledged_on_time is True
    assert view.hours_to_acknowledge == 24.0


def test_acknowledgement_one_microsecond_after_the_deadline_is_late():
    view = derive(ledger(receipt(), ack(ACK_BY + MICRO)), ACK_BY + MICRO)
    assert view.acknowledged_on_time is False
    assert view.state == "acknowledged"  # late, but no longer overdue


def test_response_exactly_at_the_deadline_is_on_time():
    view = derive(ledger(receipt(), respond(RESPOND_BY)), RESPOND_BY)
    assert view.answered_on_time is True
    assert view.hours_to_answer == 168.0


def test_response_one_microsecond_after_the_deadline_is_late():
    view = derive(ledger(receipt(), respond(RESPOND_BY + MICRO)), RESPOND_BY + MICRO)
    assert view.answered_on_time is False
    assert view.hours_to_answer == (168 * 3_600_000_000 + 1) / 3_600_000_000


def test_not_acknowledged_is_on_time_until_the_deadline_and_overdue_one_microsecond_after():
    at_deadline = derive(ledger(receipt()), ACK_BY)
    assert not at_deadline.is_acknowledgement_overdue
    assert at_deadline.state == "submitted"
    after = derive(ledger(receipt()), ACK_BY + MICRO)
    assert after.is_acknowledgement_overdue and after.is_overdue
    assert not after.is_response_overdue
    assert after.state == "overdue"
    assert after.acknowledged_on_time is None


def test_response_overdue_one_microsecond_after_its_deadline():
    entries = (receipt(), ack(RECEIVED + timedelta(hours=1)))
    assert not derive(ledger(*entries), RESPOND_BY).is_response_overdue
    view = derive(ledger(*entries), RESPOND_BY + MICRO)
    assert view.is_response_overdue and view.state == "overdue"
    assert not view.is_acknowledgement_overdue


@pytest.mark.parametrize("implied", [report, respond])
def test_a_status_report_or_a_response_acknowledges(implied):
    at = RECEIVED + timedelta(hours=3)
    view = derive(ledger(receipt(), implied(at), ack(at + timedelta(hours=1))), at)
    assert view.acknowledged_at == at
    assert view.hours_to_acknowledge == 3.0


def test_times_are_measured_from_the_receipt_not_from_creation():
    view = derive(ledger(receipt(), ack(RECEIVED + timedelta(minutes=90))), RECEIVED)
    assert view.hours_to_acknowledge == 1.5
    assert view.microseconds_to_acknowledge == 90 * 60 * 1_000_000


# Escalation by the deadline watcher

def test_acknowledgement_overdue_is_escalated_exactly_once():
    base = (receipt(),)
    assert escalations_due(derive(ledger(*base), ACK_BY), ACK_BY) == []
    later = ACK_BY + MICRO
    view = derive(ledger(*base), later)
    assert escalations_due(view, later) == ["acknowledgement-overdue"]
    assert next_level(view) == 1
    raised = base + (escalate(later, "acknowledgement-overdue"),)
    view = derive(ledger(*raised), later + timedelta(hours=1))
    assert view.state == "escalated"
    assert escalations_due(view, later + timedelta(hours=1)) == []
    assert escalations_due(view, RESPOND_BY) == []
    assert next_level(view) == 2


def test_response_overdue_is_escalated_once_even_after_an_earlier_escalation_ended():
    entries = (receipt(), escalate(ACK_BY + MICRO, "acknowledgement-overdue"),
               de_escalate(ACK_BY + timedelta(hours=1)), ack(ACK_BY + timedelta(hours=1)))
    after = RESPOND_BY + MICRO
    view = derive(ledger(*entries), after)
    assert escalations_due(view, RESPOND_BY) == []
    assert escalations_due(view, after) == ["response-overdue"]
    raised = entries + (escalate(after, "response-overdue", id="x-accord-escalation--2"),)
    view = derive(ledger(*raised), after)
    assert escalations_due(view, after + timedelta(days=30)) == []
    assert next_level(view) == 3


@pytest.mark.parametrize(("reason", "made"), [
    ("acknowledgement-overdue", ACK_BY - timedelta(hours=23)),  # a day early, by hand
    ("acknowledgement-overdue", ACK_BY + timedelta(hours=2)),  # acknowledged an hour late
    ("response-overdue", RESPOND_BY - MICRO),
])
def test_an_escalation_for_a_deadline_not_passed_unmet_counts_as_a_manual_one(reason, made):
    # Escalated "acknowledgement overdue" with the deadline a day away: the review counted it
    # against the addressee, and the watcher, finding one raised, never escalated the
    # deadline when it did pass.
    entries = (receipt(), ack(ACK_BY + timedelta(hours=1)), escalate(made, reason))
    view = derive(ledger(*entries), made + timedelta(hours=1))
    [raised] = view.escalations
    assert raised.escalation.reason == "manual" and raised.escalation.time == made
    assert [e.reason for e in view.entries if isinstance(e, Escalation)] == ["manual"]
    if reason == "response-overdue":
        assert escalations_due(view, RESPOND_BY + MICRO) == ["response-overdue"]


def test_a_later_receipt_with_later_deadlines_does_not_excuse_a_passed_one():
    # The addressee's node posted a second receipt, `received` a moment earlier (so that it
    # counts) and deadlines a month away: the watcher's escalation of the passed deadline
    # turned manual after the fact, and the watcher raised it again under the same id at
    # every tick, never stored.
    watcher = Escalation(escalation_id(REQUEST.id, "acknowledgement-overdue"), REQUEST.id, US,
                         ACK_BY, reason="acknowledgement-overdue")
    later = Receipt("x-accord-receipt--2", REQUEST.id, CN, RECEIVED - MICRO,
                    received=RECEIVED - MICRO, acknowledge_by=ACK_BY + timedelta(days=30),
                    respond_by=RESPOND_BY + timedelta(days=30), guidelines_version=1)
    view = derive(ledger(receipt(), watcher, later), ACK_BY + timedelta(days=40))
    assert [e.escalation.reason for e in view.escalations] == ["acknowledgement-overdue"]
    assert escalations_due(view, ACK_BY + timedelta(days=40)) == ["response-overdue"]


def test_the_addressee_cannot_take_the_watchers_escalation_id():
    # Under the watcher's id, stamped early, it would stand in for the watcher's escalation
    # and count as manual: the deadline, when it passed, would be escalated by nobody.
    forged = Escalation(escalation_id(REQUEST.id, "acknowledgement-overdue"), REQUEST.id, CN,
                        RECEIVED + timedelta(minutes=1), reason="acknowledgement-overdue")
    view = derive(ledger(receipt(), forged), ACK_BY + MICRO)
    assert view.escalations == ()
    assert escalations_due(view, ACK_BY + MICRO) == ["acknowledgement-overdue"]


def test_the_addressee_neither_escalates_its_own_lateness_nor_silences_the_watcher():
    # The late party posted an escalation of its own lateness at the deadline, and ended it:
    # the watcher, finding the reason raised, never escalated.
    own = escalate(ACK_BY, "acknowledgement-overdue", party=CN)
    ended = de_escalate(ACK_BY + MICRO, party=CN)
    view = derive(ledger(receipt(), own, ended), ACK_BY + timedelta(hours=1))
    assert [e.escalation.reason for e in view.escalations] == ["manual"]
    assert escalations_due(view, ACK_BY + timedelta(hours=1)) == ["acknowledgement-overdue"]


def test_an_escalation_at_its_deadline_or_after_keeps_its_reason():
    # The watcher stamps its escalation with the deadline itself.
    for reason, due in (("acknowledgement-overdue", ACK_BY), ("response-overdue", RESPOND_BY)):
        view = derive(ledger(receipt(), escalate(due, reason)), due + MICRO)
        assert [e.escalation.reason for e in view.escalations] == [reason]


def test_both_deadlines_passed_unescalated_are_both_due():
    later = RESPOND_BY + timedelta(days=1)
    view = derive(ledger(receipt()), later)
    assert escalations_due(view, later) == ["acknowledgement-overdue", "response-overdue"]


def test_withdrawn_request_is_never_escalated_nor_overdue():
    entries = (receipt(), withdraw(RECEIVED + timedelta(hours=1)))
    later = RESPOND_BY + timedelta(days=30)
    view = derive(ledger(*entries), later)
    assert view.state == "withdrawn"
    assert not view.is_overdue
    assert escalations_due(view, later) == []
    assert next_deadline(view) is None


def test_answered_request_is_never_escalated():
    entries = (receipt(), respond(RECEIVED + timedelta(hours=2)))
    later = RESPOND_BY + timedelta(days=30)
    view = derive(ledger(*entries), later)
    assert escalations_due(view, later) == []
    assert next_deadline(view) is None


def test_next_deadline_is_the_earliest_still_pending():
    assert next_deadline(derive(ledger(receipt()), RECEIVED)) == ACK_BY
    acknowledged = (receipt(), ack(RECEIVED + timedelta(hours=1)))
    assert next_deadline(derive(ledger(*acknowledged), RECEIVED)) == RESPOND_BY
    # Once the passed acknowledgement deadline is escalated, the watcher waits for the next.
    escalated = (receipt(), escalate(ACK_BY + MICRO, "acknowledgement-overdue"))
    assert next_deadline(derive(ledger(*escalated), ACK_BY + MICRO)) == RESPOND_BY
    # A passed deadline not yet escalated stays pending: the watcher acts at once.
    assert next_deadline(derive(ledger(receipt()), RESPOND_BY)) == ACK_BY


# State and its precedence

T = RECEIVED + timedelta(hours=1)
STATE_CASES = {
    "submitted": ((receipt(),), RECEIVED),
    "acknowledged": ((receipt(), ack(T)), T),
    "in-progress": ((receipt(), ack(T), report(T + timedelta(hours=1))), T),
    # A status report that is itself overdue: overdue beats in-progress.
    "overdue": ((receipt(), report(T)), RESPOND_BY + MICRO),
    # An open escalation beats overdue.
    "escalated": ((receipt(), escalate(ACK_BY + MICRO, "acknowledgement-overdue")),
                  RESPOND_BY + MICRO),
    # Answered beats an escalation raised after the answer, which stays open.
    "answered": ((receipt(), respond(T), escalate(T + timedelta(hours=1), "disputed")),
                 RESPOND_BY + MICRO),
    "declined": ((receipt(), respond(T, outcome="declined")), T),
    # Closed beats declined: the requester rated the refusal.
    "closed": ((receipt(), respond(T, outcome="declined"), rate(T + timedelta(hours=1))), T),
    # Withdrawn beats everything, even a closed request.
    "withdrawn": ((receipt(), respond(T), rate(T + timedelta(hours=1)),
                   withdraw(T + timedelta(hours=2))), T + timedelta(hours=3)),
}


@pytest.mark.parametrize("state", list(STATE_CASES))
def test_state_follows_the_precedence(state):
    entries, now = STATE_CASES[state]
    assert derive(ledger(*entries), now).state == state


def test_answered_view_reports_the_first_response_and_the_latest_rating():
    entries = (receipt(), respond(T), respond(T + timedelta(hours=5), id="x-accord-response--2",
                                                outcome="referred"),
               rate(T + timedelta(days=1), 2), rate(T + timedelta(days=2), 5,
                                                    id="x-accord-rating--0"))
    view = derive(ledger(*entries), T + timedelta(days=3))
    assert view.response is not None and view.response.id == "x-accord-response--1"
    assert view.answered_at == T
    assert view.rating is not None and view.rating.score == 5


# Escalations and what ends them

def test_de_escalation_ends_its_escalation():
    entries = (receipt(), escalate(T), de_escalate(T + timedelta(hours=2)))
    view = derive(ledger(*entries), T + timedelta(hours=3))
    (escalation,) = view.escalations
    assert (escalation.ended_at, escalation.ended_by) == (T + timedelta(hours=2), "de-escalated")
    assert not view.is_escalated


def test_only_the_party_that_raised_an_escalation_ends_it_by_hand():
    # Else the party that let a deadline pass would silence the escalation of its lateness.
    entries = (receipt(), escalate(T), de_escalate(T + timedelta(hours=2), party=CN))
    view = derive(ledger(*entries), T + timedelta(hours=3))
    (escalation,) = view.escalations
    assert (escalation.ended_at, escalation.ended_by) == (None, None) and view.is_escalated
    # Its answer still ends it.
    view = derive(ledger(*entries, respond(T + timedelta(hours=3))), T + timedelta(hours=4))
    assert view.escalations[0].ended_by == "answered"


def test_answer_ends_escalations_raised_before_it_and_not_those_after():
    entries = (receipt(), escalate(T), respond(T + timedelta(hours=2)),
               escalate(T + timedelta(hours=3), "disputed", id="x-accord-escalation--2"))
    view = derive(ledger(*entries), T + timedelta(hours=4))
    first, second = view.escalations
    assert (first.ended_at, first.ended_by) == (T + timedelta(hours=2), "answered")
    assert (second.ended_at, second.ended_by) == (None, None)
    assert view.is_escalated and view.state == "answered"


def test_withdrawal_ends_open_escalations():
    entries = (receipt(), escalate(T), withdraw(T + timedelta(hours=1)))
    (escalation,) = derive(ledger(*entries), T + timedelta(hours=2)).escalations
    assert (escalation.ended_at, escalation.ended_by) == (T + timedelta(hours=1), "withdrawn")


def test_on_a_tie_the_de_escalation_ends_the_escalation_rather_than_the_answer():
    entries = (receipt(), escalate(T), respond(T + timedelta(hours=1)),
               de_escalate(T + timedelta(hours=1)))
    (escalation,) = derive(ledger(*entries), T + timedelta(hours=2)).escalations
    assert escalation.ended_by == "de-escalated"


# Entries that do not belong

@pytest.mark.parametrize("stray", [
    replace(ack(T), request_id="x-accord-request--2"),  # another request
    ack(T, party=US),  # the requester cannot acknowledge for the addressee
    report(T, party=OTHER),
    respond(T, party=OTHER),
    receipt(party=OTHER),
    rate(T, party=CN, response_id="x-accord-response--9"),
    withdraw(T, party=CN),  # only the requester withdraws
    escalate(T, party=OTHER),  # a third party cannot escalate
    de_escalate(T, escalation_id="x-accord-escalation--404"),
    rate(T, response_id="x-accord-response--404"),  # a rating of no response here
    Entry("x-accord-unknown--1", REQUEST.id, CN, T),  # a kind of entry nobody knows
])
def test_entries_that_do_not_belong_change_nothing(stray):
    base = (receipt(), ack(T + timedelta(hours=1), id="x-accord-ack--0"))
    now = T + timedelta(hours=2)
    clean = derive(ledger(*base), now)
    with_stray = derive(ledger(stray, *base), now)
    assert with_stray == clean
    assert with_stray.timeline == clean.timeline


def test_the_earliest_receipt_counts_whatever_the_order():
    later = receipt(RECEIVED + timedelta(hours=1), id="x-accord-receipt--0")
    for entries in ((receipt(), later), (later, receipt())):
        view = derive(ledger(*entries), RECEIVED)
        assert view.received == RECEIVED and view.acknowledge_by == ACK_BY
        assert [e.type for e in view.timeline] == ["created", "received"]


def test_acts_after_the_withdrawal_do_not_count_and_acts_at_it_do():
    withdrawn_at = T + timedelta(hours=1)
    entries = (receipt(), ack(withdrawn_at), withdraw(withdrawn_at),
               respond(withdrawn_at + MICRO), escalate(withdrawn_at + MICRO))
    view = derive(ledger(*entries), withdrawn_at + timedelta(days=30))
    assert view.acknowledged_at == withdrawn_at
    assert view.answered_at is None and view.response is None
    assert view.escalations == ()
    assert [e.type for e in view.timeline] == ["created", "received", "acknowledged",
                                                "withdrawn"]


def test_the_first_withdrawal_counts():
    entries = (receipt(), withdraw(T + timedelta(hours=2), id="x-accord-withdrawal--0"),
               withdraw(T))
    view = derive(ledger(*entries), T + timedelta(hours=3))
    assert view.withdrawn_at == T
    assert [e.entry_id for e in view.timeline if e.type == "withdrawn"] == [
        "x-accord-withdrawal--1"]


def test_a_subclass_of_an_entry_counts_as_its_kind():
    class SignedAcknowledgement(Acknowledgement):
        pass

    signed = SignedAcknowledgement("x-accord-ack--1", REQUEST.id, CN, T)
    assert derive(ledger(receipt(), signed), T).acknowledged_at == T


# Timeline

def test_timeline_is_ordered_by_time_then_by_the_mechanisms_order():
    created = REQUEST.created
    # Everything at one instant except the request's creation: the fixed order decides.
    same = RECEIVED
    entries = (withdraw(same + timedelta(hours=1)), rate(same), respond(same), report(same),
               ack(same), receipt(same), escalate(same), de_escalate(same))
    timeline = derive(ledger(*entries), same).timeline
    assert [e.type for e in timeline] == list(EVENT_TYPES)
    assert timeline[0].time == created and timeline[0].entry_id == REQUEST.id
    assert timeline[1].detail["respond_by"] == RESPOND_BY
    assert timeline[4].detail["outcome"] == "information-provided"


def test_the_same_entry_stored_twice_is_one_event_and_one_escalation():
    entries = (receipt(), escalate(T), escalate(T), ack(T), ack(T))
    view = derive(ledger(*entries), T)
    assert len(view.escalations) == 1
    assert [e.type for e in view.timeline] == ["created", "received", "acknowledged",
                                                "escalated"]


# Two nodes holding the same ledger in another order derive the same view

TIMES = [RECEIVED + timedelta(hours=h) for h in (0, 1, 1, 5, 30, 200)] + [ACK_BY, RESPOND_BY]


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    makers = [
        lambda i, at, party: receipt(at, id=f"x-accord-receipt--{i}", party=party),
        lambda i, at, party: ack(at, id=f"x-accord-ack--{i}", party=party),
        lambda i, at, party: report(at, id=f"x-accord-report--{i}", party=party),
        lambda i, at, party: respond(at, id=f"x-accord-response--{i % 3}{i}", party=party,
                                     outcome="declined" if i % 2 else "action-taken"),
        lambda i, at, party: rate(at, score=1 + i % 5, id=f"x-accord-rating--{i}", party=party,
                                  response_id=f"x-accord-response--{i % 3}{i - 1}"),
        lambda i, at, party: escalate(at, "manual", id=f"x-accord-escalation--{i % 4}",
                                      party=party),
        lambda i, at, party: de_escalate(at, f"x-accord-escalation--{i % 4}",
                                         id=f"x-accord-de-escalation--{i}", party=party),
        lambda i, at, party: withdraw(at, id=f"x-accord-withdrawal--{i}", party=party),
    ]
    count = draw(st.integers(0, 14))
    entries = []
    for i in range(count):
        make = draw(st.sampled_from(makers))
        entry = make(i, draw(st.sampled_from(TIMES)), draw(st.sampled_from([US, CN, CN, OTHER])))
        if draw(st.integers(0, 9)) == 0:
            entry = replace(entry, request_id="x-accord-request--2")
        entries.append(entry)
        if draw(st.integers(0, 9)) == 0:
            entries.append(entry)  # stored twice
    return Ledger(REQUEST, tuple(entries))


@settings(max_examples=300, deadline=None)
@given(ledgers(), st.randoms(use_true_random=False), st.sampled_from(TIMES))
def test_shuffled_entries_derive_the_same_view(original, rnd, now):
    shuffled = list(original.entries)
    rnd.shuffle(shuffled)
    first = derive(original, now)
    second = derive(Ledger(REQUEST, tuple(shuffled)), now)
    assert first == second
    assert first.timeline == second.timeline
    assert first.state == second.state
    assert escalations_due(first, now) == escalations_due(second, now)
    assert next_deadline(first) == next_deadline(second)
