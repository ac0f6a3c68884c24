"""`accord request list` pages through the party's request summaries and reads only each page's
ledgers: the same requests, in the same order, as deriving every ledger gave."""

from __future__ import annotations

import orjson
import pytest
from tests.integration.cooperation.test_desk import T0, Clock
from tests.integration.store.test_escalation_reads import escalations_made
from typer.testing import CliRunner

from accord.cli import app
from accord.cli import requests as request_commands
from accord.cooperation.desk import Actor, Desk, Filters


def listed(db_url: str, *args: str) -> list[str]:
    done = CliRunner().invoke(app, ["request", "list", "--json", *args, "--db", db_url],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    return [orjson.loads(line)["id"] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("page", [2, 500])
def test_the_list_is_what_deriving_every_ledger_gave_a_page_at_a_time(
        world, db_url, monkeypatch, page):
    made = escalations_made(world, Clock(T0))
    monkeypatch.setattr(request_commands, "LIST_PAGE", page)
    desk = Desk(world.node)
    for party, args, filters in (
            (world.own, (), Filters()),
            (world.other, ("--as", world.other.name), Filters()),
            (world.other, ("--as", world.other.name, "--direction", "received"),
             Filters(direction="received")),
            (world.own, ("--state", "escalated"), Filters(state="escalated")),
            (made["russia"], ("--as", "Russia"), Filters())):
        expected = [v.request.id for v in desk.search(Actor(party), filters)]
        assert listed(db_url, *args) == expected
    assert made["theirs"] not in listed(db_url, "--as", world.other.name)
