"""`accord hotline log` reads the ledgers of the requests escalated most recently, not every
ledger: the same escalations as deriving every ledger, and --limit bounds the requests read."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from tests.integration.cooperation.test_desk import T0, Clock
from tests.integration.store.test_escalation_reads import escalations_made
from typer.testing import CliRunner

from accord.cli import app
from accord.cooperation.desk import Desk
from accord.cooperation.ledger import derive


def logged(db_url: str, *args: str) -> tuple[list[dict[str, object]], str]:
    done = CliRunner().invoke(app, ["hotline", "log", *args, "--db", db_url],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    return ([orjson.loads(line) for line in done.stdout.splitlines()]
            if "--json" in args else []), done.stderr


def test_the_log_is_every_escalation_that_deriving_every_ledger_finds(world, db_url):
    made = escalations_made(world, Clock(T0))
    now = datetime.now(UTC)
    expected = sorted((e.escalation.id, view.request.id, e.ended_by)
                      for ledger in Desk(world.node).ledgers(None)
                      for view in [derive(ledger, now)] for e in view.escalations)
    rows, _ = logged(db_url, "--json")
    assert sorted((r["escalation"], r["request"], r["ended_by"]) for r in rows) == expected
    assert len(rows) == 8  # seven requests, one escalated twice
    assert made["quiet"] not in {r["request"] for r in rows}


def test_a_limit_keeps_the_requests_escalated_most_recently_and_says_so(world, db_url):
    made = escalations_made(world, Clock(T0))
    rows, _ = logged(db_url, "--json", "--limit", "2")
    assert {r["request"] for r in rows} == {made["twice"], made["theirs"]}
    assert len(rows) == 3  # both escalations of the request escalated twice
    _, told = logged(db_url, "--limit", "2")
    assert "3 escalations of the 2 requests escalated most recently; 7 were escalated in all " \
           "(--limit to see more)" in " ".join(told.split())
