"""Setting up a node: init, parties, tokens, collections."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import (
    DEFAULT_DB,
    AsJson,
    Db,
    Row,
    app,
    cell,
    err,
    fail,
    listing,
    opened,
    record,
    split_names,
    user_errors,
)
from accord.durations import DurationError, lifetime_end
from accord.i18n.zones import zone
from accord.node import Node, initialise
from accord.serving.limits import parse_size
from accord.stix.timestamps import format_timestamp, now_timestamp, sort_key
from accord.store.engine import writing
from accord.store.objects import MOST_VERSIONS
from accord.store.query import ALL, ObjectQuery
from accord.store.quotas import Quotas
from accord.store.removal_rules import InLedger, OnRecord
from accord.store.urls import shown_url
from accord.trust.access import Grant
from accord.trust.audit import Event
from accord.trust.markings import parse_tlp
from accord.trust.tokens import ROLES
from accord.words import how_large

party_app = typer.Typer(help="Parties: the organisations this node knows.", no_args_is_help=True)
person_app = typer.Typer(help="People and machine accounts of a party: who holds tokens.",
                         no_args_is_help=True)
token_app = typer.Typer(help="API tokens: who may call this node.", no_args_is_help=True)
collection_app = typer.Typer(help="TAXII collections and who may read and write them.",
                             no_args_is_help=True)
app.add_typer(party_app, name="party")
app.add_typer(person_app, name="person")
app.add_typer(token_app, name="token")
app.add_typer(collection_app, name="collection")


@app.command()
def init(
    party: Annotated[str, typer.Option(help="The name of this node's own party.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Create the node and its own party; prints an admin token (shown only this once)."""
    with opened(db, initialised=False) as node:
        own, token = initialise(node, party)
        err.print(f"Node of [bold]{escape(own.name)}[/] created in {escape(shown_url(db))} "
                  f"(identity {own.id}).")
        err.print("Admin token (store it now; it is not shown again):")
        typer.echo(token)


@party_app.command("add")
def party_add(name: str, db: Db = DEFAULT_DB) -> None:
    """Register another party; prints its STIX identity id."""
    with opened(db) as node:
        party = node.directory.add_party(name)
        record(node, "party.add", party=party.id, name=party.name)
        err.print(f"Party [bold]{escape(party.name)}[/] added.")
        typer.echo(party.id)


@party_app.command("list")
def party_list(as_json: AsJson = False, db: Db = DEFAULT_DB) -> None:
    """List the parties this node knows, with their time zones where known, what each has
    stored here and its quota (bytes in --json)."""
    with opened(db) as node:
        zones = node.directory.time_zones()
        known = node.directory.parties()
        held = Quotas(node.engine).of(p.id for p in known)
        rows = [{"name": p.name, "id": p.id, "is_this_node": p.is_self,
                 "time_zone": zones.get(p.id),
                 "stored": held[p.id].stored_bytes if p.id in held else 0,
                 "quota": held[p.id].quota_bytes if p.id in held else None} for p in known]

        def cells(row: Row) -> list[str]:
            return [cell(row[c]) for c in ("name", "id", "is_this_node", "time_zone")] + [
                how_large(row["stored"]),
                "" if row["quota"] is None else how_large(row["quota"])]
        listing(rows, ("name", "id", "is_this_node", "time_zone", "stored", "quota"),
                as_json=as_json, cells=cells)


