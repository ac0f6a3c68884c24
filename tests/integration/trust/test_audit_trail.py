"""Every write and every read leaves a record; editing or removing one is detected."""

from __future__ import annotations

import orjson
from sqlalchemy import delete, update

from accord.store.audit_log import AuditQuery
from accord.store.engine import writing
from accord.store.schema import audit, audit_objects
from accord.trust.audit import verify

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


def indicator(n: int):
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def test_posts_and_reads_are_recorded_with_who_and_which_objects(client, world):
    node = world.node
    r = client.post(f"{ROOT}collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": [indicator(1), indicator(2)]}),
                    headers={"Content-Type": TAXII})
    assert r.status_code == 202
    client.get(f"{ROOT}collections/{world.evidence.id}/objects/{indicator(1)['id']}/")
    client.get(f"{ROOT}collections/{world.evidence.id}/manifest/")
    node.reads.flush()
    added = node.audit.query(AuditQuery(action="objects.add"))
    assert len(added) == 1 and set(added[0].event.object_ids) == {indicator(1)["id"],
                                                                  indicator(2)["id"]}
    assert added[0].event.party_id == world.own.id and added[0].event.token_id
    assert added[0].event.detail["status"] == r.json()["id"]
    about_one = node.audit.query(AuditQuery(object_id=indicator(1)["id"]))
    assert [rec.event.action for rec in about_one] == ["manifest.read", "objects.read",
                                                       "objects.add"]
    assert verify(node.audit.records()).is_intact


def test_a_delete_is_recorded(client, world):
    client.post(f"{ROOT}collections/{world.evidence.id}/objects/",
                content=orjson.dumps({"objects": [indicator(3)]}),
                headers={"Content-Type": TAXII})
    client.delete(f"{ROOT}collections/{world.evidence.id}/objects/{indicator(3)['id']}/")
    [deleted] = world.node.audit.query(AuditQuery(action="objects.delete"))
    assert deleted.event.object_ids == (indicator(3)["id"],)
    assert deleted.event.detail["versions"] == 1


def _trail_with_records(client, world, n=4):
    for i in range(n):
        client.post(f"{ROOT}collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": [indicator(10 + i)]}),
                    headers={"Content-Type": TAXII})
    world.node.audit.index_new()  # as the node does behind the trail
    return list(world.node.audit.records())


def test_an_edited_record_breaks_the_chain_there(client, world):
    records = _trail_with_records(client, world)
    victim = records[2].seq
    with writing(world.node.engine) as conn:
        conn.execute(update(audit).where(audit.c.seq == victim)
                     .values(party_id=world.other.id))
    verdict = verify(world.node.audit.records())
    assert verdict.broken_at == victim and "edited" in verdict.reason


def test_a_deleted_record_breaks_the_chain_there(client, world):
    records = _trail_with_records(client, world)
    victim = records[1].seq
    with writing(world.node.engine) as conn:
        conn.execute(delete(audit_objects).where(audit_objects.c.seq == victim))
        conn.execute(delete(audit).where(audit.c.seq == victim))
    verdict = verify(world.node.audit.records())
    assert verdict.broken_at == victim + 1 and not verdict.is_intact


def test_the_by_object_index_agrees_with_the_records_until_someone_changes_it(client, world):
    records = _trail_with_records(client, world)
    assert world.node.audit.index_disagreement() is None
    hidden = next(r for r in records if r.event.object_ids)
    with writing(world.node.engine) as conn:
        # Removing the index row would hide from "who was served X?" that X was served.
        conn.execute(delete(audit_objects).where(audit_objects.c.seq == hidden.seq))
    assert world.node.audit.index_disagreement() == hidden.seq


def test_an_index_row_pointing_past_the_last_record_is_caught(client, world):
    records = _trail_with_records(client, world)
    with writing(world.node.engine) as conn:
        conn.execute(audit_objects.insert().values(object_id="indicator--x",
                                                   seq=records[-1].seq))
    assert world.node.audit.index_disagreement() == records[-1].seq
