"""Administration of the node, for admins of its own party: parties, people and tokens,
collections and permissions, guidelines, peers, and the audit trail.

Every change is audited as the admin who made it (party and token), not as the command line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import RedirectResponse, Response

from accord.attribution.arrivals import flags_for
from accord.cooperation.guidelines import in_force, to_toml
from accord.durations import DurationError, lifetime_end
from accord.federation.mirrors import mirrors, why_not_grant
from accord.i18n import N_
from accord.stix.timestamps import format_timestamp, now_timestamp
from accord.store.audit_log import AuditQuery
from accord.store.audit_search import record_number
from accord.store.directory import DirectoryError
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import PeerStore
from accord.store.quotas import Quotas
from accord.trust.access import Grant
from accord.trust.audit import Event
from accord.trust.markings import Tlp, parse_tlp
from accord.trust.tokens import ROLES
from accord.web.core import Ctx, Page
from accord.web.refusals import said

DONE = {
    "party": N_("Party added."),
    "collection": N_("Collection created; grant other parties access below."),
    "revoked": N_("Token revoked; its sessions ended with it."),
    "grant": N_("Permission set."),
    "guidelines": N_("New guidelines in force from now."),
}


def _record(ctx: Ctx, action: str, **detail: Any) -> None:
    ctx.node.audit.append([Event(now_timestamp(), action, ctx.viewer.party_id,
                                 ctx.viewer.principal.token_id, None, (),
                                 {"via": "ui", **detail})])


def admin_page(ctx: Ctx, *, error: str = "", new_token: str = "", status: int = 200) -> Page:
    directory = ctx.node.directory
    parties = directory.parties()
    collections = directory.all_collections()
    grants: dict[str, list[tuple[str, Grant]]] = {c.id: [] for c in collections}
    for party in parties:
        for collection, grant in directory.collections_for(party.id):
            grants.setdefault(collection.id, []).append((party.name, grant))
    before_arg = ctx.arg("before")
    before = record_number(before_arg)
    if before_arg and before is None:
        error = error or ctx._("Older than: %(value)s is not a record number (#).",
                               value=before_arg[:40])
    audit_page = ctx.node.audit.search(AuditQuery(
        ctx.arg("party") or None, ctx.arg("person") or None, ctx.arg("object") or None,
        ctx.arg("action") or None, None, None, 100, before,
        collection_id=ctx.arg("collection") or None))
    versions = GuidelinesStore(ctx.node.engine).versions()
    current = in_force(versions, datetime.now(UTC), "", "")
    return Page("admin.html", {
        "parties": parties, "people": directory.people(), "tokens": directory.tokens(),
        "storage": Quotas(ctx.node.engine).of(p.id for p in parties),
        "roles": ROLES, "collections": collections, "levels": [t.label for t in Tlp],
        "grants": grants,
        "mirrors": set(mirrors(ctx.node)), "guidelines": to_toml(current),
        "guideline_versions": versions, "peers": PeerStore(ctx.node.engine).all(),
        "names": {p.id: p.name for p in parties}, "records": audit_page.records,
        "audit_filter": {k: ctx.arg(k) for k in ("party", "person", "object", "action",
                                                  "collection")},
        "audit_before": before, "audit_next": audit_page.next_before,
        "audit_stopped": audit_page.stopped, "audit_walked": f"{audit_page.looked:,}",
        "error": error, "new_token": new_token,
        "done": ctx._(DONE[ctx.arg("done")]) if ctx.arg("done") in DONE else "",
        "form": ctx.form or {}, "flags": flags_for(ctx.node, ctx.actor, limit=50),
    }, status, ctx._("Administration"))


def admin_change(ctx: Ctx) -> Page | Response:
    what = ctx.params["what"]
    directory = ctx.node.directory
    try:
        if what == "party":
            party = directory.add_party(ctx.field("name"))
            _record(ctx, "party.add", party=party.id, name=party.name)
        elif what == "collection":
            collection = directory.create_collection(
                ctx.field("title"), description=ctx.field("description"),
                alias=ctx.field("alias") or None, read=[ctx.node.party],
                write=[ctx.node.party], default_tlp=parse_tlp(ctx.field("default_tlp")
                                                              or "amber"))
            _record(ctx, "collection.create", collection=collection.id, title=collection.title,
                    read=[], write=[], default_tlp=collection.default_tlp.label)
        elif what == "token":
            return _token(ctx)
        elif what == "revoke":
            token_id = ctx.field("token_id")
            directory.revoke_token(token_id)
            _record(ctx, "token.revoke", token=token_id)
        elif what == "grant":
            collection = directory.collection(ctx.field("collection"))
            party = directory.party(ctx.field("party"))
            read, write = ctx.field("read") == "yes", ctx.field("write") == "yes"
            refusal = why_not_grant(ctx.node, collection, party, Grant(read, write))
            if refusal is not None:
                raise refusal
            directory.grant(collection.id, party, Grant(read, write))
            _record(ctx, "permission.grant", collection=collection.id, party=party.id,
                    read=read, write=write)
        elif what == "guidelines":
            text = ctx.field("toml")
            added = GuidelinesStore(ctx.node.engine).add(text, now_timestamp())
            _record(ctx, "guidelines.set", version=added.version, pair=[], text=text)
        else:
            return admin_page(ctx, error=ctx._("Nothing to change called {what}.", what=repr(what)),
                              status=404)
    except ValueError as error:  # DirectoryError, GuidelinesError: the user's to fix
        return admin_page(ctx, error=said(ctx, error), status=400)
    return RedirectResponse(f"/ui/admin?done={what}", status_code=303)


def _token(ctx: Ctx) -> Page:
    directory = ctx.node.directory
    owner = directory.party(ctx.field("party"))
    role = ctx.field("role") or "analyst"
    until = None
    if ctx.field("expires"):
        try:
            until = format_timestamp(lifetime_end(ctx.field("expires"), datetime.now(UTC)))
        except DurationError as error:  # said in the reader's words
            said = {"not-positive": N_("Expires: {value}: a token must live longer than that"),
                    "too-long": N_("Expires: {value} ends beyond the calendar's last day")}
            raise DirectoryError(said.get(error.kind, N_(
                "Expires: {value} is not a duration: write e.g. 90d, 12h, P30D or PT12H")),
                value=repr(ctx.field("expires"))) from None
    name = ctx.field("holder")
    token = directory.create_token(owner, role=role, name=name, expires=until,
                                   machine=ctx.field("machine") == "yes")
    holder = directory.person(owner, name or "automation")
    _record(ctx, "token.create", party=owner.id, person=holder.id, role=role,
            name=holder.name, expires=until)
    # Shown once, on this page, never in a URL (a redirect would put it in history).
    return admin_page(ctx, new_token=token, status=201)
