"""A party's time zone travels with its node's description: published at GET /api/v1/node and
learned by its peers at each sync round, where the admin's setting stays if none is published."""

from __future__ import annotations

from tests.integration.federation.conftest import Federation

from accord.federation.sync import sync_peer
from accord.federation.time_zones import learn_time_zone
from accord.store.audit_log import AuditQuery
from accord.store.peers import PeerStore


def round_with_us(f: Federation):  # type: ignore[no-untyped-def]
    return sync_peer(f.china, PeerStore(f.china.engine).find("us"), f.transport)


def test_a_peer_learns_the_zone_the_node_publishes_at_the_next_round(federation):
    f = federation
    us_id = f.us.own.id
    round_with_us(f)
    assert us_id not in f.china.directory.time_zones()  # none published: none learned
    f.china.directory.set_time_zone(us_id, "America/Chicago")  # the admin's guess
    round_with_us(f)
    assert f.china.directory.time_zones()[us_id] == "America/Chicago"  # kept

    f.us.node.directory.set_time_zone(us_id, "America/New_York")
    round_with_us(f)
    assert f.china.directory.time_zones()[us_id] == "America/New_York"
    learned = [r.event.detail for r in f.china.audit.query(AuditQuery(action="party.time_zone"))]
    assert learned == [{"peer": "us", "time_zone": "America/New_York", "via": "published"}]
    round_with_us(f)  # the same again: nothing to record
    assert len(list(f.china.audit.query(AuditQuery(action="party.time_zone")))) == 1


def test_what_is_not_a_zone_is_not_learned(world):
    world.node.directory.set_time_zone(world.other.id, "Asia/Shanghai")
    for published in ({}, {"time_zone": None}, {"time_zone": 8}, {"time_zone": "../../etc"},
                      {"time_zone": "Beijing"}, {"time_zone": ""}):
        assert not learn_time_zone(world.node, world.other.id, published, "cn")
    assert world.node.directory.time_zones()[world.other.id] == "Asia/Shanghai"
    assert learn_time_zone(world.node, world.other.id, {"time_zone": "Asia/Urumqi"}, "cn")
    assert world.node.directory.time_zones()[world.other.id] == "Asia/Urumqi"
