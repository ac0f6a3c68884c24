"""Peers as stored rows: where they are, whom they stand for, how far each was read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy import Engine, select, update

from accord.stix.timestamps import format_timestamp, now_timestamp, parse_timestamp
from accord.store.directory import DirectoryError
from accord.store.engine import writing
from accord.store.schema import peers


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    token: str
    party_id: str
    public_key: str
    added: str
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    cursors: dict[str, str]  # the peer's collection id -> the last date_added stored from it
    pulled: int
    failures: int = 0  # rounds failed in a row
    behind: int = 0  # objects the peer offered at the last round's end that are not here

    def next_attempt(self) -> str | None:
        """When the continuous sync tries a failing peer again: 5 s after the first failure,
        doubling with each, at most an hour (None: at the next interval)."""
        if not self.failures or self.last_attempt is None:
            return None
        wait = timedelta(seconds=min(3600, 5 * 2 ** (self.failures - 1)))
        return format_timestamp(parse_timestamp(self.last_attempt) + wait)


class PeerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, url: str, token: str, party_id: str, public_key: str) -> Peer:
        if self.find(name) is not None:
            raise DirectoryError(f"a peer named {name!r} exists already (see `accord peer list`)")
        with writing(self.engine) as conn:
            conn.execute(peers.insert().values(
                name=name, url=url, token=token, party_id=party_id, public_key=public_key,
                added=now_timestamp(), cursors=b"{}", pulled=0))
        found = self.find(name)
        assert found is not None
        return found

    def find(self, name: str) -> Peer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(peers).where(peers.c.name == name)).first()
        return None if row is None else _peer(row)

    def all(self) -> list[Peer]:
        with self.engine.connect() as conn:
            return [_peer(r) for r in conn.execute(select(peers).order_by(peers.c.name))]

    def party_keys(self) -> dict[str, str]:
        """Each peer's party id -> its published public key."""
        return {p.party_id: p.public_key for p in self.all()}

    def advance(self, name: str, collection_id: str, added_after: str, stored: int) -> None:
        """Remember that the peer's collection was read up to `added_after` (after storing)."""
        with writing(self.engine) as conn:
            row = conn.execute(select(peers.c.cursors, peers.c.pulled)
                               .where(peers.c.name == name)).one()
            cursors = orjson.loads(row.cursors)
            cursors[collection_id] = added_after
            conn.execute(update(peers).where(peers.c.name == name).values(
                cursors=orjson.dumps(cursors), pulled=row.pulled + stored))

    def reread(self) -> None:
        """Read every peer from the start at the next round (what was refused before may be
        taken now; what is held already stays as it is)."""
        with writing(self.engine) as conn:
            for name, cursors in conn.execute(select(peers.c.name, peers.c.cursors)).all():
                kept = {k: v for k, v in orjson.loads(cursors).items() if k.startswith("push:")}
                conn.execute(update(peers).where(peers.c.name == name)
                             .values(cursors=orjson.dumps(kept)))

    def attempted(self, name: str, error: str | None, behind: int | None = None) -> None:
        now = now_timestamp()
        values: dict[str, object] = {"last_attempt": now, "last_error": error,
                                     "failures": peers.c.failures + 1}
        if error is None:
            values["last_success"] = now
            values["failures"] = 0
        if behind is not None:
            values["behind"] = behind
        with writing(self.engine) as conn:
            conn.execute(update(peers).where(peers.c.name == name).values(**values))


def hosted_parties(engine: Engine) -> frozenset[str]:
    """The parties this node speaks for (and signs for): every party it knows but those a
    peer's node stands for."""
    from accord.store.schema import parties

    with engine.connect() as conn:
        known = set(conn.execute(select(parties.c.id)).scalars())
    return frozenset(known - set(PeerStore(engine).party_keys()))


def _peer(row: object) -> Peer:
    r = row  # a Row with the peers columns
    return Peer(r.name, r.url, r.token, r.party_id, r.public_key, r.added,  # type: ignore[attr-defined]
                r.last_attempt, r.last_success, r.last_error,  # type: ignore[attr-defined]
                orjson.loads(r.cursors), r.pulled, r.failures,  # type: ignore[attr-defined]
                r.behind)  # type: ignore[attr-defined]
