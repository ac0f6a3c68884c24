"""Acts are timed by when they reached the party they are addressed to (their act receipt), not
by the `created` their maker wrote; an act stamped earlier beyond the allowance is backdated."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from accord.cooperation.arrivals import (
    CLOCK_SKEW_ALLOWANCE,
    act_receipt_id,
    is_backdated,
    receiver_of,
)
from accord.cooperation.digest import digest, from_digest
from accord.cooperation.ledger import derive
from accord.cooperation.model import (
    Acknowledgement,
    ActReceipt,
    Entry,
    Ledger,
    Receipt,
    Request,
    Response,
    Withdrawal,
)
from accord.cooperation.objects import check, from_stix, to_stix
from accord.cooperation.report import render
from accord.cooperation.review import review

US = "identity--00000000-0000-4000-8000-0000000000a1"
CN = "identity--00000000-0000-4000-8000-0000000000c1"
H = timedelta(hours=1)
MICRO = timedelta(microseconds=1)
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACK_BY, RESPOND_BY = RECEIVED + 24 * H, RECEIVED + 7 * 24 * H
REQUEST = Request("x-accord-request--00000000-0000-4000-8000-000000000001",
                  RECEIVED - 5 * timedelta(minutes=1), US, CN, "information", "intrusion",
                  "priority", "intrusion into personnel records")
ACK_ID = "x-accord-acknowledgement--00000000-0000-4000-8000-000000000002"
RESPONSE_ID = "x-accord-response--00000000-0000-4000-8000-000000000003"
WITHDRAWAL_ID = "x-accord-withdrawal--00000000-0000-4000-8000-000000000004"
RECEIPT = Receipt("x-accord-receipt--00000000-0000-4000-8000-000000000005", REQUEST.id, CN,
                  RECEIVED, received=RECEIVED, acknowledge_by=ACK_BY, respond_by=RESPOND_BY)


def arrived(act_id: str, at: datetime, party: str = US) -> ActReceipt:
    return ActReceipt(act_receipt_id(act_id), REQUEST.id, party, at, act_id=act_id,
                      received=at)


def view(*entries: Entry, now: datetime = RECEIVED + 30 * 24 * H):
    return derive(Ledger(REQUEST, (RECEIPT, *entries)), now)


def test_an_act_is_backdated_only_beyond_the_clock_skew_allowance():
    assert not is_backdated(RECEIVED - CLOCK_SKEW_ALLOWANCE, RECEIVED)
    assert is_backdated(RECEIVED - CLOCK_SKEW_ALLOWANCE - MICRO, RECEIVED)
    assert not is_backdated(RECEIVED + H, RECEIVED)  # stamped later than it arrived: not back


def test_acts_are_addressed_to_the_other_side_and_other_entries_are_not_timed_by_arrival():
    assert receiver_of(ACK_ID, REQUEST) == US
    assert receiver_of(RESPONSE_ID, REQUEST) == US
    assert receiver_of("x-accord-status-report--1", REQUEST) == US
    assert receiver_of(WITHDRAWAL_ID, REQUEST) == CN
    assert receiver_of("x-accord-rating--1", REQUEST) is None
    assert receiver_of("x-accord-escalation--1", REQUEST) is None


def test_a_backdated_acknowledgement_is_timed_by_its_arrival_and_is_late():
    forged = Acknowledgement(ACK_ID, REQUEST.id, CN, RECEIVED + H)  # claims to be early
    got = view(forged, arrived(ACK_ID, ACK_BY + H))  # reached the US after the deadline
    assert got.acknowledged_at == ACK_BY + H
    assert got.acknowledged_on_time is False
    assert got.microseconds_to_acknowledge == (25 * H) // MICRO
    assert got.backdated == (ACK_ID,)
    event = next(e for e in got.timeline if e.entry_id == ACK_ID)
    assert (event.time, event.stamped, event.is_backdated) == (ACK_BY + H, RECEIVED + H, True)
    assert ACK_ID not in view(forged).backdated  # without a receipt: its own word, as before


def test_an_act_within_the_allowance_is_timed_by_its_arrival_and_not_backdated():
    got = view(Acknowledgement(ACK_ID, REQUEST.id, CN, ACK_BY - timedelta(minutes=4)),
               arrived(ACK_ID, ACK_BY + MICRO))
    assert got.acknowledged_at == ACK_BY + MICRO and got.acknowledged_on_time is False
    assert got.backdated == ()
    event = next(e for e in got.timeline if e.entry_id == ACK_ID)
    assert event.stamped == ACK_BY - timedelta(minutes=4) and not event.is_backdated


def test_a_receipt_made_by_the_acting_side_itself_counts_for_nothing():
    ack = Acknowledgement(ACK_ID, REQUEST.id, CN, RECEIVED + H)
    got = view(ack, arrived(ACK_ID, ACK_BY + H, party=CN))
    assert got.acknowledged_at == RECEIVED + H and got.backdated == ()


def test_of_two_receipts_of_one_act_the_earliest_arrival_counts_in_any_order():
    entries = [Response(RESPONSE_ID, REQUEST.id, CN, RECEIVED + H),
               arrived(RESPONSE_ID, RECEIVED + 3 * H),
               ActReceipt("x-accord-act-receipt--00000000-0000-4000-8000-0000000000ff",
                          REQUEST.id, US, RECEIVED + 2 * H, act_id=RESPONSE_ID,
                          received=RECEIVED + 2 * H)]
    first = view(*entries)
    assert first.answered_at == RECEIVED + 2 * H
    for seed in range(5):
        random.Random(seed).shuffle(entries)
        assert view(*entries) == first


def test_a_backdated_withdrawal_does_not_erase_an_answer_that_arrived_before_it():
    answer = Response(RESPONSE_ID, REQUEST.id, CN, RECEIVED + 2 * H)
    withdrawal = Withdrawal(WITHDRAWAL_ID, REQUEST.id, US, RECEIVED + H)  # claims: before it
    got = view(answer, arrived(RESPONSE_ID, RECEIVED + 2 * H),
               withdrawal, arrived(WITHDRAWAL_ID, RECEIVED + 3 * H, party=CN))
    assert got.answered_at == RECEIVED + 2 * H and got.answered_on_time is True
    assert got.withdrawn_at == RECEIVED + 3 * H
    assert got.backdated == (WITHDRAWAL_ID,)


def test_the_review_counts_backdated_acts_in_every_rendering():
    got = view(Acknowledgement(ACK_ID, REQUEST.id, CN, RECEIVED + H),
               arrived(ACK_ID, ACK_BY + H))
    done = review([got], start=RECEIVED - 24 * H, end=RECEIVED + 24 * H,
                  now=RECEIVED + 30 * 24 * H, names={US: "US", CN: "CN"})
    figures = done.directions["US->CN"]
    assert figures.backdated_acts == 1 and figures.acknowledged_on_time == 0
    assert '"backdated_acts": 1' in render(done, "json")
    assert "| Acts backdated | 1 |" in render(done, "md")
    header, row = render(done, "csv").splitlines()
    assert header.endswith(",backdated_acts") and row.endswith(",1")
    assert "<th scope=\"row\">Acts backdated</th><td>1</td>" in render(done, "html")


@pytest.mark.parametrize("act_id", [ACK_ID, RESPONSE_ID, WITHDRAWAL_ID])
def test_an_act_receipt_reads_back_equal_from_stix_and_from_its_digest(act_id):
    receipt = ActReceipt(act_receipt_id(act_id), REQUEST.id, US, RECEIVED, act_id=act_id,
                         received=RECEIVED)
    obj = to_stix(receipt)
    assert check(obj) == [] and from_stix(obj) == receipt
    assert from_digest(obj["id"], REQUEST.id, digest(obj) or b"") == receipt


def test_an_act_receipt_of_something_that_is_not_a_timed_act_is_refused():
    obj = to_stix(ActReceipt(act_receipt_id(ACK_ID), REQUEST.id, US, RECEIVED, act_id=ACK_ID,
                             received=RECEIVED))
    obj["act_ref"] = "x-accord-rating--00000000-0000-4000-8000-000000000009"
    assert check(obj) == [
        "x-accord-act-receipt.act_ref: 'x-accord-rating--00000000-0000-4000-8000-000000000009' "
        "is not an identifier of type x-accord-acknowledgement or x-accord-status-report or "
        "x-accord-response or x-accord-withdrawal"]
