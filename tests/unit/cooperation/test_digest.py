"""The ledger digest keeps every fact that deadlines and the review are derived from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from accord.cooperation.digest import digest, from_digest
from accord.cooperation.ledger import derive
from accord.cooperation.model import (
    Acknowledgement,
    DeEscalation,
    Escalation,
    Ledger,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)
from accord.cooperation.objects import to_stix

T = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
US = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
CN = "identity--28bb3599-77cd-4a82-a950-b5bc3caf07c4"
JP = "identity--0b9a8f1e-2c3d-4e5f-8a6b-7c8d9e0f1a2b"
RID = "x-accord-request--11111111-2222-4333-8444-555555555555"


def eid(kind: str, n: int) -> str:
    return f"x-accord-{kind}--00000000-0000-4000-8000-{n:012d}"


REQUEST = Request(RID, T, US, CN, "investigation", "ransomware", "urgent", "Who?",
                  description="long text", activity_start=T - timedelta(days=3),
                  evidence=("indicator--00000000-0000-4000-8000-000000000001",),
                  shared_with=(JP,), is_exercise=True)
ENTRIES = [
    Receipt(eid("receipt", 1), RID, CN, T, received=T, acknowledge_by=T + timedelta(hours=24),
            respond_by=T + timedelta(days=3), guidelines_version=2),
    Acknowledgement(eid("acknowledgement", 2), RID, CN, T + timedelta(hours=30), note="late"),
    StatusReport(eid("status-report", 3), RID, CN, T + timedelta(hours=31), text="working"),
    Escalation(eid("escalation", 4), RID, US, T + timedelta(hours=24), reason="manual",
               level=2, note="why"),
    DeEscalation(eid("de-escalation", 5), RID, US, T + timedelta(hours=40),
                 escalation_id=eid("escalation", 4), reason="settled"),
    Response(eid("response", 6), RID, CN, T + timedelta(days=2), outcome="declined",
             text="no", reason="not ours"),
    Rating(eid("rating", 7), RID, US, T + timedelta(days=2, hours=1),
           response_id=eid("response", 6), score=2, comment="terse"),
    Withdrawal(eid("withdrawal", 8), RID, US, T + timedelta(days=4), reason="moot"),
]


def through_digest(item):
    data = digest(to_stix(item))
    assert data is not None
    return from_digest(item.id, RID, data)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: type(e).__name__)
def test_each_entry_keeps_its_facts_and_drops_only_free_text(entry):
    texts = {name: "" for name in ("note", "text", "reason", "comment")
             if hasattr(entry, name)}
    if isinstance(entry, Escalation):
        del texts["reason"]  # an escalation's reason is a fact (acknowledgement-overdue, …)
    if isinstance(entry, Response):
        texts["evidence"] = ()
    assert through_digest(entry) == replace(entry, **texts)


def test_the_request_keeps_what_the_review_and_the_watcher_use():
    back = through_digest(REQUEST)
    assert (back.requester, back.addressee, back.kind, back.category, back.urgency,
            back.summary, back.shared_with, back.is_exercise, back.created) == (
        US, CN, "investigation", "ransomware", "urgent", "Who?", (JP,), True, T)


def test_a_ledger_read_from_digests_derives_the_same_timeliness():
    now = T + timedelta(days=10)
    whole = derive(Ledger(REQUEST, tuple(ENTRIES)), now)
    digested = derive(Ledger(through_digest(REQUEST),
                             tuple(through_digest(e) for e in ENTRIES)), now)
    for name in ("state", "received", "acknowledge_by", "respond_by", "acknowledged_at",
                 "answered_at", "withdrawn_at", "acknowledged_on_time", "answered_on_time",
                 "is_overdue"):
        assert getattr(whole, name) == getattr(digested, name), name
    assert [e.ended_by for e in whole.escalations] == [e.ended_by for e in digested.escalations]


def test_objects_that_are_not_accords_have_no_digest():
    assert digest({"type": "indicator", "created": "2026-01-01T00:00:00Z"}) is None
