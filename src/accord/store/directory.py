"""Parties, tokens, collections and their permissions, and node settings, as stored rows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update

from accord.i18n import N_, Refusal
from accord.stix.timestamps import now_timestamp
from accord.store import grant_reads
from accord.store.directory_entries import (  # re-exported: what the directory holds
    PERSON_KINDS,
    UNNAMED_HOLDER,
    Collection,
    Party,
    Person,
    TokenInfo,
    is_uuid,
)
from accord.store.engine import reading, take_turn, writing
from accord.store.names import MOST_NAME, name_problem, shown
from accord.store.party_moves import move_party_in
from accord.store.quotas import open_storage_in
from accord.store.schema import (
    collections,
    parties,
    peers,
    people,
    permissions,
    settings,
    tokens,
)
from accord.trust.access import Grant, Principal
from accord.trust.markings import Tlp
from accord.trust.tokens import ROLES, digest, new_token
from accord.words import printable

# An alias stands in a URL path segment in place of the collection id.
_ALIAS = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def is_alias(text: str) -> bool:
    """Whether `text` may be a collection's alias (which is never an id)."""
    return _ALIAS.match(text) is not None and not is_uuid(text)


class DirectoryError(Refusal):
    """A name, role or id the user gave does not fit (unknown party, duplicate name, …), in
    words the administration page says in its reader's language."""


def _named(text: str, empty: str) -> str:
    """`text` stripped, as a name (store.names), or DirectoryError saying why it cannot be
    one (`empty`: the message for nothing at all)."""
    name = text.strip()
    if not name:
        raise DirectoryError(empty)
    problem = name_problem(name)
    if problem is not None:
        message, values = problem
        raise DirectoryError(message, **values)
    return name


def identity_for(name: str, created: str) -> dict[str, Any]:
    """The STIX identity that stands for a party in created_by_ref and elsewhere."""
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
        "created": created, "modified": created, "name": name, "identity_class": "organization",
    }


