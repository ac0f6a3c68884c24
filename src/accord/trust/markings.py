"""TLP 2.0 on a node: which marking an object carries, and who may read it — pure rules.

An object's level is the strictest TLP marking among its `object_marking_refs` and the
`marking_ref`s of its `granular_markings` (a granular marking stricter than the reader's
entitlement withholds the whole object: redacting single properties correctly is not worth the
risk of getting it wrong). An object with no TLP marking takes its collection's default.

| level        | who may read it on this node                                              |
|--------------|----------------------------------------------------------------------------|
| CLEAR        | every party that may read the collection                                    |
| GREEN        | every party that may read the collection (all are of the node's community)  |
| AMBER        | every party that may read the collection it was shared in                   |
| AMBER+STRICT | its creator and the recipient organisations it names (Accord extension)     |
| RED          | its creator and the recipients it names (Accord extension)                  |

The party that created an object (`created_by_ref`) and the party that posted it may always read
it. Levels differ further in where an object may travel (export, sync), which `may_forward` says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from accord.stix.accord_marking import ACCORD_MARKING_EXTENSION as STIX_ACCORD_MARKING


class Tlp(IntEnum):
    """TLP 2.0 levels, ordered from least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        return "TLP:" + self.name.replace("_", "+")


# The fixed marking-definition ids of TLP 2.0 (OASIS cti-stix-common-objects) and of TLP 1.0
# (STIX 2.1 §7.2.1.4), the latter read with their 2.0 meaning (WHITE is CLEAR).
TLP_MARKINGS: Mapping[str, Tlp] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": Tlp.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": Tlp.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": Tlp.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": Tlp.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": Tlp.RED,
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
MARKING_FOR: Mapping[Tlp, str] = {
    level: marking for marking, level in list(TLP_MARKINGS.items())[:5]
}

# Accord's property extension (checked by stix.accord_marking): whom an AMBER+STRICT or RED
# object is addressed to, and whether its creator lets AMBER travel.
ACCORD_MARKING_EXTENSION = STIX_ACCORD_MARKING


def parse_tlp(text: str) -> Tlp:
    """A level as people write it: amber, AMBER+STRICT, tlp:red, white (TLP 1.0 for clear)."""
    name = text.strip().upper().removeprefix("TLP:").replace("+", "_").replace("-", "_")
    if name == "WHITE":
        return Tlp.CLEAR
    try:
        return Tlp[name]
    except KeyError:
        raise ValueError(f"{text!r} is not a TLP level: use clear, green, amber, "
                         "amber+strict or red") from None


def _marking_refs(obj: Mapping[str, Any]) -> Iterable[str]:
    refs = obj.get("object_marking_refs")
    if isinstance(refs, list):
        yield from (r for r in refs if isinstance(r, str))
    granular = obj.get("granular_markings")
    if isinstance(granular, list):
        for marking in granular:
            if isinstance(marking, dict) and isinstance(marking.get("marking_ref"), str):
                yield marking["marking_ref"]


def tlp_of(obj: Mapping[str, Any]) -> Tlp | None:
    """The strictest TLP level the object is marked with, or None if it carries no TLP."""
    levels = [TLP_MARKINGS[r] for r in _marking_refs(obj) if r in TLP_MARKINGS]
    return max(levels) if levels else None


def _accord_marking(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict):
        return {}
    accord = extensions.get(ACCORD_MARKING_EXTENSION)
    return accord if isinstance(accord, dict) else {}


def recipients_of(obj: Mapping[str, Any]) -> frozenset[str]:
    """The identity ids an object is addressed to (Accord marking extension), if any."""
    recipients = _accord_marking(obj).get("recipients")
    if not isinstance(recipients, list):
        return frozenset()
    return frozenset(r for r in recipients if isinstance(r, str))


def creator_permits_forwarding(obj: Mapping[str, Any], parties: frozenset[str]) -> bool:
    """Has the object's creator let this TLP:AMBER object travel beyond its collection?

    The permission counts only when the creator is a party of this node: a party posts only as
    itself, so such a version was posted by its creator (or the node's own tooling), while an
    unknown created_by_ref could be anyone's claim.
    """
    return (_accord_marking(obj).get("permit_forwarding") is True
            and obj.get("created_by_ref") in parties)


@dataclass(frozen=True, slots=True)
class MarkedVersion:
    """What the rules need to know of one stored version."""

    level: Tlp | None  # None: unmarked, read at the collection's default
    creator: str | None  # created_by_ref
    poster: str | None  # the party that added it (None: the node's own tooling)
    recipients: frozenset[str] = frozenset()


def may_read(reader: str, version: MarkedVersion, default: Tlp) -> bool:
    """May party `reader`, already entitled to read the collection, read this version?

    The store applies the same rule in SQL (store.objects.entitled); tests hold them equal.
    """
    if reader in (version.poster, version.creator):
        return True
    if (version.level if version.level is not None else default) <= Tlp.AMBER:
        return True
    return reader in version.recipients


# Who may read a version, in the form the correlation index keeps (store.observable_index).
EVERY_READER = "*"  # every party that may read the collection


def audience(version: MarkedVersion, default: Tlp) -> frozenset[str]:
    """`may_read` as a set: {EVERY_READER}, or the parties named by a version marked beyond
    AMBER (its creator, poster and recipients). A reader of the collection may read the
    version exactly when EVERY_READER or the reader is in it (a test holds them equal)."""
    if (version.level if version.level is not None else default) <= Tlp.AMBER:
        return frozenset({EVERY_READER})
    return frozenset(p for p in (version.creator, version.poster, *version.recipients) if p)


# One answer for every id the poster may not see, whatever the reason: a refusal must not tell
# a party that an object it may not read exists, nor how it is marked.
NOT_YOURS = "this id belongs to an object you may not change"


def why_not_add(poster: str | None, latest: MarkedVersion, new: MarkedVersion,
                default: Tlp) -> str | None:
    """Why `poster` may not add `new` as the newest version of an object (None: it may).

    STIX 2.1 §3.6: only an object's creator versions it, so the creator must not change.
    TLP: a marking may be tightened by anyone who may change the object, loosened only by its
    creator. The node's own tooling (poster None) is trusted like the creator.
    """
    if poster is not None and not may_read(poster, latest, default):
        return NOT_YOURS
    if latest.creator is not None and new.creator != latest.creator:
        return ("a new version must keep the object's created_by_ref "
                f"({latest.creator}); only its creator may version it")
    current = latest.level if latest.level is not None else default
    proposed = new.level if new.level is not None else default
    if proposed < current and poster not in (None, latest.creator):
        return (f"this version would loosen the marking from {current.label} to "
                f"{proposed.label}; only the object's creator may loosen a marking")
    return None


def may_forward(level: Tlp, *, creator_permits: bool = False) -> bool:
    """May a node pass this object on to a party outside the collection it was shared in
    (export, sync)? CLEAR and GREEN travel; AMBER only with its creator's permission;
    AMBER+STRICT and RED never (TLP 2.0: their recipients may not pass them on)."""
    if level <= Tlp.GREEN:
        return True
    return level == Tlp.AMBER and creator_permits
