"""What a party may not remove of what the store holds (TAXII 2.1 §5.7, store.objects.delete):
another party's versions, a request's ledger, the attribution record."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, func, or_, select

from accord.attribution.objects import CLAIM, DESIGNATION, is_attribution_object
from accord.store.bulk import among
from accord.store.schema import objects


class NotYours(Exception):
    """A party tried to remove versions it neither posted nor created."""


class InLedger(Exception):
    """A party tried to remove an entry of a request's ledger, which is append-only."""


class OnRecord(Exception):
    """A party tried to remove a claim, a position or a designation from the attribution
    record, which is append-only."""


def _on_record(conn: Connection, object_id: str, seqs: list[int]) -> bool:
    """Whether the versions `seqs` of `object_id` are of the attribution record: a claim or a
    designation by its type; an opinion only if it carries a position (the extension)."""
    kind = object_id.partition("--")[0]
    if kind in (CLAIM, DESIGNATION):
        return True
    if kind != "opinion":
        return False
    return any(is_attribution_object(orjson.loads(body))
               for condition in among(conn, objects.c.seq, seqs)
               for body in conn.execute(select(objects.c.body).where(condition)).scalars())


def may_remove(conn: Connection, object_id: str, seqs: list[int], deleter: str,
               ledger_kinds: Sequence[str]) -> None:
    """Raise NotYours, InLedger or OnRecord unless `deleter` may remove the versions `seqs`
    of `object_id` (`ledger_kinds`: the types of those of them in a request's ledger)."""
    if any(conn.execute(
            select(func.count()).select_from(objects).where(
                condition,
                or_(objects.c.poster_id.is_(None), objects.c.poster_id != deleter),
                or_(objects.c.creator_id.is_(None), objects.c.creator_id != deleter))
    ).scalar_one() for condition in among(conn, objects.c.seq, seqs)):
        # Removing another party's version could undo its tightening of a marking.
        raise NotYours(object_id)
    keep_record(conn, object_id, seqs, ledger_kinds)


def keep_record(conn: Connection, object_id: str, seqs: list[int],
                ledger_kinds: Sequence[str]) -> None:
    """Raise InLedger or OnRecord where the versions `seqs` of `object_id` are of a request's
    ledger or of the attribution record, which nobody removes, the node's operator included
    (`ledger_kinds`: the types of those of them in a request's ledger)."""
    if any(kind != "language-content" for kind in ledger_kinds):
        # A party that could delete its receipt, acknowledgement or response would undo
        # its deadlines and its acts; only a translation (itself versioned) may go.
        raise InLedger(object_id)
    if _on_record(conn, object_id, seqs):
        # Its maker removing a claim, a denial or the lifting of a designation would hide
        # it from the parties that read it, bring a lifted designation back into force,
        # and leave the nodes that hold it disagreeing: it is superseded, never removed.
        raise OnRecord(object_id)
