#!/usr/bin/env python3
"""The review at scale: derive N synthetic request ledgers, review them, render the review.

Ledgers are generated in memory as model objects (no store), from a fixed seed: mixed kinds,
categories, urgencies and outcomes between four parties; some acknowledged or answered late,
some never, some escalated (and some of those de-escalated), some rated, some withdrawn, some
exercises. `generate_ledgers(n, seed)` is importable for other benchmarks and tests.

usage: review_bench.py [--count 100000] [--seed 2015] [--repeat 3]
Prints one JSON line per phase (best of --repeat) and the review's headline figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from accord.cooperation.ledger import derive
from accord.cooperation.model import (
    CATEGORIES,
    KINDS,
    Acknowledgement,
    DeEscalation,
    Entry,
    Escalation,
    EscalationReason,
    Ledger,
    Outcome,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Urgency,
    Withdrawal,
)
from accord.cooperation.report import render
from accord.cooperation.review import review

PARTIES = {
    "identity--6f1d2c1e-0000-4000-8000-000000000001": "US-CERT",
    "identity--6f1d2c1e-0000-4000-8000-000000000002": "CNCERT",
    "identity--6f1d2c1e-0000-4000-8000-000000000003": "MPS",
    "identity--6f1d2c1e-0000-4000-8000-000000000004": "FBI",
}
# Who asks whom, weighted: most traffic between the two CERTs and between the two police forces.
DIRECTIONS = [(a, b) for a in PARTIES for b in PARTIES if a != b]
DIRECTION_WEIGHTS = [8 if {PARTIES[a], PARTIES[b]} in ({"US-CERT", "CNCERT"}, {"MPS", "FBI"})
                     else 1 for a, b in DIRECTIONS]
# Deadlines per urgency as guidelines might fix them (acknowledge, respond).
DEADLINES: dict[Urgency, tuple[timedelta, timedelta]] = {
    "routine": (timedelta(days=3), timedelta(days=30)),
    "priority": (timedelta(hours=24), timedelta(days=7)),
    "urgent": (timedelta(hours=2), timedelta(hours=24)),
}
URGENCY_WEIGHTS = {"routine": 6, "priority": 3, "urgent": 1}
OUTCOME_WEIGHTS: dict[Outcome, int] = {"information-provided": 50, "action-taken": 20,
                                       "no-information-found": 15, "declined": 10,
                                       "referred": 5}

PERIOD_START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 7, 15, tzinfo=UTC)
# Requests are created over a span wider than the period, so some fall outside it.
SPAN_START = datetime(2025, 11, 1, tzinfo=UTC)
SPAN = NOW - timedelta(days=2) - SPAN_START


def generate_ledgers(n: int, seed: int = 2015) -> list[Ledger]:
    """`n` ledgers, the same for the same seed."""
    rnd = random.Random(seed)

    def new_id(kind: str) -> str:
        return f"{kind}--{uuid.UUID(int=rnd.getrandbits(128), version=4)}"

    urgencies = list(URGENCY_WEIGHTS)
    urgency_weights = list(URGENCY_WEIGHTS.values())
    outcomes = list(OUTCOME_WEIGHTS)
    outcome_weights = list(OUTCOME_WEIGHTS.values())
    ledgers = []
    for _ in range(n):
        requester, addressee = rnd.choices(DIRECTIONS, DIRECTION_WEIGHTS)[0]
        urgency: Urgency = rnd.choices(urgencies, urgency_weights)[0]  # type: ignore[assignment]
        created = SPAN_START + SPAN * rnd.random()
        request = Request(
            id=new_id("x-accord-request"), created=created, requester=requester,
            addressee=addressee, kind=rnd.choice(KINDS), category=rnd.choice(CATEGORIES),
            urgency=urgency, summary="synthetic request", is_exercise=rnd.random() < 0.05,
        )
        rid = request.id
        acknowledge_in, respond_in = DEADLINES[urgency]
        entries: list[Entry] = []
        if rnd.random() < 0.01:  # still in transit: no receipt yet
            ledgers.append(Ledger(request))
            continue
        received = created + timedelta(seconds=rnd.randint(1, 600))
        acknowledge_by, respond_by = received + acknowledge_in, received + respond_in
        entries.append(Receipt(new_id("x-accord-receipt"), rid, addressee, received,
                               received=received, acknowledge_by=acknowledge_by,
                               respond_by=respond_by, guidelines_version=1))
        # Fractions of the deadline, log-normal: most well within it, about one in ten late;
        # a few exactly at the deadline (on time), as a careful addressee would cut it.
        ack_at = received + acknowledge_in * rnd.lognormvariate(-1.2, 0.9)
        answer_at = received + respond_in * rnd.lognormvariate(-0.7, 0.6)
        if rnd.random() < 0.01:
            ack_at = acknowledge_by
        ack_at, answer_at = min(ack_at, answer_at), max(ack_at, answer_at)
        acknowledges = rnd.random() < 0.95 and ack_at < NOW
        answers = acknowledges and rnd.random() < 0.9 and answer_at < NOW
        withdrawn_at = None
        if not answers and rnd.random() < 0.25:
            withdrawn_at = received + respond_in * 0.5
        if acknowledges:
            entries.append(Acknowledgement(new_id("x-accord-acknowledgement"), rid, addressee,
                                           ack_at))
            report_at = ack_at + (answer_at - ack_at) / 2
            if rnd.random() < 0.4 and report_at < min(NOW, withdrawn_at or NOW):
                entries.append(StatusReport(new_id("x-accord-status-report"), rid, addressee,
                                            report_at, text="in progress"))
        # The deadline watcher escalates a minute after a deadline passes unmet.
        watched: list[tuple[datetime, datetime | None, EscalationReason]] = [
            (acknowledge_by, ack_at if acknowledges else None, "acknowledgement-overdue"),
            (respond_by, answer_at if answers else None, "response-overdue")]
        for deadline, met_at, reason in watched:
            escalated_at = deadline + timedelta(minutes=1)
            if (escalated_at < NOW and (met_at is None or met_at > deadline)
                    and (withdrawn_at is None or escalated_at < withdrawn_at)):
                escalation = Escalation(new_id("x-accord-escalation"), rid, requester,
                                        escalated_at, reason=reason, level=1)
                entries.append(escalation)
                if rnd.random() < 0.3:
                    entries.append(DeEscalation(new_id("x-accord-de-escalation"), rid,
                                                addressee, escalated_at + timedelta(hours=4),
                                                escalation_id=escalation.id, reason="in hand"))
        if answers:
            response = Response(new_id("x-accord-response"), rid, addressee, answer_at,
                                outcome=rnd.choices(outcomes, outcome_weights)[0])
            entries.append(response)
            if rnd.random() < 0.7:
                entries.append(Rating(new_id("x-accord-rating"), rid, requester,
                                      answer_at + timedelta(days=1), response_id=response.id,
                                      score=rnd.randint(1, 5)))
        if withdrawn_at is not None:
            entries.append(Withdrawal(new_id("x-accord-withdrawal"), rid, requester,
                                      withdrawn_at, reason="no longer needed"))
        rnd.shuffle(entries)  # ledgers come in any order: derivation must not care
        ledgers.append(Ledger(request, tuple(entries)))
    return ledgers


def best_of(repeat: int, work):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    ledgers = generate_ledgers(args.count, args.seed)
    generated = time.perf_counter() - started
    entries = sum(len(ledger.entries) for ledger in ledgers)

    def derive_and_review():  # type: ignore[no-untyped-def]
        # Views go straight into the review, as a node computing a review would do it.
        return review((derive(ledger, NOW) for ledger in ledgers), start=PERIOD_START,
                      end=PERIOD_END, now=NOW, names=PARTIES)

    pipeline_s, result = best_of(args.repeat, derive_and_review)
    derive_s, views = best_of(args.repeat, lambda: [derive(ledger, NOW) for ledger in ledgers])
    review_s, _ = best_of(args.repeat, lambda: review(
        views, start=PERIOD_START, end=PERIOD_END, now=NOW, names=PARTIES))
    json_s, text = best_of(args.repeat, lambda: render(result, "json"))
    html_s, _ = best_of(args.repeat, lambda: render(result, "html"))
    for phase, seconds in (("generate", generated),
                           ("derive+review (streamed) + render json", pipeline_s + json_s),
                           ("derive+review (streamed)", pipeline_s),
                           ("derive alone (100,000 views kept in a list)", derive_s),
                           ("review alone (of that list)", review_s),
                           ("render json", json_s), ("render html", html_s)):
        print(json.dumps({"phase": phase, "requests": args.count, "entries": entries,
                          "seconds": round(seconds, 4),
                          "us_per_request": round(seconds / args.count * 1e6, 2)}))

    print(f"\n{args.count} requests, {entries} entries, period {PERIOD_START:%Y-%m-%d} to "
          f"{PERIOD_END:%Y-%m-%d} (exclusive), now {NOW:%Y-%m-%d}; json {len(text)} chars")
    print("| direction | requests | ack on time | answered on time | median h to answer "
          "| p90 h | escalations | open | overdue | mean rating |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for group, directions in (("", result.directions), (" (exercise)", result.exercises)):
        for key, f in directions.items():
            print(f"| {key}{group} | {f.requests} | {f.acknowledged_on_time_pct}% "
                  f"| {f.answered_on_time_pct}% | {f.median_hours_to_answer} "
                  f"| {f.p90_hours_to_answer} | {f.escalations} | {f.open_now} "
                  f"| {f.overdue_now} | {f.mean_rating} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
