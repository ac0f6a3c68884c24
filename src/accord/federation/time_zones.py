"""A peer's time zone, as it publishes it for its party (GET /api/v1/node "time_zone"): where
that party's deadlines fall, shown beside the reader's own on every deadline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.i18n.zones import is_zone
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.trust.audit import Event


def learn_time_zone(node: Node, party_id: str, published: Mapping[str, Any],
                    peer_name: str) -> bool:
    """Keep the zone the peer publishes for its party; whether that changed what was kept. A
    peer that publishes none, or a name that is no zone here, leaves the kept one (set by the
    admin, `accord party time-zone`) as it is."""
    name = published.get("time_zone")
    if not isinstance(name, str) or not is_zone(name):
        return False
    if not node.directory.set_time_zone(party_id, name):
        return False
    node.audit.append([Event(now_timestamp(), "party.time_zone", party_id, detail={
        "peer": peer_name, "time_zone": name, "via": "published"})])
    return True
