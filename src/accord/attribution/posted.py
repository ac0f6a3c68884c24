"""Positions and designations a party of this node posts over TAXII, held to what the
attribution record (`AttributionRecord.respond`, `.lift`) holds the REST API and the web UI to:
a position is its poster's own, answers a claim its party may read, is dated when it is taken
(not in the future, where it would stay the party's newest for ever, nor before the claim),
names as a competing claim only its party's own claim on the same subject, and is never kept
from the party whose claim it answers; a lifted designation stays lifted. A claim is dated when
it is made (a day's slack for a client that prepared it; a claim dated 2010 led its subject's
reasons); a designation takes effect no later than now, and cites only claims its party may
read (the REST API answers 404 for the others).

A peer's parties' positions arrive signed by their node, which held them to the same rules;
they may arrive late, so their dates are theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine

from accord.attribution.model import EARLIEST_DESIGNATED, Claim, Position
from accord.attribution.objects import (
    CLAIM,
    DESIGNATION,
    MalformedAttributionObject,
    claim_from_stix,
    designation_from_stix,
    is_attribution_object,
    position_from_stix,
)
from accord.cooperation.evidence import as_read_by
from accord.stix.timestamps import format_timestamp
from accord.store.directory import Collection, Directory
from accord.store.objects import ObjectStore
from accord.store.query import LAST, ObjectQuery, Reader
from accord.store.record_reads import BLOCK, in_blocks
from accord.trust.markings import Tlp, recipients_of, tlp_of

# How far ahead of this node's clock a position may be dated: the poster's clock may run fast.
CLOCK_SKEW = timedelta(minutes=5)
# How long before it reaches the node a claim may say it was made: a client may prepare one
# and post it later that day, not years before.
CLAIM_PREPARED = timedelta(days=1)


def is_position(obj: Mapping[str, Any]) -> bool:
    return obj.get("type") == "opinion" and is_attribution_object(obj)


def why_not_position(obj: Mapping[str, Any], claims: Mapping[str, Claim], poster: str,
                     now: datetime, default: Tlp) -> str | None:
    """Why `poster` may not post the position `obj` (None: it may). `claims`: the claims it
    names that `poster` may read; `default`: the collection's level for unmarked objects."""
    try:
        position: Position = position_from_stix(obj)
    except MalformedAttributionObject as malformed:
        return str(malformed)
    if position.party != poster:
        return (f"created_by_ref {position.party}: a position is its own party's, and a party "
                "posts only as itself")
    claim = claims.get(position.claim)
    if claim is None:
        return (f"{position.claim}: no claim you may read on this node; a position answers a "
                "claim its party reads")
    if ahead := _ahead("dated", position.created, now, "a position is dated when it is taken"):
        return ahead
    if position.created < claim.created:
        return (f"dated {format_timestamp(position.created)}, before the claim it answers "
                f"({format_timestamp(claim.created)})")
    if position.competing_claim is not None:
        rival = claims.get(position.competing_claim)
        if rival is None or rival.claimant != poster or rival.subject != claim.subject:
            return (f"competing claim {position.competing_claim}: it must be your own claim "
                    "on the same subject")
    level = tlp_of(obj)
    if ((level if level is not None else default) > Tlp.AMBER and claim.claimant != poster
            and claim.claimant not in recipients_of(obj)):
        return (f"the claim's maker ({claim.claimant}) must be among the position's "
                "recipients: a position is never kept from the party whose claim it answers")
    return None


def _ahead(said: str, when: datetime, now: datetime, rule: str) -> str | None:
    """Why a time ahead of this node's clock (beyond the skew allowed) is refused, or None."""
    if when <= now + CLOCK_SKEW:
        return None
    return (f"{said} {format_timestamp(when)}, after this node's clock "
            f"({format_timestamp(now)}): {rule}")


def _named(positions: Sequence[Mapping[str, Any]]) -> set[str]:
    """The claims `positions` name, answered or competing."""
    ids: set[str] = set()
    for obj in positions:
        try:
            position = position_from_stix(obj)
        except MalformedAttributionObject:
            continue
        ids |= {position.claim, *([position.competing_claim] if position.competing_claim
                                  else [])}
    return ids


