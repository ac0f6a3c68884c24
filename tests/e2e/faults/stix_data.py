"""STIX objects of every shape whose storing writes more than one row: indicators (correlation
rows), sightings (sighting rows), TLP:RED notes addressed to a party (recipient rows), objects
in several versions (which one is latest), SCOs versioned by content."""

from __future__ import annotations

import random
import uuid
from typing import Any

RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
ACCORD_MARKING = "extension-definition--3c8e2a52-7d1e-4a55-9c36-0f5b6d0e4a11"


def new_id(rng: random.Random, kind: str) -> str:
    return f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _stamp(n: int) -> str:
    return f"2024-01-{1 + n // 86400 % 28:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:" \
           f"{n % 60:02d}.000Z"


def mixed(rng: random.Random, count: int, recipient: str, tag: int = 0) -> list[dict[str, Any]]:
    """`count` objects (about), each of the shapes above; `tag` keeps values of different
    calls apart."""
    made: list[dict[str, Any]] = []
    n = -1
    while len(made) < count:
        n += 1
        indicator = {
            "type": "indicator", "spec_version": "2.1", "id": new_id(rng, "indicator"),
            "created": _stamp(0), "modified": _stamp(0), "pattern_type": "stix",
            "pattern": f"[ipv4-addr:value = '10.{tag}.{n >> 8 & 255}.{n & 255}'] OR "
                       f"[domain-name:value = 'c2-{tag}-{n}.example.com']",
            "valid_from": "2024-01-01T00:00:00Z", "name": f"C2 {tag}/{n}"}
        made.append(indicator)
        shape = n % 5
        if shape == 0:  # a later version of the same indicator
            made.append({**indicator, "modified": _stamp(1 + n), "name": f"C2 {tag}/{n} (v2)"})
        elif shape == 1:
            made.append({"type": "sighting", "spec_version": "2.1", "id": new_id(rng, "sighting"),
                         "created": _stamp(n), "modified": _stamp(n), "count": 1 + n % 7,
                         "sighting_of_ref": indicator["id"]})
        elif shape == 2:
            made.append({"type": "note", "spec_version": "2.1", "id": new_id(rng, "note"),
                         "created": _stamp(n), "modified": _stamp(n),
                         "content": f"for {recipient} only", "object_refs": [indicator["id"]],
                         "object_marking_refs": [RED], "extensions": {ACCORD_MARKING: {
                             "extension_type": "property-extension",
                             "recipients": [recipient]}}})
        elif shape == 3:  # no timestamps: its content is its version
            made.append({"type": "ipv4-addr", "spec_version": "2.1",
                         "id": new_id(rng, "ipv4-addr"),
                         "value": f"192.0.{tag % 256}.{n & 255}"})
    return made


def version_key(obj: dict[str, Any]) -> tuple[str, str]:
    """(id, modified or created or "") of an object as a test names it."""
    return obj["id"], str(obj.get("modified") or obj.get("created") or "")
