"""A TAXII client polling a collection that has nothing new: its first empty read is on the
audit trail at once, as any read; the others of the minute are summed in one record."""

from __future__ import annotations

from accord.store.audit_log import AuditQuery

ROOT = "/taxii2/accord/"


def test_empty_polls_are_recorded_first_alone_then_as_one_count(client, world):
    url = f"{ROOT}collections/{world.evidence.id}/objects/"
    for _ in range(5):
        polled = client.get(url, params={"added_after": "2099-01-01T00:00:00.000Z"})
        assert polled.status_code == 200 and polled.json().get("objects", []) == []
    world.node.reads.flush(everything=False)  # what a running node appends meanwhile
    reads = list(world.node.audit.query(AuditQuery(action="objects.read", limit=100)))
    assert len(reads) == 1 and reads[0].event.object_ids == ()
    assert reads[0].event.collection_id == world.evidence.id
    world.node.reads.flush()  # the minute's end, or the node stopping
    reads = list(world.node.audit.query(AuditQuery(action="objects.read", limit=100)))
    [summary] = [r.event for r in reads if "empty_reads" in r.event.detail]
    assert summary.detail["empty_reads"] == 4 and len(reads) == 2
    token = world.node.directory.principal(world.admin_token).token_id
    assert summary.token_id == token and summary.party_id == world.own.id
