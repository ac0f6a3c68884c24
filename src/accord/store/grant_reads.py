"""What authenticating a request reads: the holder of a token and the holder's party's grant on
a collection, in one statement where a TAXII request needs both; what allows is kept a moment
per process (store.recent_tokens), what refuses never is."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, and_, bindparam, select
from sqlalchemy.sql import ColumnElement, Select

from accord.stix.timestamps import now_timestamp
from accord.store import direct
from accord.store.directory_entries import Collection, is_uuid
from accord.store.engine import reading
from accord.store.recent_tokens import RecentLookups
from accord.store.replica import primary_of
from accord.store.schema import collections, parties, people, permissions, tokens
from accord.trust.access import Grant, Principal
from accord.trust.markings import Tlp
from accord.trust.tokens import digest

# The two reads behind every TAXII request, built once (building costs more than running).
_PRINCIPAL = (
    select(tokens.c.id, tokens.c.party_id, parties.c.name, tokens.c.role, tokens.c.expires,
           tokens.c.revoked, tokens.c.person_id, people.c.name.label("person_name"),
           people.c.locale, people.c.time_zone)
    .join(parties, parties.c.id == tokens.c.party_id)
    .outerjoin(people, people.c.id == tokens.c.person_id)
    .where(tokens.c.digest == bindparam("digest"))
)
_BY_TOKEN_ID = (
    select(*_PRINCIPAL.selected_columns)
    .join(parties, parties.c.id == tokens.c.party_id)
    .outerjoin(people, people.c.id == tokens.c.person_id)
    .where(tokens.c.id == bindparam("token_id"))
)

_GRANTS = (
    select(collections, permissions.c.can_read, permissions.c.can_write)
    .join(permissions, permissions.c.collection_id == collections.c.id)
    .where(permissions.c.party_id == bindparam("party_id"))
)
_GRANT_BY_ID = _GRANTS.where(collections.c.id == bindparam("key"))
_READABLE_OR_WRITABLE = (
    _GRANTS.where(permissions.c.can_read.is_(True) | permissions.c.can_write.is_(True))
    .order_by(collections.c.created, collections.c.id))
_GRANT_BY_ALIAS = _GRANTS.where(collections.c.alias == bindparam("key"))


def _principal_and_grant(key: ColumnElement[str]) -> Select[Any]:
    """The two reads behind a TAXII request on a collection in one statement: the token's
    holder, and the holder's party's grant on the collection `key` names (NULLs when it has
    none; no row when the token is unknown)."""
    grant = permissions.join(collections, and_(collections.c.id == permissions.c.collection_id,
                                               key == bindparam("key")))
    return (
        select(*_PRINCIPAL.selected_columns, collections.c.id.label("collection_id"),
               collections.c.title, collections.c.description, collections.c.alias,
               collections.c.default_tlp, permissions.c.can_read, permissions.c.can_write)
        .select_from(tokens.join(parties, parties.c.id == tokens.c.party_id)
                     .outerjoin(people, people.c.id == tokens.c.person_id)
                     .outerjoin(grant, permissions.c.party_id == tokens.c.party_id))
        .where(tokens.c.digest == bindparam("digest"))
    )


_PRINCIPAL_AND_GRANT_BY_ID = _principal_and_grant(collections.c.id)
_PRINCIPAL_AND_GRANT_BY_ALIAS = _principal_and_grant(collections.c.alias)


# The token look-ups kept, per database (its primary's engine).
_recent: WeakKeyDictionary[Engine, RecentLookups] = WeakKeyDictionary()


def recent_lookups(engine: Engine) -> RecentLookups:
    """The look-ups kept for this database: one per database in a process, whichever
    Directory changes it."""
    return _recent.setdefault(primary_of(engine), RecentLookups())


def _holder(row: Any) -> Principal | None:
    """The principal a token row stands for, unless the token is revoked or expired."""
    if row is None or row.revoked is not None:
        return None
    if row.expires is not None and row.expires <= now_timestamp():
        return None
    return Principal(row.id, row.party_id, row.name, row.role, row.person_id,
                     row.person_name or "", row.locale or "", row.time_zone or "")


def _usable(row: Any, collection_id: str) -> tuple[Collection, Grant] | None:
    """The collection of a grant row and the grant, if the party may read or write it."""
    if not (row.can_read or row.can_write):
        return None
    return (Collection(collection_id, row.title, row.description, row.alias,
                       Tlp(row.default_tlp)),
            Grant(bool(row.can_read), bool(row.can_write)))


def principal(engine: Engine, recent: RecentLookups, token: str) -> Principal | None:
    """The holder of `token`, or None if it is unknown, expired or revoked (as a moment
    ago, at most: store.recent_tokens)."""
    key = digest(token)
    row = recent.get(key)
    if row is None:
        generation = recent.generation()
        with reading(engine) as conn:
            row = direct.first(conn, _PRINCIPAL, {"digest": key})
        if _holder(row) is not None:
            recent.keep(key, row, generation)
    return _holder(row)


def principal_and_collection(engine: Engine, recent: RecentLookups, token: str,
                             collection_id: str
                             ) -> tuple[Principal | None, tuple[Collection, Grant] | None]:
    """`principal(token)` and, for its holder, `collection_for(party, collection_id)`, in
    one statement: what a TAXII request on a collection reads before its objects."""
    key = (digest(token), collection_id)
    kept = recent.get(key)
    if kept is not None:
        # The principal and grant as made when kept (all immutable); the expiry against the
        # clock now, as at every use.
        row, holder, usable = kept
        if row.expires is not None and row.expires <= now_timestamp():
            return None, None
        return holder, usable
    statement = (_PRINCIPAL_AND_GRANT_BY_ID if is_uuid(collection_id)
                 else _PRINCIPAL_AND_GRANT_BY_ALIAS)
    generation = recent.generation()
    with reading(engine) as conn:
        row = direct.first(conn, statement, {"digest": key[0], "key": collection_id})
    holder = _holder(row)
    if row is None or holder is None:
        return None, None
    usable = _usable(row, row.collection_id)
    if usable is not None:
        recent.keep(key, (row, holder, usable), generation)  # what allows, never what refuses
    return holder, usable


def principal_by_token_id(engine: Engine, token_id: str) -> Principal | None:
    """The holder of the token with this id, if it is still valid (web sessions keep the
    id, never the token)."""
    with reading(engine) as conn:
        row = direct.first(conn, _BY_TOKEN_ID, {"token_id": token_id})
    return _holder(row)


def collections_for(engine: Engine, party_id: str) -> list[tuple[Collection, Grant]]:
    """The collections a party may read or write, each with its grant; no others."""
    with reading(engine) as conn:
        found = direct.records(conn, _READABLE_OR_WRITABLE, {"party_id": party_id})
    return [(Collection.from_row(r), Grant(bool(r.can_read), bool(r.can_write)))
            for r in found]


def collection_for(engine: Engine, party_id: str, collection_id: str
                   ) -> tuple[Collection, Grant] | None:
    """One collection by id or alias, if this party may read or write it."""
    # One indexed equality, not an OR (which would scan): ids are UUIDs, aliases are not.
    statement = _GRANT_BY_ID if is_uuid(collection_id) else _GRANT_BY_ALIAS
    with reading(engine) as conn:
        row = direct.first(conn, statement, {"party_id": party_id, "key": collection_id})
    return None if row is None else _usable(row, row.id)
