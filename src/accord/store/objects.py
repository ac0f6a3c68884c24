"""Every version of every STIX object, per collection: add, query, list versions, delete.

Objects arrive here already validated. The store keeps each version once (id + version), marks
the newest version of each id so that the default TAXII query ("last") is an index lookup, and
orders a collection by date_added (unique in it) so that paging needs no server-side state.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    select,
    update,
)

from accord.attribution.objects import filed_under
from accord.cooperation.digest import ledger_entry
from accord.correlation.values import over_broad_note
from accord.memory import no_cyclic_gc
from accord.stix.timestamps import parse_timestamp, sort_key
from accord.store import observable_index, quotas, search_index
from accord.store.bulk import analyze_if_grown
from accord.store.engine import (
    share_turn,
    take_turn,
    writing,
)
from accord.store.held_versions import (
    HeldVersion,
    creators_elsewhere,
    held_in,
    holding,
    parties_among,
    same_content,
    version_of,
)
from accord.store.ledger_bound import EntriesMade
from accord.store.new_versions import NewVersion, insert
from accord.store.object_reads import CHUNK, ObjectReads
from accord.store.query import (
    ObjectQuery,
    Outcome,
)
from accord.store.removal_rules import keep_record, may_remove
from accord.store.running_bound import RequestsRunning
from accord.store.schema import ledger, objects
from accord.store.settled import WRITING
from accord.store.summaries import refresh_in
from accord.trust.markings import (
    NOT_YOURS,
    MarkedVersion,
    Tlp,
    may_read,
    recipients_of,
    tlp_of,
    why_not_add,
)
from accord.trust.ownership import why_not_version

# Accord's objects that are versioned like any STIX object (a designation is lifted by a new
# version); every other x-accord- object is an immutable ledger entry or claim.
_VERSIONED = "x-accord-designation--"

# Versions one object may hold in one collection. Each post of a version reads the others,
# and a read of its versions compares each with the rest: a party that sent 30,000 versions
# of one indicator made every read of it take minutes. Real histories hold tens.
MOST_VERSIONS = 1_000


def _stamps(start: datetime) -> Iterator[str]:
    """Strictly increasing date_added strings from `start`, one per object, cheaply.

    The steps are random (1–32 µs), not 1 µs: with consecutive stamps, a reader who sees two
    objects of one POST could count the objects between them it may not see.
    """
    step = random.Random().getrandbits
    moment = start.replace(microsecond=0)
    prefix = moment.strftime("%Y-%m-%dT%H:%M:%S.")
    micro = start.microsecond
    while True:
        yield f"{prefix}{micro:06d}Z"
        micro += step(5) + 1
        if micro >= 1_000_000:
            moment += timedelta(seconds=1)
            prefix = moment.strftime("%Y-%m-%dT%H:%M:%S.")
            micro -= 1_000_000


def _added(new: NewVersion, latest: HeldVersion | None, operator: bool) -> Outcome:
    """What is said of a version added: an over-broad indicator's note; to the operator, a
    newer version another party put here under its id that stays the current one (a copy
    of ATT&CK's object dated ahead, for one), which only the operator may remove."""
    if operator and latest is not None and not new.is_latest \
            and latest.marking.poster != new.poster_id:
        return Outcome(new.id, new.version, stored=True, added=True, held=True, message=(
            f"stored as an older version: a newer one ({latest.version}) that another party "
            "put here under this id stays the one readers get"))
    return Outcome(new.id, new.version, stored=True, added=True,
                   message=over_broad_note(new.mentions) or "")


class ObjectStore(ObjectReads):
    """Every version of every object, per collection: what ObjectReads reads, and its writes."""

    # -- writing ---------------------------------------------------------------------------

    def add(self, collection_id: str, incoming: Sequence[dict[str, Any]], *,
            poster_id: str | None = None, default_tlp: Tlp = Tlp.AMBER) -> list[Outcome]:
        """Store each object unless that version is already there; one transaction for all."""
        with writing(self.engine) as conn:
            return self.add_in(conn, collection_id, incoming, poster_id=poster_id,
                               default_tlp=default_tlp)

    def add_in(
        self, conn: Connection, collection_id: str, incoming: Sequence[dict[str, Any]], *,
        poster_id: str | None = None, default_tlp: Tlp = Tlp.AMBER,
        poster_reads: bool = True, operator: bool = False,
    ) -> list[Outcome]:
        """Add versions as `poster_id` (a party id; None only for the node's own tooling).

        `poster_reads`: whether the poster may read the collection; one that may only write
        learns nothing of what is there and may not version it.

        `operator`: the poster acts as the node's operator (trust.ownership).

        `default_tlp` is the collection's level for unmarked objects.
        """
        with no_cyclic_gc():  # thousands of new objects, no reference cycles among them
            return self._add_in(conn, collection_id, incoming, poster_id, default_tlp,
                                poster_reads, operator)

    def _add_in(
        self, conn: Connection, collection_id: str, incoming: Sequence[dict[str, Any]],
        poster_id: str | None, default_tlp: Tlp, poster_reads: bool, operator: bool,
    ) -> list[Outcome]:
        # TAXII 2.1 §3.5: each object gets its own, strictly later date_added, so a client that
        # resumes with added_after = the last date_added it saw can never skip an object.
        start, is_empty = self._first_date_added(conn, collection_id)
        stamps = _stamps(start)
        known = {} if is_empty else held_in(conn, collection_id, incoming)
        # A STIX id names one object: a party may not give its own object the id of another
        # creator's, held in any collection (the look-up and the object page would take one
        # for the other). The node's own tooling (an operator's import) is not checked. A
        # versioned object with no created_by_ref is checked too: else it would take another
        # creator's id into a collection of the poster's, and a version "created" by the
        # poster would follow there. Not an observable versioned by its content: its id is
        # its value (an address, a hash), which no creator holds for the others.
        elsewhere = {} if poster_id is None or operator else creators_elsewhere(
            conn, collection_id, [o["id"] for o in incoming if o["id"] not in known and (
                o.get("created_by_ref") or version_of(o) is not None)])
        # Which of the ids concerned are parties of this node (trust.ownership).
        known_parties = frozenset() if poster_id is None else parties_among(conn, {
            *(o["id"] for o in incoming if o["type"] == "identity"),
            *(r.marking.creator for versions in known.values() for r in versions.values()
              if r.is_latest and r.marking.creator)})
        outcomes: list[Outcome] = []
        inserts: list[NewVersion] = []
        superseded: list[HeldVersion] = []
        entries = EntriesMade(conn, incoming, poster_id)  # the bound of a ledger's entries
        running = RequestsRunning(conn, incoming)  # the bound of a pair's running requests
        for obj in incoming:
            oid = obj["id"]
            body = orjson.dumps(obj)
            versions = known.setdefault(oid, {})
            version = version_of(obj)
            date_added = ""
            if version is None:
                # No timestamps (most SCOs): an identical body is the same version.
                same = next((r for r in versions.values() if same_content(r.content, body)), None)
                if same is not None:
                    outcomes.append(Outcome(oid, same.version, stored=True, added=False,
                                            message="already stored"))
                    continue
                date_added = version = next(stamps)
            key = sort_key(version)
            existing = versions.get(key)
            latest = next((r for r in versions.values() if r.is_latest), None) if versions else None
            if existing is not None and poster_id is not None \
                    and poster_id in (existing.marking.poster, existing.marking.creator) \
                    and same_content(existing.content, body):
                # TAXII 2.1 §5.5: an exact duplicate is no error, also for a poster that may
                # not read what is stored (a write-only submitter retrying its own post): it
                # posted or created this very version, so the answer tells it nothing new.
                # Another party's copy stays "not yours" below: a success would say it is here.
                outcomes.append(Outcome(oid, version, stored=True, added=False,
                                        message="already stored"))
                continue
            if latest is not None and poster_id is not None and (
                    not poster_reads or not may_read(poster_id, latest.marking, default_tlp)):
                # Whatever this version's place among the others: one answer, no timestamps.
                outcomes.append(Outcome(oid, version, stored=False, added=False,
                                        message=NOT_YOURS, held=operator))
                continue
            if existing is not None:
                if poster_id is not None and not may_read(poster_id, existing.marking,
                                                          default_tlp):
                    outcomes.append(Outcome(oid, version, stored=False, added=False,
                                            message=NOT_YOURS, held=operator))
                elif same_content(existing.content, body):
                    outcomes.append(Outcome(oid, version, stored=True, added=False,
                                            message="already stored"))
                else:
                    outcomes.append(Outcome(
                        oid, version, stored=False, added=False,
                        held=operator and existing.marking.poster != poster_id,
                        message=f"a different object with id {oid} and version {version} is "
                        "already stored; a new version needs a later 'modified'"))
                continue
            if versions and oid.startswith("x-accord-") and not oid.startswith(_VERSIONED):
                # A ledger is append-only: an entry is never replaced, only followed.
                outcomes.append(Outcome(
                    oid, version, stored=False, added=False,
                    message=f"{oid} is already in its request's ledger, and ledger entries are "
                            "immutable: add a new entry instead of a new version"))
                continue
            entry = ledger_entry(obj)
            refusal = None if versions else entries.refusal(obj, entry[0], len(body))
            if refusal:
                outcomes.append(Outcome(oid, version, stored=False, added=False,
                                        message=refusal))
                continue
            if len(versions) >= MOST_VERSIONS:
                outcomes.append(Outcome(
                    oid, version, stored=False, added=False,
                    message=f"{oid} holds {len(versions):,} versions in this collection, the "
                            f"most one object may ({MOST_VERSIONS:,}): delete old versions "
                            "first (DELETE with match[version]), or post a new object"))
                continue
            refusal = why_not_version(oid, poster_id, holding(versions, latest),
                                      parties=known_parties, operator=operator)
            held = refusal is not None and oid not in known_parties
            # A copy with no creator: of the poster's own object, not another's.
            if not refusal and not versions and elsewhere.get(oid, set()) - {
                    obj.get("created_by_ref") or poster_id}:
                refusal = NOT_YOURS  # the same words as for a hidden version here
            if refusal:
                outcomes.append(Outcome(oid, version, stored=False, added=False,
                                        message=refusal, held=held))
                continue
            is_latest = latest is None or key > latest.version_key
            marking = MarkedVersion(tlp_of(obj), obj.get("created_by_ref"), poster_id,
                                    recipients_of(obj))
            refusal, held = None, False
            if latest is not None and latest.marking.creator is not None \
                    and marking.creator != latest.marking.creator:
                refusal, held = ("a new version must keep the object's created_by_ref "
                                 f"({latest.marking.creator}); only its creator may version "
                                 "it"), True
            elif latest is not None and is_latest:
                refusal = why_not_add(poster_id, latest.marking, marking, default_tlp)
            elif latest is None and poster_id is not None:
                refusal = running.refusal(obj)  # last: counted only if it is stored
            if refusal:
                outcomes.append(Outcome(oid, version, stored=False, added=False,
                                        message=refusal, held=held))
                continue
            if is_latest and latest is not None:
                latest.is_latest = False
                if latest.insert is not None:
                    latest.insert.is_latest = False  # added earlier in this same call
                else:
                    superseded.append(latest)
            new = NewVersion(
                collection_id, oid, obj["type"], obj.get("spec_version", "2.1"), version, key,
                date_added or next(stamps), is_latest, body,
                None if marking.level is None else int(marking.level), marking.creator,
                poster_id, marking.recipients, observable_index.indexed_values(obj),
                obj.get("sighting_of_ref") if obj["type"] == "sighting" else None,
                *entry, *search_index.entries_of(obj), filed_under(obj))
            versions[key] = HeldVersion(oid, version, key, is_latest, body, None, marking, new)
            inserts.append(new)
            outcomes.append(_added(new, latest, operator))
        if inserts and poster_id is not None:
            # Before anything is written: past the poster's quota, nothing of this call is.
            try:
                quotas.charge_in(conn, poster_id, sum(len(n.body) for n in inserts),
                                 len(inserts), acts_only=all(_is_act(n) for n in inserts))
            except quotas.OverQuota as over:
                # Each refused, and a copy of one sent twice in the call too ("already
                # stored" by its first).
                refused = {(n.id, n.version) for n in inserts}
                over.outcomes = [replace(o, stored=False, added=False, message=str(over))
                                 if (o.id, o.version) in refused else o for o in outcomes]
                raise
        if superseded:
            conn.execute(
                update(objects)
                .where(objects.c.seq == bindparam("row_seq"))
                .values(is_latest=False),
                [{"row_seq": r.seq} for r in superseded],
            )
            old = [r.seq for r in superseded if r.seq is not None]
            observable_index.forget(conn, old)
            search_index.forget(conn, old)  # only newest versions are found by a search
        if inserts:
            insert(conn, inserts, default_tlp)
            # Without statistics after a bulk load PostgreSQL scans the whole collection to look
            # up ids, and the next batch of an import crawls (and reads the index's value lists
            # as filters, not bounds: store.correlations).
            analyze_if_grown(conn, ("objects", "observables", "object_names", "relationship_ends",
                                    "ledger", "request_summaries", "request_readers",
                                    "request_figures", "request_translations", "request_words"))
        return outcomes

    def lock(self, conn: Connection, collection_id: str) -> None:
        """Writers to one collection take turns, whichever host they run on; and every writer
        holds WRITING shared, so that `settled_seq` (store.settled) waits for them."""
        share_turn(conn, WRITING)
        take_turn(conn, f"collection:{collection_id}")

    def _first_date_added(self, conn: Connection, collection_id: str) -> tuple[datetime, bool]:
        """Now, but always after what the collection already holds; and whether it is empty."""
        self.lock(conn, collection_id)  # so date_added grows with commit order
        newest = conn.execute(
            select(func.max(objects.c.date_added)).where(objects.c.collection_id == collection_id)
        ).scalar()
        now = self.clock()
        if newest is None:
            return now, True
        return max(parse_timestamp(newest) + timedelta(microseconds=1), now), False

    def delete(self, collection_id: str, object_id: str, query: ObjectQuery) -> int:
        """TAXII 2.1 §5.7: remove the matching versions; the newest survivor becomes latest."""
        with writing(self.engine) as conn:
            return self.delete_in(conn, collection_id, object_id, query)

    def delete_in(self, conn: Connection, collection_id: str, object_id: str,
                  query: ObjectQuery, *, operator: bool = False) -> int:
        """`delete`, in the caller's write transaction. Without a reader, the node's own
        tooling removes whatever matches; `operator` (a removal an administrator asked for)
        removes any party's versions, never a request's ledger nor the attribution record."""
        self.lock(conn, collection_id)
        # Which rows, not their bodies: an object's versions may be megabytes each.
        seqs = [r.seq for r in self._select(conn, collection_id,
                                            replace(query, bodies=False, most_bytes=None),
                                            object_id, 1_000_000)[0]]
        if not seqs:
            return 0
        deleter = query.reader.party_id if query.reader else None
        entries = [row for start in range(0, len(seqs), CHUNK)
                   for row in conn.execute(select(ledger.c.request_id, ledger.c.type).where(
                       ledger.c.seq.in_(seqs[start:start + CHUNK])))]
        if deleter is not None:
            may_remove(conn, object_id, seqs, deleter, [kind for _, kind in entries])
        elif operator:
            keep_record(conn, object_id, seqs, [kind for _, kind in entries])
        touched = {request_id for request_id, _ in entries}
        # The derived indexes' rows first: PostgreSQL no longer cascades to them (migration
        # 0025); what else refers to a version goes with it, ON DELETE CASCADE.
        observable_index.forget(conn, seqs)
        search_index.forget(conn, seqs)
        quotas.release_in(conn, seqs)
        for start in range(0, len(seqs), CHUNK):
            conn.execute(delete(objects).where(objects.c.seq.in_(seqs[start:start + CHUNK])))
        # One statement marks the newest survivor latest and every other version not.
        c, other = objects.c, objects.alias("other_version")
        newest = (select(func.max(other.c.version_key))
                  .where(other.c.collection_id == c.collection_id, other.c.id == c.id)
                  .scalar_subquery())
        conn.execute(update(objects)
                     .where(c.collection_id == collection_id, c.id == object_id)
                     .values(is_latest=c.version_key == newest))
        # A ledger entry removed: its request's summary follows (after the survivor is marked
        # newest: who sees the ledger whole depends on which version is).
        refresh_in(conn, touched)
        # Only newest versions are indexed: the one now newest may not have been.
        observable_index.reindex_newest(conn, collection_id, object_id)
        search_index.reindex_newest(conn, collection_id, object_id)
        return len(seqs)


def _is_act(version: NewVersion) -> bool:
    """An act on a request in its ledger (an acknowledgement, a response, an escalation, a
    receipt…): not the request itself, nor a translation, which a party could make without
    end (store.quotas.ACT_HEADROOM)."""
    return version.request_of is not None and version.type not in (
        "x-accord-request", "language-content")