def _claims(objs: Iterable[Mapping[str, Any]]) -> dict[str, Claim]:
    found: dict[str, Claim] = {}
    for obj in objs:
        try:
            claim = claim_from_stix(obj)
        except MalformedAttributionObject:
            continue
        found[claim.id] = claim
    return found


def _newest(engine: Engine, collection: Collection, poster: str, kind: str,
            ids: Iterable[str]) -> list[dict[str, Any]]:
    """The newest version of each of the objects `ids` of type `kind` in `collection` that
    `poster` may read."""
    # A post may name many thousands: a block of ids a query (store.record_reads.in_blocks).
    store = ObjectStore(engine)
    query = ObjectQuery(types=(kind,), versions=frozenset({LAST}), limit=BLOCK,
                        reader=Reader(poster, int(collection.default_tlp)))
    return [orjson.loads(item.body) for block in in_blocks(query, sorted(set(ids)))
            for item in store.page(collection.id, block).items]


def refused_record_objects(engine: Engine, collection: Collection,
                           objs: list[dict[str, Any]], poster: str, now: datetime
                           ) -> dict[int, str]:
    """Why each position or designation among `objs` that `poster`, a party of this node, may
    not post is refused, keyed by the object's id() (a peer's party's are its node's to hold
    to the rules)."""
    from accord.store.peers import hosted_parties

    positions = [o for o in objs if is_position(o)]
    designations = [o for o in objs if o.get("type") == DESIGNATION]
    made = [o for o in objs if o.get("type") == CLAIM]
    if not (positions or designations or made) or poster not in hosted_parties(engine):
        return {}
    # Every claim the post names, cites or carries, read once: those the poster may read.
    named, cited_ids = _named(positions), _cited(designations)
    wanted = named | cited_ids | {str(o["id"]) for o in made}
    readable = {str(o["id"]): o for o in _newest(engine, collection, poster, CLAIM, wanted)}
    claims = _claims(readable[cid] for cid in named if cid in readable)
    reasons = {id(o): why_not_position(o, claims, poster, now, collection.default_tlp)
               for o in positions}
    # A claim already held is never revised: posting it again (a retry, a feed pushed whole
    # again) stores nothing, and its date is the day it was first posted.
    reasons |= {id(o): why_not_claim(o, now) for o in made if o["id"] not in readable}
    lifted = _lifted(engine, collection, poster, [str(o["id"]) for o in designations])
    cited = {cid: readable[cid] for cid in cited_ids if cid in readable}
    reasons |= {id(o): why_not_designation(o, lifted, cited, now, collection.default_tlp)
                for o in designations}
    reasons |= _hidden_evidence(engine, [o for o in designations if not reasons.get(id(o))],
                                poster, collection.default_tlp)
    return {key: why for key, why in reasons.items() if why is not None}


def _hidden_evidence(engine: Engine, designations: Sequence[Mapping[str, Any]], poster: str,
                     default: Tlp) -> dict[int, str]:
    """Why each designation that cites evidence its poster may not read, or that a reader of
    the designation may not (it shows them the ids), is refused: the rules the REST API
    holds a designation to (AttributionRecord.designate)."""
    citing = []
    for obj in designations:
        try:
            evidence = designation_from_stix(obj).evidence
        except MalformedAttributionObject:
            continue
        if evidence:
            citing.append((obj, evidence))
    if not citing:
        return {}
    directory, store = Directory(engine), ObjectStore(engine)

    def readable(party: str, ids: Sequence[str]) -> set[str]:
        return {v.id for v in as_read_by(directory, store, party, ids, bodies=False)}

    names = directory.names()
    found: dict[int, str] = {}
    for obj, evidence in citing:
        mine = readable(poster, evidence)
        if unknown := [e for e in evidence if e not in mine]:
            found[id(obj)] = (f"object_refs {', '.join(unknown)}: no object you may read on "
                              "this node; a designation cites evidence its party reads")
            continue
        audience = _audience(obj, default)
        readers = audience if audience is not None else set(names)
        for party in sorted(readers - {poster}):
            if hidden := [e for e in evidence if e not in readable(party, evidence)]:
                found[id(obj)] = (
                    f"object_refs {', '.join(hidden)}: not shared with "
                    f"{names.get(party, party)}, to whom the designation would show its id: "
                    "share the designation with fewer parties, or cite only what they may read")
                break
    return found


