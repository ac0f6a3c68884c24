"""Two parties on one node take a request through the mechanism, end to end: the real
`accord` command and a real `accord serve` whose deadline watcher escalates a late
acknowledgement, notifies the hotline, and a review whose numbers are checked by hand."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from tests.e2e.conftest import (
    ACCORD,
    OWN_PARTY,
    PARTNER,
    NodeDatabases,
    created,
    run_accord,
)
from tests.e2e.ports import free_port

GUIDELINES = """
[urgency.urgent]
acknowledge = "PT2S"
# long enough that a loaded CI machine never makes the response late as well
respond = "PT10M"

[required]
information = ["summary"]
"""


class Hotline(BaseHTTPRequestHandler):
    """A receiver as the README asks for one: delivery is at least once, so a notification
    whose idempotency key was seen before is acknowledged and not heard twice."""

    heard: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        assert body["id"] == self.headers["Idempotency-Key"]
        if all(h["id"] != body["id"] for h in Hotline.heard):
            Hotline.heard.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hotline():
    Hotline.heard = []
    server = HTTPServer(("127.0.0.1", 0), Hotline)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hotline", Hotline.heard
    server.shutdown()


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def show(rid: str, db: str, as_party: str = OWN_PARTY) -> dict:
    done = run_accord("request", "show", rid, "--json", "--as", as_party, db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_late_acknowledgement_is_escalated_answered_and_reviewed(
        databases: NodeDatabases, tmp_path: Path, hotline):
    url, heard = hotline
    db = databases.new("node")
    created("init", "--party", OWN_PARTY, db=db)
    created("party", "add", PARTNER, db=db)
    rules = tmp_path / "guidelines.toml"
    rules.write_text(GUIDELINES)
    assert created("guidelines", "set", str(rules), db=db) == "1"
    assert run_accord("hotline", "set", "--party", PARTNER, "--webhook", url,
                      db=db).returncode == 0

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                                   "--tick", "0.5s"], stdout=sink, stderr=subprocess.STDOUT)
    try:
        rid = created("request", "create", "--to", PARTNER, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates the C2 server at 198.51.100.7?", db=db)
        # routine: a loaded machine could otherwise let its 2 s pass before it is withdrawn
        drill = created("request", "create", "--to", PARTNER, "--kind", "information",
                        "--category", "ddos", "--urgency", "routine", "--summary", "Drill",
                        "--exercise", db=db)
        assert run_accord("request", "withdraw", drill, "--reason", "drill over",
                          db=db).returncode == 0

        # nobody acknowledges within 2 s: the watcher escalates, once, and calls the hotline
        # (the wait is generous: on a loaded machine each command takes seconds)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and show(rid, db)["state"] != "escalated":
            time.sleep(0.3)
        seen = show(rid, db, PARTNER)
        assert seen["state"] == "escalated", log.read_text()
        [escalation] = seen["escalations"]
        assert escalation["reason"] == "acknowledgement-overdue"
        while time.monotonic() < deadline and not heard:
            time.sleep(0.2)
        assert [(h["request_id"], h["reason"], h["to"]) for h in heard] == [
            (rid, "acknowledgement-overdue", PARTNER)]

        late = run_accord("request", "ack", rid, "--as", PARTNER, db=db)
        assert late.returncode == 0, late.stderr
        answered = run_accord("request", "respond", rid, "--as", PARTNER, "--outcome",
                              "information-provided", "--text", "A reseller; logs preserved.",
                              db=db)
        assert answered.returncode == 0, answered.stderr
        assert run_accord("request", "rate", rid, "--score", "4", "--comment", "useful",
                          db=db).returncode == 0
        wrong = run_accord("request", "rate", rid, "--score", "9", db=db)
        assert wrong.returncode == 2 and "from 1" in wrong.stderr
        assert "Traceback" not in wrong.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)

    final = show(rid, db)
    assert final["state"] == "closed"
    kinds = [event["type"] for event in final["timeline"]]
    assert kinds == ["created", "received", "escalated", "acknowledged", "responded", "rated"]
    received = stamp(final["received"])
    assert stamp(final["deadlines"]["acknowledge"]) == received + timedelta(seconds=2)
    assert stamp(final["deadlines"]["respond"]) == received + timedelta(minutes=10)
    assert final["acknowledged_on_time"] is False and final["answered_on_time"] is True

    # the review, against numbers worked out from the timeline by hand
    day = received.date()
    done = run_accord("review", "--from", str(day), "--to", str(day + timedelta(days=1)),
                      "--format", "json", db=db)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    us_to_cn = figures["directions"][f"{OWN_PARTY}->{PARTNER}"]
    hours = (stamp(final["answered"]) - received).total_seconds() / 3600
    assert us_to_cn["requests"] == 1
    assert us_to_cn["acknowledged_on_time"] == 0
    assert us_to_cn["answered_on_time"] == 1
    assert us_to_cn["escalations"] == 1
    assert us_to_cn["median_hours_to_answer"] == round(hours, 2)
    assert us_to_cn["mean_rating"] == 4.0
    assert f"{PARTNER}->{OWN_PARTY}" not in figures["directions"]
    # the drill is reported apart
    assert figures["exercises"][f"{OWN_PARTY}->{PARTNER}"]["requests"] == 1

    log_lines = run_accord("hotline", "log", "--json", db=db)
    [entry] = [json.loads(line) for line in log_lines.stdout.splitlines()]
    assert entry["request"] == rid and entry["ended_by"] == "answered"
    assert entry["notified"][0].startswith(f"{PARTNER}: delivered")
    # In Beijing time, every time of the table: when it was raised and when it ended.
    table = run_accord("--tz", "Asia/Shanghai", "hotline", "log", db=db).stdout
    assert table.count("+08:00") == 3, table  # raised, ended (by answering), delivered
    assert not re.search(r"\d\dZ", table), table

    html = run_accord("review", "--from", str(day), "--to", str(day + timedelta(days=1)),
                      "--format", "html", db=db)
    assert html.returncode == 0 and "<svg" in html.stdout and OWN_PARTY in html.stdout
