"""A party registered here that a peer's node turns out to stand for takes the identity that
node publishes (`accord peer add --party`, store.directory.Directory.pin_party): its tokens,
people, permissions and what it posted follow it; what others said of it keeps the id named."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from accord.stix.timestamps import now_timestamp
from accord.store.directory_entries import Party
from accord.store.quotas import move_storage_in, open_storage_in
from accord.store.schema import (
    guidelines,
    hotline_contacts,
    ledger,
    objects,
    observables,
    parties,
    people,
    permissions,
    statuses,
    tokens,
)


def move_party_in(conn: Connection, local: Party, identity: dict[str, Any]) -> None:
    """`local` becomes the party of `identity`, in the caller's transaction (which checked
    that it may)."""
    # New row first, then every reference, then the old row: no foreign key is ever left
    # dangling, on SQLite or PostgreSQL.
    conn.execute(update(parties).where(parties.c.id == local.id)
                 .values(name=f"{local.name} (moving)"))
    conn.execute(parties.insert().values(
        id=identity["id"], name=local.name, created=now_timestamp(), is_self=False,
        identity=orjson.dumps(identity)))
    open_storage_in(conn, identity["id"])
    # Everything that is the party's, as opposed to what others said of it (requests to it,
    # markings naming it, the audit trail: those keep the id they named).
    for table in (tokens, people, permissions, hotline_contacts, statuses):
        conn.execute(update(table).where(table.c.party_id == local.id)
                     .values(party_id=identity["id"]))
    _move_posted_in(conn, local.id, identity["id"])
    move_storage_in(conn, local.id, identity["id"])
    conn.execute(delete(parties).where(parties.c.id == local.id))


def _move_posted_in(conn: Connection, old_id: str, new_id: str) -> None:
    """The versions the party posted under its old id name its new one as their poster (whom
    they are counted against, who may delete them and read them whatever their marking), and
    what the store derived from them and from its agreements moves with them: the look-up's
    audience of those marked beyond AMBER, the guidelines agreed with it, and the summaries
    of the requests it acted on (which of their versions it may read)."""
    # Here rather than at the top: the summaries bring the cooperation modules, which every
    # command that opens the directory would otherwise load.
    from accord.store import summaries

    o, ob, g = objects.c, observables.c, guidelines.c
    conn.execute(update(objects).where(o.poster_id == old_id).values(poster_id=new_id))
    posted = select(o.seq).where(o.poster_id == new_id)
    conn.execute(update(observables).where(ob.audience == old_id, ob.seq.in_(posted))
                 .values(audience=new_id))
    for version, a, b in conn.execute(select(g.version, g.pair_a, g.pair_b).where(
            (g.pair_a == old_id) | (g.pair_b == old_id))).all():
        first, second = sorted(new_id if p == old_id else p for p in (a, b))
        conn.execute(update(guidelines).where(g.version == version)
                     .values(pair_a=first, pair_b=second))
    summaries.refresh_in(conn, conn.execute(select(ledger.c.request_id).distinct().where(
        ledger.c.seq.in_(posted))).scalars().all())