def why_not_claim(obj: Mapping[str, Any], now: datetime) -> str | None:
    """A claim is dated when it is made: not ahead of this node's clock, nor more than
    CLAIM_PREPARED before it."""
    try:
        claim = claim_from_stix(obj)
    except MalformedAttributionObject as malformed:
        return str(malformed)
    if ahead := _ahead("dated", claim.created, now, "a claim is dated when it is made"):
        return ahead
    if claim.created < now - CLAIM_PREPARED:
        return (f"dated {format_timestamp(claim.created)}, more than a day before it reached "
                f"this node ({format_timestamp(now)}): a claim is dated when it is made")
    return None


def _cited(designations: Sequence[Mapping[str, Any]]) -> set[str]:
    """The claims `designations` cite."""
    ids: set[str] = set()
    for obj in designations:
        try:
            ids |= set(designation_from_stix(obj).claims)
        except MalformedAttributionObject:
            continue
    return ids


def _audience(obj: Mapping[str, Any], default: Tlp) -> frozenset[str] | None:
    """Who reads OBJ in its collection besides its maker: None for every reader (TLP:AMBER
    or below), else its recipients."""
    level = tlp_of(obj)
    if (level if level is not None else default) <= Tlp.AMBER:
        return None
    return frozenset(recipients_of(obj)) | {str(obj.get("created_by_ref"))}


def why_not_designation(obj: Mapping[str, Any], lifted: set[str],
                        cited: Mapping[str, Mapping[str, Any]], now: datetime,
                        default: Tlp = Tlp.AMBER) -> str | None:
    """A designation lifted stays lifted: a new version that is not would put it back in
    force unseen (the record's `amend` refuses it too; designate again instead). It takes
    effect no later than now (one dated 2099 was in force at once), and cites only claims
    its party may read, and that whoever reads it may read too (it shows their ids)."""
    try:
        again = designation_from_stix(obj)
    except MalformedAttributionObject as malformed:
        return str(malformed)
    if ahead := _ahead("designated", again.designated, now,
                       "record a designation once it has taken effect"):
        return ahead
    if again.designated < EARLIEST_DESIGNATED:  # as the REST API and the command line hold it
        return (f"designated: {format_timestamp(again.designated)} is before 1900; give the "
                "date the designation was made")
    unknown = sorted(set(again.claims) - set(cited))
    if unknown:
        return (f"claim_refs {', '.join(unknown)}: no claim you may read on this node; a "
                "designation cites the claims its party reads")
    readers = _audience(obj, default)
    for claim_id in again.claims:
        theirs = _audience(cited[claim_id], default)
        if theirs is not None and (readers is None or not readers <= theirs):
            return (f"claim_refs {claim_id}: a claim shared with fewer parties than the "
                    "designation, to whom it would show the claim's id: share the designation "
                    "with fewer parties, or cite only what they may read")
    if obj.get("id") not in lifted:
        return None
    if again.is_in_force:
        return (f"{again.id} was lifted; a lifted designation stays lifted: designate again "
                "instead")
    return None


def _lifted(engine: Engine, collection: Collection, poster: str, ids: list[str]) -> set[str]:
    """Which of the designations `ids` are held here, as `poster` may read them, lifted."""
    found = set()
    for obj in _newest(engine, collection, poster, DESIGNATION, ids):
        try:
            if not designation_from_stix(obj).is_in_force:
                found.add(str(obj["id"]))
        except MalformedAttributionObject:
            continue
    return found
