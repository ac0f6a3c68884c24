"""`accord serve` killed -9 while its deadline watcher escalates requests and delivers their
hotline notifications to slow, failing webhooks: afterwards each passed deadline has one
escalation, each escalation one notification per party, every notification was delivered, and a
receiver that honours the idempotency key stored each one once (however often it was sent)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.e2e.conftest import PARTNER
from tests.e2e.faults.conftest import Site, cli
from tests.e2e.faults.invariants import problems
from tests.e2e.faults.processes import Server

from accord.cooperation.hotline import Hotline
from accord.cooperation.watcher import Watcher
from accord.node import open_node

KILLS, SECONDS = 2, 10  # per round: kills, and the time they may take
GUIDELINES = """
[urgency.urgent]
acknowledge = "PT1S"
respond = "P30D"

[required]
information = ["summary"]
"""


class Receiver(ThreadingHTTPServer):
    """A party's hotline: slow, failing now and then, and honouring the idempotency key."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.lock = rng, threading.Lock()
        self.attempts: dict[str, list[dict]] = defaultdict(list)  # every POST, by key
        self.stored: dict[str, dict] = {}  # what the receiver keeps: one per key
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hotline"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        with self.server.lock:
            delay, fails = self.server.rng.uniform(0, 0.6), self.server.rng.random() < 0.15
            self.server.attempts[key].append(body)
        time.sleep(delay)  # a kill often comes while a delivery waits for its answer
        if fails:
            self.send_response(500)
        else:
            with self.server.lock:
                self.server.stored.setdefault(key, body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _request(site: Site, n: int) -> str:
    return cli("request", "create", "--to", PARTNER, "--kind", "information", "--category",
               "intrusion", "--urgency", "urgent", "--summary", f"Who runs C2 number {n}?",
               db=site.db)


def test_the_watcher_killed_while_escalating_and_notifying_escalates_and_stores_once(
        site: Site, tmp_path: Path, rng: random.Random, faults):
    rules = tmp_path / "guidelines.toml"
    rules.write_text(GUIDELINES)
    cli("guidelines", "set", str(rules), db=site.db)
    receiver = Receiver(random.Random(rng.random()))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    for party in (site.own_id, site.partner_id):
        cli("hotline", "set", "--party", party, "--webhook", receiver.url, db=site.db)
    server = Server(site.db, tmp_path / "serve.log", "--tick", "0.2s", "--sync-every", "0")
    requests: list[str] = []
    try:
        for n in faults(KILLS, SECONDS):
            server.start()
            # New requests all along: their deadlines pass while the server runs, and dies.
            requests += [_request(site, 2 * n), _request(site, 2 * n + 1)]
            time.sleep(rng.uniform(1.0, 2.5))
            server.kill()
        _finish(site.db)
    finally:
        server.stop()
        receiver.shutdown()

    assert problems(site.db) == []
    node = open_node(site.db)
    try:
        outbox = Hotline(node.engine).log()
        escalations: dict[str, list[object]] = {}
        for note in outbox:  # the whole outbox, by the escalation each announces
            escalations.setdefault(note.body["escalation"]["id"], []).append(note)
    finally:
        node.engine.dispose()
    assert len(escalations) == len(requests), "not one escalation per passed deadline"
    assert {n.body["request_id"] for n in outbox} == set(requests)
    assert all(len(notes) == 2 for notes in escalations.values())
    assert all(n.delivered for n in outbox), [n for n in outbox if not n.delivered]
    # The receiver holds each notification once, whatever was sent to it, and twice or more.
    assert set(receiver.stored) == {n.id for n in outbox}
    assert all(body["id"] == key for key, body in receiver.stored.items())
    for key, attempts in receiver.attempts.items():
        assert all(a == attempts[0] for a in attempts), f"{key} sent with different bodies"


def _finish(db: str) -> None:
    """The watcher of a restarted node, run until the outbox is empty: its clock moved on past
    the claims the killed server left and the delays of failed attempts."""
    node = open_node(db)
    try:
        later = datetime.now(UTC)
        for _ in range(12):
            later += timedelta(hours=1)
            watcher = Watcher(node, 1.0, clock=lambda at=later: at)
            watcher.run_once()
            if all(n.delivered for n in watcher.hotline.log()):
                return
        raise AssertionError("notifications still undelivered after 12 hours")
    finally:
        node.engine.dispose()