class Directory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # One per database in a process, whichever Directory changes it.
        self.recent = grant_reads.recent_lookups(engine)

    @contextmanager
    def _changing(self) -> Iterator[Connection]:
        """A write transaction; once it ends, token look-ups kept from before are forgotten."""
        try:
            with writing(self.engine) as conn:
                yield conn
        finally:
            self.recent.forget_all()

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()

    def set_setting(self, key: str, value: str) -> None:
        with self._changing() as conn:
            self.set_setting_in(conn, key, value)

    @staticmethod
    def setting_in(conn: Connection, key: str) -> str | None:
        return conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()

    @staticmethod
    def set_setting_in(conn: Connection, key: str, value: str) -> None:
        """Set a setting in the caller's transaction (with what it depends on)."""
        take_turn(conn, f"setting:{key}")  # two hosts setting it at once: no duplicate key
        if conn.execute(select(settings.c.key).where(settings.c.key == key)).first():
            conn.execute(update(settings).where(settings.c.key == key).values(value=value))
        else:
            conn.execute(settings.insert().values(key=key, value=value))

    def setting_once(self, key: str, value: str) -> str:
        """Store `value` unless the key has one already; returns the stored value."""
        with self._changing() as conn:
            take_turn(conn, f"setting:{key}")  # the first value stored, whoever stored it
            found = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
            if found is not None:
                return str(found)
            conn.execute(settings.insert().values(key=key, value=value))
            return value

    # -- parties ---------------------------------------------------------------------------

    def add_party(self, name: str, *, is_self: bool = False) -> Party:
        name = _named(name, N_("a party needs a non-empty name"))
        created = now_timestamp()
        identity = identity_for(name, created)
        with self._changing() as conn:
            # Checked in the transaction that adds it, each in its turn: two hosts creating
            # the node on its first run (or two operators adding one name) both found it free
            # before either wrote, and made a node with two own parties.
            take_turn(conn, "parties")
            known = conn.execute(select(parties.c.name, parties.c.is_self)).all()
            own = next((row.name for row in known if row.is_self), None)
            if is_self and own is not None:
                raise DirectoryError(N_("this database already holds the node of {name}"),
                                     name=repr(own))
            # Names that differ in case alone would be taken one for the other.
            same = next((row.name for row in known if row.name.casefold() == name.casefold()),
                        None)
            if same is not None:
                raise DirectoryError(N_("a party named {name} already exists"), name=repr(same))
            conn.execute(parties.insert().values(
                id=identity["id"], name=name, created=created, is_self=is_self,
                identity=orjson.dumps(identity)))
            open_storage_in(conn, identity["id"])
        return Party(identity["id"], name, is_self)

    def pin_party(self, identity: dict[str, Any], local: Party | None) -> Party:
        """The party a peer's node stands for, under the identity that node publishes.

        With `local` (a party registered here before, e.g. to give the peer a token), that
        party takes the peer's identity id — its tokens, people and permissions follow — so
        that objects created there and here name it the same way. Without, the identity is
        registered as a new party (or found, if known already).
        """
        found = self.find_party(identity["id"])
        if found is not None:
            # A node that publishes the id of a party it does not stand for would sign as it
            # here: as this node's own party, another peer's, or one whose officers act here.
            # Only the operator's word makes a party known here a peer's.
            if found.is_self:
                raise DirectoryError(N_("a peer cannot stand for this node's own party"))
            if local is None or local.id != found.id:
                raise DirectoryError(N_("the peer publishes the identity of {party} ({id}), a "
                                        "party known here already: if the peer's node does "
                                        "stand for it, say so with --party"),
                                     party=repr(found.name), id=found.id)
            with self.engine.connect() as conn:
                _may_stand_for(conn, found)
            return found
        # Another node's word: what a terminal would act on written out, and cut to a name's
        # length (store.names), rather than refused.
        name = printable(str(identity.get("name") or identity["id"]).strip())[:MOST_NAME]
        with self._changing() as conn:
            take_turn(conn, "parties")
            if local is None:
                if any(known.casefold() == name.casefold()
                       for known in conn.execute(select(parties.c.name)).scalars()):
                    raise DirectoryError(
                        N_("a party named {name} already exists here under another identity: "
                           "name it with --party to take the peer's identity"), name=repr(name))
                conn.execute(parties.insert().values(
                    id=identity["id"], name=name, created=now_timestamp(), is_self=False,
                    identity=orjson.dumps(identity)))
                open_storage_in(conn, identity["id"])
                return Party(identity["id"], name, False)
            _may_stand_for(conn, local)
            move_party_in(conn, local, identity)
        return Party(identity["id"], local.name, False)

    def identities(self) -> list[dict[str, Any]]:
        """The STIX identity object of every party."""
        with self.engine.connect() as conn:
            return [orjson.loads(r) for r in conn.execute(select(parties.c.identity)).scalars()]

    def find_party(self, name_or_id: str) -> Party | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(parties.c.id, parties.c.name, parties.c.is_self)
                .where((parties.c.name == name_or_id) | (parties.c.id == name_or_id))
            ).first()
        return Party(row.id, row.name, bool(row.is_self)) if row else None

    def party(self, name_or_id: str) -> Party:
        found = self.find_party(name_or_id)
        if found is None:
            known = ", ".join(p.name for p in self.parties())
            raise DirectoryError(N_("no party named {name} (known parties: {known})"),
                                 name=shown(name_or_id), known=known or "—")
        return found

    def parties(self) -> list[Party]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(parties.c.id, parties.c.name, parties.c.is_self)
                                .order_by(parties.c.created))
            return [Party(r.id, r.name, bool(r.is_self)) for r in rows]

    def names(self) -> dict[str, str]:
        """Every party's name by its identity id: how pages and reports show who did what."""
        return {p.id: p.name for p in self.parties()}

    def time_zones(self) -> dict[str, str]:
        """Each party's IANA time zone by its identity id, where one is known: where its
        deadlines fall for its people."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(parties.c.id, parties.c.time_zone)
                                .where(parties.c.time_zone.is_not(None)))
            return {r.id: r.time_zone for r in rows if r.time_zone}

    def set_time_zone(self, party_id: str, time_zone: str) -> bool:
        """Keep the time zone of the party `party_id` ("" forgets it); whether it changed.
        The name is checked by the caller (accord.i18n.zones): the directory stores it."""
        with self._changing() as conn:
            changed = conn.execute(parties.update().where(
                (parties.c.id == party_id)
                & (parties.c.time_zone.is_distinct_from(time_zone or None)))
                .values(time_zone=time_zone or None))
            return bool(changed.rowcount)

    def own_party(self) -> Party | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(parties.c.id, parties.c.name)
                               .where(parties.c.is_self.is_(True))
                               .order_by(parties.c.created)).first()
        return Party(row.id, row.name, True) if row else None

    # -- tokens ----------------------------------------------------------------------------

    # -- people ------------------------------------------------------------------------------

    def add_person(self, party: Party, name: str, *, kind: str = "person") -> Person:
        with self._changing() as conn:
            return self._add_person(conn, party, name, kind)

    def _add_person(self, conn: Connection, party: Party, name: str, kind: str) -> Person:
        name = _named(name, N_("a person needs a name"))
        if kind not in PERSON_KINDS:
            raise DirectoryError(N_("unknown kind {kind}: choose person or machine"),
                                 kind=repr(kind))
        if self._person_row(conn, party.id, name) is not None:
            raise DirectoryError(N_("{party} already has someone named {name}"), party=party.name,
                                 name=repr(name))
        person = Person(str(uuid.uuid4()), party.id, name, kind, now_timestamp())
        conn.execute(people.insert().values(id=person.id, party_id=party.id, name=name,
                                            kind=kind, created=person.created))
        return person

    @staticmethod
    def _person_row(conn: Connection, party_id: str, name: str) -> Any:
        return conn.execute(select(people).where(people.c.party_id == party_id,
                                                 people.c.name == name)).first()

    def person(self, party: Party, name: str) -> Person:
        with self.engine.connect() as conn:
            row = self._person_row(conn, party.id, name.strip())
        if row is None:
            raise DirectoryError(N_("{party} has nobody named {name} (see `accord person list`)"),
                                 party=party.name, name=repr(name))
        return Person(row.id, row.party_id, row.name, row.kind, row.created)

    def is_person(self, person_id: str) -> bool:
        """Whether `person_id` names someone of this node (people are never removed)."""
        with self.engine.connect() as conn:
            return conn.execute(select(people.c.id).where(people.c.id == person_id)).first() \
                is not None

    def people(self, party: Party | None = None) -> list[Person]:
        stmt = select(people).order_by(people.c.party_id, people.c.name)
        if party is not None:
            stmt = stmt.where(people.c.party_id == party.id)
        with self.engine.connect() as conn:
            return [Person(r.id, r.party_id, r.name, r.kind, r.created)
                    for r in conn.execute(stmt)]

    def set_preferences(self, person_id: str, *, locale: str | None = None,
                        time_zone: str | None = None) -> None:
        """Keep a person's language or time zone (None leaves it, "" forgets it). The values
        are checked by the caller (accord.i18n): the directory stores what it is given."""
        values = {key: value for key, value in (("locale", locale), ("time_zone", time_zone))
                  if value is not None}
        if values:
            with self._changing() as conn:
                conn.execute(people.update().where(people.c.id == person_id)
                             .values(**{key: value or None for key, value in values.items()}))

    def token_ids_of(self, person: Person) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(tokens.c.id)
                                     .where(tokens.c.person_id == person.id)).scalars())

    # -- tokens ------------------------------------------------------------------------------

    def create_token(self, party: Party, *, role: str = "analyst", name: str = "",
                     expires: str | None = None, machine: bool = False) -> str:
        """A new token for the person (or machine account) `name` of `party`, made on first use;
        without a name, for the party's machine account "automation"."""
        if role not in ROLES:
            raise DirectoryError(N_("unknown role {role}: choose one of {roles}"), role=repr(role),
                                 roles=", ".join(ROLES))
        holder_name = name.strip() or UNNAMED_HOLDER
        kind = "machine" if machine or not name.strip() else "person"
        token = new_token()
        with self._changing() as conn:
            row = self._person_row(conn, party.id, holder_name)
            if row is None:
                holder = self._add_person(conn, party, holder_name, kind)
            else:
                holder = Person(row.id, row.party_id, row.name, row.kind, row.created)
                if machine and not holder.is_machine:
                    raise DirectoryError(N_("{name} of {party} is a person, not a machine account"),
                                         name=repr(holder_name), party=party.name)
            conn.execute(tokens.insert().values(
                id=str(uuid.uuid4()), party_id=party.id, digest=digest(token),
                name=holder.name, role=role, created=now_timestamp(), expires=expires,
                revoked=None, person_id=holder.id))
        return token

    def principal(self, token: str) -> Principal | None:
        """The holder of `token`, or None if it is unknown, expired or revoked (as a moment
        ago, at most: store.recent_tokens)."""
        return grant_reads.principal(self.engine, self.recent, token)

    def principal_and_collection(self, token: str, collection_id: str
                                 ) -> tuple[Principal | None, tuple[Collection, Grant] | None]:
        """`principal(token)` and, for its holder, `collection_for(party, collection_id)`, in
        one statement: what a TAXII request on a collection reads before its objects."""
        return grant_reads.principal_and_collection(self.engine, self.recent, token,
                                                    collection_id)

    def principal_by_token_id(self, token_id: str) -> Principal | None:
        """The holder of the token with this id, if it is still valid (web sessions keep the
        id, never the token)."""
        return grant_reads.principal_by_token_id(self.engine, token_id)

    def tokens(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tokens.c.id, parties.c.name.label("party"), tokens.c.name, tokens.c.role,
                       tokens.c.created, tokens.c.expires, tokens.c.revoked, people.c.kind)
                .join(parties, parties.c.id == tokens.c.party_id)
                .outerjoin(people, people.c.id == tokens.c.person_id)
                .order_by(tokens.c.created))
            return [TokenInfo(r.id, r.party, r.name, r.role, r.created, r.expires, r.revoked,
                              r.kind or "person") for r in rows]

    def revoke_token(self, token_id: str) -> None:
        with self._changing() as conn:
            done = conn.execute(update(tokens).where(tokens.c.id == token_id,
                                                     tokens.c.revoked.is_(None))
                                .values(revoked=now_timestamp()))
        if done.rowcount == 0:
            raise DirectoryError(N_("no active token with id {token}"), token=repr(token_id))

    # -- collections -----------------------------------------------------------------------

    def create_collection(self, title: str, *, description: str = "", alias: str | None = None,
                          read: list[Party], write: list[Party],
                          default_tlp: Tlp = Tlp.AMBER) -> Collection:
        title = _named(title, N_("a collection needs a non-empty title"))
        if alias is not None and not is_alias(alias):
            raise DirectoryError(N_("alias {alias}: use lower-case letters, digits, '-', '_' or "
                                    "'.' (up to 64, not shaped like a UUID), e.g. cn-shared"),
                                 alias=repr(alias))
        collection = Collection(str(uuid.uuid4()), title.strip(), description, alias,
                                default_tlp)
        with self._changing() as conn:
            if alias:  # made by two hosts at once: one is made, the other told it exists
                take_turn(conn, f"collection-alias:{alias}")
            if alias and conn.execute(select(collections.c.id)
                                      .where(collections.c.alias == alias)).first():
                raise DirectoryError(N_("a collection with alias {alias} already exists"),
                                     alias=repr(alias))
            conn.execute(collections.insert().values(
                id=collection.id, title=collection.title, description=description, alias=alias,
                created=now_timestamp(), default_tlp=int(default_tlp)))
            readers = {p.id for p in read}
            writers = {p.id for p in write}
            for party_id in readers | writers:
                conn.execute(permissions.insert().values(
                    collection_id=collection.id, party_id=party_id,
                    can_read=party_id in readers, can_write=party_id in writers))
        return collection

    def grant(self, collection_id: str, party: Party, grant: Grant) -> None:
        with self._changing() as conn:
            # Two grants at once would both delete, then both insert (a duplicate key).
            take_turn(conn, f"grant:{collection_id}:{party.id}")
            conn.execute(permissions.delete().where(permissions.c.collection_id == collection_id,
                                                    permissions.c.party_id == party.id))
            conn.execute(permissions.insert().values(
                collection_id=collection_id, party_id=party.id, can_read=grant.can_read,
                can_write=grant.can_write))

    def granted(self, collection_id: str, party_id: str) -> Grant | None:
        """What the party was granted on the collection (by its id), even nothing at all (a
        grant taken back: no read, no write); None when it never was."""
        p = permissions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(p.can_read, p.can_write).where(
                p.collection_id == collection_id, p.party_id == party_id)).first()
        return None if row is None else Grant(bool(row.can_read), bool(row.can_write))

    def collections_for(self, party_id: str) -> list[tuple[Collection, Grant]]:
        """The collections a party may read or write, each with its grant; no others."""
        return grant_reads.collections_for(self.engine, party_id)

    def collection_for(self, party_id: str, collection_id: str) -> tuple[Collection, Grant] | None:
        """One collection by id or alias, if this party may read or write it."""
        return grant_reads.collection_for(self.engine, party_id, collection_id)

    def all_collections(self) -> list[Collection]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(collections).order_by(collections.c.created))
            return [Collection.from_row(r) for r in rows]

    def collection(self, id_alias_or_title: str) -> Collection:
        known = self.all_collections()
        # An id or an alias names one collection; a title may be another's alias, or several
        # collections' title.
        matches = [c for c in known if id_alias_or_title in (c.id, c.alias)] or \
            [c for c in known if c.title == id_alias_or_title]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            listed = ", ".join(f"{c.title} ({c.id})" for c in known)
            raise DirectoryError(N_("no collection {name} (collections: {known})"),
                                 name=shown(id_alias_or_title), known=listed or "—")
        raise DirectoryError(N_("{count} collections are titled {name}: name one by its id"),
                             count=len(matches), name=repr(id_alias_or_title))


def _may_stand_for(conn: Connection, party: Party) -> None:
    """Refuses to let a peer's node stand for this node's own party, or for one another peer's
    node stands for already."""
    if party.is_self:
        raise DirectoryError(N_("a peer cannot stand for this node's own party"))
    standing = conn.execute(select(peers.c.name).where(peers.c.party_id == party.id)).scalar()
    if standing is not None:
        raise DirectoryError(N_("{party} stands for peer {peer} already: a party stands for one "
                                "peer"), party=party.name, peer=repr(standing))