@party_app.command("quota")
def party_quota(
    party: Annotated[str, typer.Argument(help="Name or identity id of the party.")],
    size: Annotated[str, typer.Argument(
        help="The most the party may store here: e.g. 500MiB, 20GiB, 1TiB; \"none\" lifts "
             "it.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Set how much a party may store on this node (every version it adds, over TAXII, through
    the desk or pulled from its node). Past it, its new objects are refused, saying why; what
    it holds stays, even over a lowered quota. Its acts on requests (acknowledgements,
    responses, escalations…) may take it 16 MiB past it."""
    with opened(db) as node, user_errors():
        found = node.directory.party(party)
        quota = None if size.strip().lower() == "none" else parse_size(size)
        held = Quotas(node.engine).set_quota(found.id, quota)
        record(node, "party.quota", party=found.id, quota_bytes=quota)
        stored = f"it holds {how_large(held.stored_bytes)}"
        if quota is None:
            err.print(f"{escape(found.name)}: no quota ({stored}).")
            return
        over = " — more than the quota: its new objects are refused until it deletes some" \
            if held.stored_bytes > quota else ""
        err.print(f"{escape(found.name)}: quota {how_large(quota)}; {stored}{over}.")


@party_app.command("time-zone")
def party_time_zone(
    party: Annotated[str, typer.Argument(help="Name or identity id of the party.")],
    zone_name: Annotated[str, typer.Argument(
        metavar="ZONE", help="An IANA time zone such as Asia/Shanghai; \"\" forgets it.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Say where a party's deadlines fall: pages show each deadline in both parties' zones.
    This node's own party's zone is published to its peers (GET /api/v1/node); a peer's is
    learned from what it publishes at each sync, or set here when it publishes none."""
    with opened(db) as node:
        if zone_name:
            zone(zone_name)  # UnknownZone (a ValueError): a plain-words error
        found = node.directory.party(party)
        if node.directory.set_time_zone(found.id, zone_name):
            record(node, "party.time_zone", party=found.id, time_zone=zone_name)
        err.print(f"{escape(found.name)}: time zone {escape(zone_name or 'not set')}.")


@person_app.command("add")
def person_add(
    name: str,
    party: Annotated[str, typer.Option(help="Name or identity id of the person's party.")],
    machine: Annotated[bool, typer.Option("--machine", help="A machine account (a script, a "
                                                            "peer), not a person.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Register a person (or a machine account) of a party."""
    with opened(db) as node, user_errors():
        owner = node.directory.party(party)
        person = node.directory.add_person(owner, name, kind="machine" if machine else "person")
        record(node, "person.add", party=owner.id, person=person.id, name=person.name,
               kind=person.kind)
        err.print(f"{'Machine account' if machine else 'Person'} [bold]{escape(person.name)}[/] "
                  f"of {escape(owner.name)} added.")
        typer.echo(person.id)


@person_app.command("list")
def person_list(
    party: Annotated[str | None, typer.Option(help="Only this party's people.")] = None,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """List the people and machine accounts of every party (or one)."""
    with opened(db) as node, user_errors():
        only = node.directory.party(party) if party else None
        names = node.directory.names()
        listing(({"party": names.get(person.party_id, person.party_id), "name": person.name,
                  "kind": person.kind, "created": person.created, "id": person.id}
                 for person in node.directory.people(only)),
                ("party", "name", "kind", "created", "id"), as_json=as_json)


@token_app.command("create")
def token_create(
    party: Annotated[str, typer.Option(help="Name or identity id of the token's party.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "analyst",
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 90d, 12h or P30D.")] = None,
    name: Annotated[str, typer.Option(
        help="Whose token this is: a person of the party (registered on first use). Without "
             "it, the party's machine account 'automation'.")] = "",
    machine: Annotated[bool, typer.Option("--machine",
                                          help="--name is a machine account, not a person.")]
    = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Create an API token for a person of a party; prints it (shown only this once)."""
    with opened(db) as node, user_errors():
        until = None
        if expires:
            try:
                until = format_timestamp(lifetime_end(expires, datetime.now(UTC)))
            except DurationError as error:
                raise DurationError(f"--expires {error}") from None
        owner = node.directory.party(party)
        token = node.directory.create_token(owner, role=role, name=name, expires=until,
                                            machine=machine)
        holder = node.directory.person(owner, name or "automation")
        record(node, "token.create", party=owner.id, person=holder.id, role=role,
               name=holder.name, expires=until)
        err.print(f"Token for {escape(holder.name)} of [bold]{escape(owner.name)}[/] ({role})"
                  + (f", valid until {until}" if until else "") + ":")
        typer.echo(token)


@token_app.command("list")
def token_list(as_json: AsJson = False, db: Db = DEFAULT_DB) -> None:
    """List tokens (never their secrets)."""
    columns = ("id", "party", "holder", "role", "created", "expires", "revoked")

    def cells(row: Row) -> list[str]:
        shown = [cell(row[c]) for c in columns]
        if row["holder_kind"] == "machine":
            shown[columns.index("holder")] += " (machine)"
        return shown

    with opened(db) as node:
        listing(({"id": t.id, "party": t.party_name, "holder": t.name, "holder_kind": t.kind,
                  "role": t.role, "created": t.created, "expires": t.expires,
                  "revoked": t.revoked} for t in node.directory.tokens()),
                columns, as_json=as_json, cells=cells)


@token_app.command("revoke")
def token_revoke(token_id: str, db: Db = DEFAULT_DB) -> None:
    """Revoke a token by its id (see `accord token list`); it stops working at once."""
    with opened(db) as node:
        node.directory.revoke_token(token_id)
        record(node, "token.revoke", token=token_id)
        err.print(f"Token {escape(token_id)} revoked.")


@collection_app.command("create")
def collection_create(
    title: str,
    read: Annotated[str | None, typer.Option(help="Parties that may read, comma-separated.")]
    = None,
    write: Annotated[str | None, typer.Option(help="Parties that may write, comma-separated.")]
    = None,
    description: Annotated[str, typer.Option(help="What the collection holds.")] = "",
    alias: Annotated[str | None, typer.Option(help="A short name usable in URLs.")] = None,
    default_tlp: Annotated[str, typer.Option(
        help="TLP of objects posted without one: clear, green, amber, amber+strict, red.")]
    = "amber",
    db: Db = DEFAULT_DB,
) -> None:
    """Create a collection; prints its id. This node's own party may always read and write."""
    with opened(db) as node, user_errors():
        directory = node.directory
        readers = [directory.party(n) for n in split_names(read)]
        writers = [directory.party(n) for n in split_names(write)]
        collection = directory.create_collection(
            title, description=description, alias=alias,
            read=[node.party, *readers], write=[node.party, *writers],
            default_tlp=parse_tlp(default_tlp))
        record(node, "collection.create", collection=collection.id, title=collection.title,
               read=[p.id for p in readers], write=[p.id for p in writers],
               default_tlp=collection.default_tlp.label)
        err.print(f"Collection [bold]{escape(collection.title)}[/] created.")
        typer.echo(collection.id)


@collection_app.command("list")
def collection_list(as_json: AsJson = False, db: Db = DEFAULT_DB) -> None:
    """List collections, the TLP of their unmarked objects, and how many object versions each
    holds."""
    with opened(db) as node:
        listing(({"id": c.id, "title": c.title, "alias": c.alias,
                  "default_tlp": c.default_tlp.label, "objects": node.objects.count(c.id)}
                 for c in node.directory.all_collections()),
                ("id", "title", "alias", "default_tlp", "objects"), as_json=as_json)


@collection_app.command("grant")
def collection_grant(
    collection: Annotated[str, typer.Argument(help="Collection id, alias or title.")],
    party: Annotated[str, typer.Option(help="Name or identity id of the party.")],
    read: Annotated[bool, typer.Option("--read/--no-read", help="May it read?")] = True,
    write: Annotated[bool, typer.Option("--write/--no-write", help="May it write?")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Set what a party may do with a collection (--no-read --no-write takes it all away)."""
    with opened(db) as node, user_errors():
        target = node.directory.collection(collection)
        who = node.directory.party(party)
        from accord.federation.mirrors import why_not_grant

        refusal = why_not_grant(node, target, who, Grant(read, write))
        if refusal is not None:
            raise fail(str(refusal))
        node.directory.grant(target.id, who, Grant(read, write))
        record(node, "permission.grant", collection=target.id, party=who.id, read=read,
               write=write)
        rights = " and ".join(r for r, on in (("read", read), ("write", write)) if on)
        err.print(f"{escape(who.name)} may now {rights or 'do nothing with'} "
                  f"{escape(target.title)}.")


@collection_app.command("remove-object")
def collection_remove_object(
    collection: Annotated[str, typer.Argument(help="Collection id, alias or title.")],
    object_id: Annotated[str, typer.Argument(help="The STIX id of the object to remove.")],
    reason: Annotated[str, typer.Option(
        help="Why it goes, kept in the audit trail (e.g. 'posted under ATT&CK's id by X').")],
    posted_by: Annotated[str | None, typer.Option(
        help="Only the versions this party (name or identity id) posted.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Remove an object's versions from a collection, whichever party posted them: the
    operator's remedy for an object a party put there under an id that is not its own (an
    ATT&CK id taken first, so that the real object is refused or stays beneath a copy dated
    ahead). A request's ledger and the attribution record are append-only and stay whole."""
    if not reason.strip():
        raise fail("--reason: say why the object is removed; the audit trail keeps it")
    with opened(db) as node, user_errors():
        target = node.directory.collection(collection)
        poster = node.directory.party(posted_by).id if posted_by is not None else None
        removed = _remove_object(node, target.id, object_id, reason.strip(), poster)
        if not removed:
            by = f" posted by {posted_by}" if posted_by is not None else ""
            raise fail(f"{object_id}: no version of it{by} is in {target.title}; nothing was "
                       "removed")
        names = node.directory.names()

        def who(party: str | None) -> str:
            return "this node's operator" if party is None else names.get(party, party)

        posters = sorted({who(poster) for _, poster in removed})
        err.print(f"Removed {len(removed)} version{'s' * (len(removed) != 1)} of "
                  f"{escape(object_id)} from {escape(target.title)}, posted by "
                  f"{escape(', '.join(posters))}. Import or post the real object again.")


def _remove_object(node: Node, collection_id: str, object_id: str, reason: str,
                   poster: str | None) -> list[tuple[str | None, str | None]]:
    """Remove the object's versions (those `poster` posted, or all) and record it, in one
    transaction; each removed version's creator and poster (none: nothing was there)."""
    query = ObjectQuery(versions=frozenset({ALL}), bodies=False, limit=MOST_VERSIONS)
    # Who made what goes: read first (a version added meanwhile goes too, and is counted).
    found = node.objects.page(collection_id, query, object_id).items
    authors = node.objects.authors([v.seq for v in found])
    if poster is not None:
        found = [v for v in found if authors.get(v.seq, (None, None))[1] == poster]
        if not found:
            return []
        query = replace(query, versions=frozenset(sort_key(v.version) for v in found))
    gone = [authors[v.seq] for v in found if v.seq in authors]
    with writing(node.engine) as conn:
        try:
            removed = node.objects.delete_in(conn, collection_id, object_id, query,
                                             operator=True)
        except InLedger:
            raise fail(f"{object_id} is an entry of a request's ledger, which is "
                       "append-only: nobody removes it, the operator included") from None
        except OnRecord:
            raise fail(f"{object_id} is on the attribution record, which is append-only: "
                       "nobody removes it, the operator included") from None
        if removed:
            node.audit.append_in(conn, [Event(
                now_timestamp(), "objects.remove", None, None, collection_id, (object_id,),
                {"reason": reason, "versions": removed,
                 "posters": sorted({p for _, p in gone if p}),
                 "creators": sorted({c for c, _ in gone if c})})])
    return gone if removed else []
