"""Hotline delivery is at least once, and says so: every attempt at a notification carries the
same idempotency key for the receiver to honour, and a worker whose tick runs long keeps the
notifications it claimed from another worker's tick."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
import orjson
from tests.integration.cooperation.test_desk import EVIDENCE, T0, Clock, draft

from accord.cooperation.desk import Actor, Desk
from accord.cooperation.hotline import CLAIM, Hotline
from accord.cooperation.watcher import Watcher
from accord.stix.timestamps import format_timestamp, parse_timestamp


def _escalated(world, clock: Clock, webhook: str = "https://{party}.example/hotline"
               ) -> None:  # type: ignore[no-untyped-def]
    """A request of the US to China, escalated: its two notifications (one to each party's
    hotline, at `webhook`) wait in the outbox."""
    for party in (world.own, world.other):
        Hotline(world.node.engine).set_contact(party.id, webhook.format(party=party.id))
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    desk = Desk(world.node, clock)
    desk.create(Actor(world.own), draft(world, EVIDENCE["id"]))
    clock.advance(days=2)
    assert len(desk.watch()) == 1


def test_a_tick_that_runs_long_keeps_what_it_claimed_from_another_worker(world):
    clock = Clock(T0)
    _escalated(world, clock)
    sent: Counter[str] = Counter()
    other = Watcher(world.node, 1.0, clock, httpx.MockTransport(
        lambda request: sent.update([request.headers["Idempotency-Key"]])
        or httpx.Response(204)))

    def slow_webhook(request: httpx.Request) -> httpx.Response:
        sent[request.headers["Idempotency-Key"]] += 1
        if len(sent) == 1:
            clock.advance(seconds=CLAIM.total_seconds() + 1)  # the first send takes long …
        else:
            other.hotline.deliver_due(clock())  # … and another worker's tick comes meanwhile
        return httpx.Response(204)

    assert Watcher(world.node, 1.0, clock, httpx.MockTransport(slow_webhook)).run_once()[1] == 2
    assert sorted(sent.values()) == [1, 1], "a notification was sent twice at once"


def test_every_attempt_carries_the_notifications_key_in_its_headers_and_body(world):
    clock = Clock(T0)
    _escalated(world, clock)
    attempts: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        return httpx.Response(503 if len(attempts) <= 2 else 204)

    watcher = Watcher(world.node, 1.0, clock, httpx.MockTransport(flaky))
    assert watcher.run_once()[1] == 0
    clock.advance(seconds=11)
    assert watcher.run_once()[1] == 2
    keys = [r.headers["Idempotency-Key"] for r in attempts]
    assert len(attempts) == 4 and sorted(Counter(keys).values()) == [2, 2]
    assert all(orjson.loads(r.content)["id"] == r.headers["Idempotency-Key"]
               == r.headers["X-Accord-Notification"] for r in attempts)
    assert {n.id for n in Hotline(world.node.engine).log()} == set(keys)


def test_a_failed_attempt_is_retried_after_the_delay_counted_from_its_end(world):
    clock = Clock(T0)
    _escalated(world, clock)

    def slow_failure(request: httpx.Request) -> httpx.Response:
        clock.advance(seconds=30)  # each attempt takes 30 s, then fails
        return httpx.Response(503)

    started = clock()
    Watcher(world.node, 1.0, clock, httpx.MockTransport(slow_failure)).run_once()
    retries = sorted(parse_timestamp(n.next_attempt) for n in Hotline(world.node.engine).log())
    assert retries == [started + timedelta(seconds=30 + 10), started + timedelta(seconds=60 + 10)]


def test_a_failed_send_never_undoes_a_delivery_another_worker_recorded_meanwhile(world):
    """A worker's claim ran out while its webhook answered (a host whose clock is behind the
    others'), and another worker delivered the notification meanwhile: the first one's failure
    changes nothing of the delivery recorded (no error shown beside it, no retry set)."""
    clock = Clock(T0)
    _escalated(world, clock)
    hotline = Hotline(world.node.engine)

    def failing_after_another_delivered(request: httpx.Request) -> httpx.Response:
        nid = request.headers["Idempotency-Key"]
        delivering = httpx.MockTransport(lambda r: httpx.Response(204))
        with httpx.Client(transport=delivering) as client:
            Hotline(world.node.engine, delivering, clock)._send(client, nid)
        return httpx.Response(503)

    slow = Hotline(world.node.engine, httpx.MockTransport(failing_after_another_delivered), clock)
    slow.deliver_due(clock())
    log = hotline.log()
    assert len(log) == 2 and all(n.delivered is not None for n in log), log
    assert all(n.attempts == 1 and n.last_error is None for n in log), log


def test_a_failed_send_leaves_alone_the_claim_another_worker_made_meanwhile(world):
    """A worker's claim ran out while its webhook answered, and another worker claimed the
    notification: the first one's failure neither moves the other's claim forward (for a
    third worker to send it as well) nor counts as an attempt of the other's."""
    clock = Clock(T0)
    _escalated(world, clock)
    taken: list[tuple[str, str] | None] = []
    sending: list[str] = []

    def failing_after_another_claimed(request: httpx.Request) -> httpx.Response:
        sending.append(request.headers["Idempotency-Key"])
        clock.advance(seconds=CLAIM.total_seconds() + 1)
        taken.append(Hotline(world.node.engine, clock=clock)._claim_next(
            format_timestamp(clock())))
        return httpx.Response(503)

    Hotline(world.node.engine, httpx.MockTransport(failing_after_another_claimed),
            clock).deliver_due(clock(), most=1)
    assert taken and taken[0] is not None and taken[0][0] == sending[0]
    (note,) = [n for n in Hotline(world.node.engine).log() if n.id == sending[0]]
    assert (note.next_attempt, note.attempts, note.last_error) == (taken[0][1], 0, None)
