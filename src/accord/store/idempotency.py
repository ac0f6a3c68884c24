"""What a party's request with an `Idempotency-Key` made (IETF
draft-ietf-httpapi-idempotency-key-header), so that its retries make nothing more and are
answered as it was (api.idempotency).

A key is its party's own: (party, key) is the row's primary key, and nothing here reads
another party's. The row is written first in the transaction that stores what the request
makes (`hold_in`), so the two stand or fall together; a second request with the same key at
once waits there for the first (PostgreSQL: on the key's index entry; SQLite: on the write
lock every write transaction takes) and finds the key taken. A key lasts KEY_LIFETIME; a
party holds at most MOST_KEYS at once (its expired ones are deleted as it makes a new one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.stix.timestamps import format_timestamp, parse_timestamp
from accord.store.replica import primary_of
from accord.store.schema import idempotency_keys

KEY_LIFETIME = timedelta(hours=24)  # a client retrying over a night still makes one
MOST_KEY_CHARS = 255
# Keys one party holds at once: a client making a request a minute, with a key each, holds
# 1,440; a party with a valid token could otherwise fill the table without end.
MOST_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Kept:
    """What the first request with a key made, and how it was answered."""

    fingerprint: str  # of the first request: its operation and body (api.idempotency)
    status: int
    made_id: str  # the id of what it made
    expires: datetime


class KeyTaken(Exception):
    """Another request of the party with the same key committed first: nothing of this one
    was stored (its transaction rolled back)."""


class TooManyKeys(Exception):
    """The party holds MOST_KEYS keys already: nothing was stored. `retry_after`: seconds
    until its oldest expires."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"{MOST_KEYS:,} idempotency keys held")
        self.retry_after = retry_after


class IdempotencyKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def kept(self, party_id: str, key: str, now: datetime) -> Kept | None:
        """What `party_id`'s first request with `key` made, unless it expired. Read on the
        primary: a retry must find what its first request wrote a moment ago there, not a
        replica that has not replayed it yet."""
        k = idempotency_keys.c
        with primary_of(self.engine).connect() as conn:
            row = conn.execute(select(k.fingerprint, k.status, k.made_id, k.expires).where(
                k.party_id == party_id, k.key == key,
                k.expires > format_timestamp(now))).first()
        if row is None:
            return None
        return Kept(row.fingerprint, int(row.status), row.made_id, parse_timestamp(row.expires))

    @staticmethod
    def hold_in(conn: Connection, party_id: str, key: str, fingerprint: str, status: int,
                made_id: str, now: datetime) -> None:
        """Record in the caller's write transaction, first in it, that `key` made `made_id`.
        Raises KeyTaken when another transaction holds the key (having waited for it to end),
        TooManyKeys when the party holds the most it may; either way the caller's transaction
        must roll back."""
        k = idempotency_keys.c
        stamp = format_timestamp(now)
        conn.execute(delete(idempotency_keys).where(k.party_id == party_id, k.expires <= stamp))
        held = select(k.key).where(k.party_id == party_id).limit(MOST_KEYS).subquery()
        if conn.execute(select(func.count()).select_from(held)).scalar_one() >= MOST_KEYS:
            oldest = conn.execute(select(func.min(k.expires))
                                  .where(k.party_id == party_id)).scalar_one()
            wait = (parse_timestamp(oldest) - now).total_seconds()
            raise TooManyKeys(max(1, math.ceil(wait)))
        dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        # ON CONFLICT waits for a transaction that inserted the same key, then does nothing
        # if it committed: no error to end this transaction with, a row that says so.
        made = conn.execute(dialect(idempotency_keys).values(
            party_id=party_id, key=key, fingerprint=fingerprint, status=status,
            made_id=made_id, expires=format_timestamp(now + KEY_LIFETIME),
        ).on_conflict_do_nothing(index_elements=[k.party_id, k.key]).returning(k.key)).first()
        if made is None:
            raise KeyTaken(key)
