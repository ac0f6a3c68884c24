"""What must hold of a node's database after any crash: the audit trail whole, every stored
version whole (its index rows, markings and ledger entry with it), nothing stored twice.

Read straight from the tables, independently of the code that wrote them: a version is whole
when the rows derived from its body are exactly those its body implies.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from sqlalchemy import select
from tests.e2e.conftest import run_accord

from accord.cooperation.digest import ledger_entry
from accord.store.audit_log import AuditLog
from accord.store.engine import open_engine
from accord.store.observable_index import MAX_VALUE_BYTES, indexed_values
from accord.store.schema import (
    audit,
    ledger,
    objects,
    observables,
    outbox,
    recipients,
    sightings,
    statuses,
)
from accord.trust.audit import verify
from accord.trust.markings import recipients_of, tlp_of

# The audit actions that store objects, and name each version they added once.
_STORING = ("objects.add", "objects.import")


def problems(db: str, *, command: bool = True) -> list[str]:
    """Everything wrong with the node's database at `db`, in words (empty: it is whole).
    The audit trail is verified by `accord audit verify`, or (`command=False`, quicker
    between faults) by the same functions in this process."""
    found: list[str] = []
    if command:
        verified = run_accord("audit", "verify", db=db)
        if verified.returncode != 0:
            found.append(f"accord audit verify failed: {verified.stderr.strip()}")
    engine = open_engine(db)
    try:
        if not command:
            log = AuditLog(engine)
            verdict = verify(log.records())
            if not verdict.is_intact:
                found.append(f"audit trail broken at {verdict.broken_at}: {verdict.reason}")
            elif (stray := log.index_disagreement()) is not None:
                found.append(f"audit index disagrees with record {stray}")
        with engine.connect() as conn:
            found += _versions(conn)
            found += _audited_once(conn)
            found += _statuses(conn)
            found += _outbox(conn)
    finally:
        engine.dispose()
    return found


def _rows(conn: Any, table: Any, *columns: Any) -> list[Any]:
    return list(conn.execute(select(*columns) if columns else select(table)))


def _versions(conn: Any) -> list[str]:
    found: list[str] = []
    observed: dict[int, set[tuple[str, str]]] = {}
    for kind, value, seq in _rows(conn, observables, observables.c.kind, observables.c.value,
                                  observables.c.seq):
        observed.setdefault(seq, set()).add((kind, value))
    addressed: dict[int, set[str]] = {}
    for seq, party in _rows(conn, recipients, recipients.c.seq, recipients.c.party_id):
        addressed.setdefault(seq, set()).add(party)
    sighted = dict(_rows(conn, sightings, sightings.c.seq, sightings.c.sighting_of_ref))
    ledgered = {row.seq: row for row in _rows(conn, ledger)}
    latest: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    seqs: set[int] = set()
    contents: Counter[tuple[str, str, bytes]] = Counter()  # versions by content (SCOs)
    for row in _rows(conn, objects):
        seqs.add(row.seq)
        obj = orjson.loads(row.body)
        contents[row.collection_id, row.id, orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)] += 1
        where = f"{row.id} (version {row.version}, seq {row.seq})"
        latest.setdefault((row.collection_id, row.id), []).append(
            (row.version_key, bool(row.is_latest)))
        if obj.get("id") != row.id or obj.get("type") != row.type:
            found.append(f"{where}: the row's id or type is not its body's")
        level = tlp_of(obj)
        if row.tlp != (None if level is None else int(level)):
            found.append(f"{where}: stored TLP {row.tlp}, its markings say {level}")
        if row.creator_id != obj.get("created_by_ref"):
            found.append(f"{where}: stored creator {row.creator_id}, body says "
                         f"{obj.get('created_by_ref')}")
        # The index keeps newest versions only, and of them what is short enough to be a key
        # (store.observable_index).
        values = {(v.kind, v.value) for v in indexed_values(obj)
                  if len(v.value.encode()) <= MAX_VALUE_BYTES} if row.is_latest else set()
        if observed.get(row.seq, set()) != values:
            found.append(f"{where}: correlation rows {sorted(observed.get(row.seq, set()))}, "
                         f"its body mentions {sorted(values)}")
        if addressed.get(row.seq, set()) != set(recipients_of(obj)):
            found.append(f"{where}: recipient rows {addressed.get(row.seq)}, its marking names "
                         f"{sorted(recipients_of(obj))}")
        of = obj.get("sighting_of_ref") if obj["type"] == "sighting" else None
        if sighted.get(row.seq) != of:
            found.append(f"{where}: sighting row {sighted.get(row.seq)}, body sighted {of}")
        request_of, _, _ = ledger_entry(obj)
        entry = ledgered.get(row.seq)
        if (entry.request_id if entry else None) != request_of:
            found.append(f"{where}: ledger row for {entry.request_id if entry else None}, "
                         f"body belongs to {request_of}")
    for (collection, oid), versions in latest.items():
        newest = max(versions)[0]
        marked = [key for key, is_latest in versions if is_latest]
        if marked != [newest]:
            found.append(f"{oid} in {collection}: versions {sorted(k for k, _ in versions)}, "
                         f"marked latest {marked}")
    strays = [f"{name} row of seq {seq}" for name, table in (
        ("correlation", observed), ("recipient", addressed), ("sighting", sighted),
        ("ledger", ledgered)) for seq in table if seq not in seqs]
    found += [f"{stray}, whose version is not stored" for stray in strays]
    found += [f"{oid} in {collection}: one content stored {n} times"
              for (collection, oid, _), n in contents.items() if n > 1]
    entries = Counter(row.object_id for row in ledgered.values())
    found += [f"ledger entry {oid} held {n} times" for oid, n in entries.items() if n > 1]
    return found


def _audited_once(conn: Any) -> list[str]:
    """Each stored version was recorded as added exactly once (receipts made with the objects
    they acknowledge are named in the record's detail)."""
    stored = Counter((row.collection_id, row.id) for row in
                     _rows(conn, objects, objects.c.collection_id, objects.c.id))
    recorded: Counter[tuple[str, str]] = Counter()
    for row in conn.execute(select(audit.c.collection_id, audit.c.object_ids, audit.c.detail)
                            .where(audit.c.action.in_(_STORING))):
        detail = orjson.loads(row.detail)
        for oid in [*orjson.loads(row.object_ids), *detail.get("receipts", [])]:
            recorded[row.collection_id, oid] += 1
    return [f"{oid} in {collection}: {stored[collection, oid]} version(s) stored, "
            f"{recorded[collection, oid]} recorded as added"
            for collection, oid in sorted(set(stored) | set(recorded))
            if stored[collection, oid] != recorded[collection, oid]]


def _statuses(conn: Any) -> list[str]:
    """Every POST's record names its TAXII status, stored with it."""
    held = {row.id for row in _rows(conn, statuses, statuses.c.id)}
    named = [orjson.loads(row.detail).get("status") for row in conn.execute(
        select(audit.c.detail).where(audit.c.action == "objects.add"))]
    return [f"status {status} recorded in the audit trail but not stored"
            for status in named if status and status not in held]


def _outbox(conn: Any) -> list[str]:
    """One hotline notification per escalation and party; every one has an escalation."""
    bodies = [orjson.loads(row.body) for row in _rows(conn, outbox, outbox.c.body)]
    told = Counter((b["escalation"]["id"], b["to"]) for b in bodies)
    found = [f"hotline notification of {e} to {to} queued {n} times"
             for (e, to), n in told.items() if n > 1]
    escalations = {row.id for row in conn.execute(
        select(objects.c.id).where(objects.c.type == "x-accord-escalation"))}
    found += [f"hotline notification of {e}, an escalation not stored"
              for e, _ in told if e not in escalations]
    return found


def held(db: str, collection_id: str) -> set[tuple[str, str]]:
    """(id, modified or created or "") of every version the collection holds, whoever may read
    it (an export shows only what the node's own party may)."""
    engine = open_engine(db)
    try:
        with engine.connect() as conn:
            bodies = [orjson.loads(body) for body in conn.execute(
                select(objects.c.body).where(objects.c.collection_id == collection_id)
            ).scalars()]
    finally:
        engine.dispose()
    return {(o["id"], str(o.get("modified") or o.get("created") or "")) for o in bodies}
