"""Whose objects a sync round takes from a peer: an object created by a party of a peer must
carry that party's node's signature, one created by a party hosted here this node's own; one
created by anybody else (MITRE's ATT&CK, say) only from a source the operator trusts
(`accord peer trust`)."""

from __future__ import annotations

from typing import Any

import orjson

from accord.federation.keys import own_keys, peer_keys
from accord.federation.signing import why_not_signed
from accord.intake import Rejection
from accord.node import Node
from accord.stix.violations import Violation
from accord.store.peers import hosted_parties

TRUSTED_SOURCES = "trusted_sources"  # node setting: JSON list of identity ids


def trusted_sources(node: Node) -> list[str]:
    """Identities whose unsigned objects this node takes from peers (e.g. MITRE's ATT&CK)."""
    return list(orjson.loads(node.directory.setting(TRUSTED_SOURCES) or "[]"))


def authentic(node: Node, objs: list[dict[str, Any]]
              ) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """`objs` split: those whose authorship holds, and those refused (forged-authorship,
    untrusted-source)."""
    keys = peer_keys(node.engine)
    own = own_keys(node.engine)
    hosted = hosted_parties(node.engine)
    trusted = set(trusted_sources(node))
    kept: list[dict[str, Any]] = []
    refused: list[Rejection] = []
    for obj in objs:
        creator = obj.get("created_by_ref")
        why, rule = None, "forged-authorship"
        if creator in keys or creator in hosted:
            found = why_not_signed(obj, keys.get(creator, own))
            why = None if found is None else f"claims to be created by {creator}, but {found}"
        elif creator is not None and creator not in trusted:
            why, rule = (f"created by {creator}, which no peer speaks for and this node has not "
                         f"trusted (`accord peer trust {creator}` takes its objects unsigned)",
                         "untrusted-source")
        if why is None:
            kept.append(obj)
        else:
            refused.append(Rejection(obj.get("id"), None, [Violation(
                obj.get("id"), "created_by_ref", rule, why)]))
    return kept, refused
