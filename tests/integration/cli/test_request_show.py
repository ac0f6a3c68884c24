"""`accord request show` says who raised each escalation: the deadline watcher's as automatic,
in the requester's name, not as the requester's own doing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import orjson
from tests.integration.cooperation.test_desk import EVIDENCE
from typer.testing import CliRunner

from accord.cli import app
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.escalating import watch
from accord.cooperation.model import Acknowledgement
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.intake import screen, store
from accord.stix.timestamps import format_timestamp


def _sent(world):  # type: ignore[no-untyped-def]
    """A request from the US to China, its evidence held."""
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    desk = Desk(world.node)
    return desk, desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", "Who runs the C2 server?",
        evidence=(EVIDENCE["id"],)))


def test_an_automatic_escalation_is_shown_as_the_watcher_s(world, db_url):
    desk, view = _sent(world)
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


def test_a_backdated_act_is_marked_in_the_text_view_as_on_the_page(world, db_url):
    desk, view = _sent(world)
    request = view.request
    said = view.received - timedelta(hours=3)
    ack = Acknowledgement("x-accord-acknowledgement--00000000-0000-4000-8000-00000000a0c1",
                          request.id, world.other.id, said)
    store(world.node.engine, desk.collection(),
          screen([marked(to_stix(ack), world.other.id, request)]), party_id=world.other.id)
    shown = CliRunner().invoke(app, ["request", "show", request.id, "--db", db_url],
                               catch_exceptions=False, terminal_width=400)
    assert shown.exit_code == 0, shown.stderr
    [line] = [line for line in shown.stdout.splitlines() if "acknowledged" in line]
    assert "BACKDATED: it says it was made " + format_timestamp(said) in line
    assert "more than 5 minutes before it reached" in line
    # With --tz, the times keep their fraction of a second, as in UTC.
    in_shanghai = CliRunner().invoke(
        app, ["--tz", "Asia/Shanghai", "request", "show", request.id, "--db", db_url],
        catch_exceptions=False, terminal_width=400)
    local = said.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.isoformat(timespec="microseconds") if said.microsecond else
            local.isoformat(timespec="seconds")) in in_shanghai.stdout
