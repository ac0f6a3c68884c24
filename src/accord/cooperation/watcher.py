"""The deadline watcher that `accord serve` runs: every tick, an escalation for each deadline
that has just passed, and delivery of what waits in the hotline's outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import httpx
from starlette.concurrency import run_in_threadpool

from accord.attribution.arrivals import screen_arrivals
from accord.attribution.record import AttributionRecord
from accord.attribution.watchlist import renew_kept
from accord.cooperation.desk import Desk, utc_now
from accord.cooperation.hotline import Hotline
from accord.node import Node
from accord.store.faults import noted

log = logging.getLogger("accord.watcher")


class Watcher:
    def __init__(self, node: Node, tick: float, clock: Callable[[], datetime] = utc_now,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.desk = Desk(node, clock)
        self.hotline = Hotline(node.engine, transport, clock)
        self.tick = tick
        self.clock = clock

    def run_once(self) -> tuple[list[str], int]:
        """Escalate what is overdue, then deliver notifications; (escalation ids, delivered)."""
        made = self.desk.watch()
        # Arrivals are screened at each tick too, whatever path brought them.
        screen_arrivals(self.desk.node, max_batches=1)
        # And the lists parties screen against take in the designations made meanwhile, so
        # that no party's screening pays for one it may not read (attribution.watchlist).
        renew_kept(AttributionRecord(self.desk.node))
        return made, self.hotline.deliver_due(self.clock())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                made, delivered = await run_in_threadpool(self.run_once)
            except Exception as error:  # a bad tick must not stop the watch; the next retries
                if noted(error, "the deadline watcher's tick (retried at the next)") is None:
                    log.exception("the deadline watcher failed; retrying at the next tick")
                continue
            if made:
                log.warning("escalated %d overdue request(s): %s", len(made), ", ".join(made))
            if delivered:
                log.info("delivered %d hotline notification(s)", delivered)
