"""`accord claim list` reads the record a page at a time: the same claims, in the same order,
as reading them all at once gave."""

from __future__ import annotations

import orjson
from tests.opm import APT19, OPM, opm_objects
from typer.testing import CliRunner

from accord.attribution.record import AttributionRecord, ClaimDraft
from accord.cli import app
from accord.cli import attribution as attribution_commands
from accord.cooperation.desk import Actor
from accord.intake import Screened, store


def listed(db_url: str, *args: str) -> list[str]:
    done = CliRunner().invoke(app, ["claim", "list", "--json", *args, "--db", db_url],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    return [orjson.loads(line)["id"] for line in done.stdout.splitlines()]


def test_claims_are_listed_a_page_at_a_time(world, db_url, monkeypatch):
    store(world.node.engine, world.evidence, Screened(opm_objects(), []),
          party_id=world.own.id, operator=True)
    record = AttributionRecord(world.node)
    us = Actor(world.own)
    made = [record.claim(us, ClaimDraft(OPM, (APT19,), ("media-report",), 40 + n,
                                        f"View {n}.")).claim.id for n in range(5)]
    monkeypatch.setattr(attribution_commands, "_PAGE", 2)
    assert listed(db_url) == made == [s.claim.id for s in record.claims(us)]
    assert listed(db_url, "--subject", OPM) == made
    assert listed(db_url, "--subject", APT19) == []
