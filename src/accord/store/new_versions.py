"""How store.objects writes a batch of new versions: the objects rows (binary COPY on
PostgreSQL), and what is kept beside them by seq — recipients, ledger entries, sightings, and
the correlation and search indexes of the versions that are newest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from accord.correlation.values import Value
from accord.store import search_index
from accord.store.bulk import insert_rows
from accord.store.observable_index import rows_for
from accord.store.schema import objects
from accord.store.summaries import refresh_in
from accord.trust.markings import MarkedVersion, Tlp


@dataclass(slots=True)
class NewVersion:
    collection_id: str
    id: str
    type: str
    spec_version: str
    version: str
    version_key: str
    date_added: str
    is_latest: bool
    body: bytes
    tlp: int | None
    creator_id: str | None
    poster_id: str | None
    recipients: frozenset[str]
    mentions: set[Value]  # observable values (and what a sighting sighted), for correlation
    sighting_of: str | None  # for a sighting: the object it sighted
    # For a cooperation object: the request whose ledger it is in, when it happened (a
    # receipt: when the request was received; sorts as text) and its digest.
    request_of: str | None = None
    happened: str | None = None
    digest: bytes | None = None
    # Its names, aliases and external ids, and a relationship's ends (store.search_index).
    names: list[tuple[str, str]] | None = None
    ends: tuple[str, str] | None = None
    # A claim's subject, a position's claim: where the attribution record files every version.
    filed_under: str | None = None

    def values(self) -> tuple[Any, ...]:
        return (self.collection_id, self.id, self.type, self.spec_version, self.version,
                self.version_key, self.date_added, self.is_latest, self.body, self.tlp,
                self.creator_id, self.poster_id)


_INSERT_COLUMNS = ("collection_id", "id", "type", "spec_version", "version", "version_key",
                   "date_added", "is_latest", "body", "tlp", "creator_id", "poster_id")
_COPY_TYPES = ["varchar"] * 7 + ["bool", "bytea", "int4", "varchar", "varchar"]


def insert(conn: Connection, rows: list[NewVersion], default_tlp: Tlp) -> None:
    """Store `rows` (all of one collection, in date_added order) and what goes with them."""
    # SQLite: the caller writes (BEGIN IMMEDIATE: no other writer), and a rowid with no
    # AUTOINCREMENT is the largest one's successor: the rows get the seqs after `last`, in
    # order (as search_index.add counts on), and need not be read back.
    last = (conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM objects").scalar_one()
            if conn.dialect.name == "sqlite" else None)
    # Binary COPY on PostgreSQL: the bodies are bytea (store.bulk).
    insert_rows(conn, "objects", _INSERT_COLUMNS, [r.values() for r in rows], _COPY_TYPES)
    linked = [r for r in rows if r.recipients or r.mentions or r.sighting_of or r.request_of
              or r.filed_under or (r.is_latest and (r.names or r.ends))]
    if not linked:
        return
    seqs = (_stored_seqs(conn, rows) if last is None else
            {(r.id, r.version_key): last + n for n, r in enumerate(rows, 1)})
    _insert_links(conn, linked, default_tlp, seqs)


def _stored_seqs(conn: Connection, rows: list[NewVersion]) -> dict[tuple[str, str], int]:
    """PostgreSQL: the seqs the rows just inserted were given (a sequence shared with other
    writers: not consecutive)."""
    c = objects.c
    # What this call added is everything in the collection from its first date_added on.
    return {(oid, key): seq for seq, oid, key in conn.execute(
        select(c.seq, c.id, c.version_key).where(
            c.collection_id == rows[0].collection_id,
            c.date_added >= min(r.date_added for r in rows)))}


def _insert_links(conn: Connection, rows: list[NewVersion], default_tlp: Tlp,
                  seqs: dict[tuple[str, str], int]) -> None:
    """Recipients, observable values and index rows of rows just inserted, keyed by seq."""
    addressed = [(seqs[r.id, r.version_key], party)
                 for r in rows for party in sorted(r.recipients)]
    mentioned = [row for r in rows if r.is_latest and r.mentions
                 for row in rows_for(r.collection_id, seqs[r.id, r.version_key],
                                     MarkedVersion(None if r.tlp is None else Tlp(r.tlp),
                                                   r.creator_id, r.poster_id, r.recipients),
                                     default_tlp, r.mentions)]
    sighted = [(seqs[r.id, r.version_key], r.sighting_of) for r in rows if r.sighting_of]
    ledgered = [(seqs[r.id, r.version_key], r.request_of, r.id, r.id.split("--", 1)[0],
                 r.happened, r.digest) for r in rows if r.request_of]
    named = [(seqs[r.id, r.version_key], r.collection_id, r.id, kind, text)
             for r in rows if r.is_latest and r.names for kind, text in r.names]
    ends = [(seqs[r.id, r.version_key], *r.ends) for r in rows if r.is_latest and r.ends]
    filed = [(seqs[r.id, r.version_key], r.filed_under, r.id) for r in rows if r.filed_under]
    insert_rows(conn, "ledger", ("seq", "request_id", "object_id", "type", "time", "digest"),
                ledgered, ("int4", "varchar", "varchar", "varchar", "varchar", "bytea"))
    insert_rows(conn, "sightings", ("seq", "sighting_of_ref"), sighted)
    insert_rows(conn, "record_index", ("seq", "filed_under", "object_id"), filed)
    insert_rows(conn, "recipients", ("seq", "party_id"), addressed)
    insert_rows(conn, "observables", ("collection_id", "audience", "kind", "value", "seq"),
                mentioned)
    search_index.add(conn, named, ends)
    if ledgered:
        # The summaries follow their ledgers in the same transaction, once the recipients (who
        # may see each request) are in; a translation changes no state, but what the request's
        # readers find it by in their lists (store.summary_translations).
        refresh_in(conn, {row[1] for row in ledgered})

