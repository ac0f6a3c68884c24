"""A change and its audit record are stored in one transaction: a node that dies (or fails)
between the two neither makes an unrecorded change nor records one it did not make."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient
from tests.integration.web.test_screening_flags import identity

from accord.app import create_app
from accord.attribution.arrivals import flags, screen_arrivals
from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.cooperation.desk import Actor
from accord.store.audit_log import AuditLog, AuditQuery

TAXII = "application/taxii+json;version=2.1"
INDICATOR = {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--00000000-0000-4000-8000-000000000042",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
             "pattern": "[ipv4-addr:value = '198.51.100.42']", "pattern_type": "stix",
             "valid_from": "2024-01-01T00:00:00Z"}


class AuditDown(Exception):
    pass


class Trail:
    """Turns appending to the audit trail off (it fails) and on again."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch, self.original = monkeypatch, AuditLog.append_in

    def down(self) -> None:
        def fail(log, conn, events):  # type: ignore[no-untyped-def]
            raise AuditDown("the audit trail cannot be written")

        self.monkeypatch.setattr(AuditLog, "append_in", fail)

    def up(self) -> None:
        self.monkeypatch.setattr(AuditLog, "append_in", self.original)


@pytest.fixture
def trail(monkeypatch: pytest.MonkeyPatch) -> Trail:
    return Trail(monkeypatch)


def test_a_taxii_delete_whose_record_cannot_be_written_deletes_nothing(world, trail):
    url = f"/taxii2/accord/collections/{world.evidence.id}/objects/"
    with TestClient(create_app(world.node), raise_server_exceptions=False) as client:
        client.headers.update({"Authorization": f"Bearer {world.admin_token}", "Accept": TAXII})
        world.node.objects.add(world.evidence.id, [INDICATOR], poster_id=world.own.id)
        trail.down()
        assert client.delete(f"{url}{INDICATOR['id']}/").status_code == 500
        assert world.node.objects.exists(world.evidence.id, INDICATOR["id"])
        trail.up()
        assert client.delete(f"{url}{INDICATOR['id']}/").status_code == 200
    assert not world.node.objects.exists(world.evidence.id, INDICATOR["id"])
    [deleted] = world.node.audit.query(AuditQuery(action="objects.delete"))
    assert deleted.event.object_ids == (INDICATOR["id"],)


def test_screening_hits_whose_record_cannot_be_written_are_screened_again(world, trail):
    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Zhu Hua", "individual", "Indictment, 2018"))
    world.node.objects.add(world.evidence.id, [identity("Zhu Hua")], poster_id=world.own.id)
    trail.down()
    with pytest.raises(AuditDown):
        screen_arrivals(world.node)
    assert flags(world.node) == []  # neither flagged nor passed over
    trail.up()
    assert [f.screened for f in screen_arrivals(world.node)] == ["Zhu Hua"]
    [hit] = world.node.audit.query(AuditQuery(action="screening.hit"))
    assert hit.event.object_ids == (identity("Zhu Hua")["id"],)
    assert orjson.loads(orjson.dumps(hit.event.detail))["designations"]
