"""`accord request show` says who raised each escalation: the deadline watcher's as automatic,
in the requester's name, not as the requester's own doing."""

from __future__ import annotations

from datetime import timedelta

import orjson
from tests.integration.cooperation.test_desk import EVIDENCE
from typer.testing import CliRunner

from accord.cli import app
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.escalating import watch


def test_an_automatic_escalation_is_shown_as_the_watcher_s(world, db_url):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    desk = Desk(world.node)
    view = desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                               "urgent", "Who runs the C2 server?",
                                               evidence=(EVIDENCE["id"],)))
    assert watch(Desk(world.node, lambda: view.acknowledge_by + timedelta(minutes=1)))
    runner = CliRunner()

    shown = runner.invoke(app, ["request", "show", view.request.id, "--db", db_url],
                          catch_exceptions=False, terminal_width=200)
    assert shown.exit_code == 0, shown.stderr
    [line] = [line for line in shown.stdout.splitlines() if "escalated" in line]
    assert f"automatically, for {world.own.name}" in line and "automatic:" not in line
    data = runner.invoke(app, ["request", "show", view.request.id, "--json", "--db", db_url],
                         catch_exceptions=False)
    [escalation] = orjson.loads(data.stdout)["escalations"]
    assert escalation["automatic"] is True and escalation["by"]["id"] == world.own.id
