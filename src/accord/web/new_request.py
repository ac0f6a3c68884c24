"""Filing a request: a form that says what the guidelines require while you type, and finds
evidence by value, name or id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from accord.cooperation.desk import CooperationError, Desk, Draft
from accord.cooperation.duplicates import DUPLICATE_WINDOW, likely_duplicate
from accord.cooperation.evidence import hidden_from
from accord.cooperation.guidelines import (
    ALWAYS_REQUIRED,
    Guidelines,
    RequestIncomplete,
    in_force,
    missing_content,
    missing_required,
    published_required,
)
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import (
    CATEGORIES,
    CONTENT_FIELDS,
    KINDS,
    MOST_EVIDENCE,
    URGENCIES,
    Kind,
    Request,
)
from accord.correlation.values import guess, value_text
from accord.durations import DurationError, parse_duration
from accord.i18n import N_
from accord.i18n.zones import AmbiguousLocalTime, NoSuchLocalTime, instant_in
from accord.store.browse import Browse
from accord.store.correlations import Correlations
from accord.store.directory import Party
from accord.store.forms import SENDING, FormKeys, PeerGuidelines, is_form_key, new_form_key
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import PeerStore
from accord.store.summary_reads import SummaryReads
from accord.web.codes import vocabularies, word, word_text
from accord.web.core import Ctx, Forbidden, Page
from accord.web.format import Clockface
from accord.web.kept import restored
from accord.web.lengths import too_long
from accord.web.refusals import said
from accord.words import without_directions

FIELD_LABELS = {
    "summary": N_("Summary"), "description": N_("Description"),
    "activity": N_("Activity window (start)"), "victims": N_("Affected victims"),
    "impact": N_("Impact"), "legal_basis": N_("Legal basis"),
    "point_of_contact": N_("Point of contact"), "evidence": N_("Evidence"),
}


class BadField(ValueError):
    pass


def _when(ctx: Ctx, name: str, label: str) -> datetime | None:
    text = ctx.field(name)
    if not text:
        return None
    try:
        return instant_in(text, ctx.zone)  # the form says which zone its times are in
    except NoSuchLocalTime:
        raise BadField(ctx._("{label}: {text} does not exist in {zone}: the clocks skip that "
                             "hour when they go forward", label=label, text=repr(text),
                             zone=ctx.zone)) from None
    except AmbiguousLocalTime as twice:
        raise BadField(ctx._("{label}: {text} happens twice in {zone}, at {first} and again "
                             "at {second}, when the clocks go back: choose a time outside that "
                             "hour, or give it in UTC (Preferences)", label=label,
                             text=repr(text), zone=ctx.zone, first=twice.offsets[0],
                             second=twice.offsets[1])) from None
    except ValueError:
        raise BadField(ctx._("{label}: {text} is not a date and time such as "
                             "2015-06-04T10:00", label=label, text=repr(text))) from None


def _draft(ctx: Ctx) -> Draft:
    return Draft(
        ctx.field("to"), ctx.field("kind"), ctx.field("category"), ctx.field("urgency"),
        ctx.field("summary"), ctx.field("description"),
        _when(ctx, "activity_start", ctx._("Activity start")),
        _when(ctx, "activity_end", ctx._("Activity end")),
        ctx.lines("victims"), ctx.field("impact"), ctx.field("legal_basis"),
        ctx.field("point_of_contact"), ctx.lines("evidence"),
        (), ctx.field("exercise") == "yes", lang=ctx.field("lang") or ctx.language,
        translations=_translation(ctx))


def _translation(ctx: Ctx) -> dict[str, dict[str, str]]:
    """The translation the form sends with the request, if any (language -> property)."""
    texts = {name: ctx.field(f"tr_{name}") for name in ("summary", "description", "impact")
             if ctx.field(f"tr_{name}")}
    lang = ctx.field("tr_lang")
    if texts and not lang:
        raise BadField(ctx._("Translation: say which language it is in"))
    return {lang: texts} if lang else {}


def _policy(ctx: Ctx, addressee: str) -> Guidelines:
    return in_force(GuidelinesStore(ctx.node.engine).versions(), datetime.now(UTC),
                    ctx.viewer.party_id, addressee)


def _their_required(ctx: Ctx, party: Party | None) -> dict[Kind, tuple[str, ...]]:
    """What the node of `party` requires of each kind of request, where it is a peer's that
    published its guidelines: the form marks it as it marks this node's."""
    published = PeerGuidelines(ctx.node.engine).get(party.id) if party else None
    return published_required(published[0]) if published else {}


def _explained(ctx: Ctx, policy: Guidelines, face: Clockface,
               theirs: Mapping[Kind, tuple[str, ...]], party: Party | None) -> dict[str, Any]:
    fields = {kind: [f for f in CONTENT_FIELDS if f == ALWAYS_REQUIRED
                     or f in policy.required.get(kind, ()) or f in theirs.get(kind, ())]
              for kind in KINDS}
    # Whose requirements the table lists: this node's, and the addressee's node's where it
    # published some (a request to it must carry both).
    source = ctx._("This node's guidelines (version {version}) and what the node of {party} "
                   "requires of a request to it.", version=policy.version,
                   party=party.name) if party is not None and any(theirs.values()) else \
        ctx._("This node's guidelines (version {version}) for requests to the chosen party.",
              version=policy.version)
    return {
        "version": policy.version, "source": source,
        "required": {kind: [ctx._(FIELD_LABELS[f]) for f in names]
                     for kind, names in fields.items()},
        "fields": fields,
        "deadlines": {u: {"acknowledge": face.duration(d.acknowledge),
                          "respond": face.duration(d.respond)}
                      for u, d in policy.deadlines.items()},
    }


def _others(ctx: Ctx) -> list[Any]:
    return [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]


def _their_deadlines(ctx: Ctx, party: Party | None) -> dict[str, Any]:
    """The deadlines a request to `party` will run under, in words: they are fixed by the
    guidelines of the addressee's node when it stores the request. For a party of this node,
    this node's; for a peer's, what that node published at the last sync; else unknown."""
    if party is None:
        return {"labels": {}, "note": ""}
    if party.id not in PeerStore(ctx.node.engine).party_keys():
        policy = _policy(ctx, party.id)
        deadlines: dict[str, tuple[timedelta, timedelta]] | None = {
            u: (d.acknowledge, d.respond) for u, d in policy.deadlines.items()}
        note = ctx._("The deadlines are set by this node's guidelines (version {version}), "
                     "which apply to requests to {party}.", version=policy.version,
                     party=party.name)
    else:
        published = PeerGuidelines(ctx.node.engine).get(party.id)
        deadlines = _published_deadlines(published[0]) if published else None
        if deadlines is not None and published is not None:
            note = ctx._("The deadlines are set by the guidelines of {party}'s node (version "
                         "{version}, read from it {when}).", party=party.name,
                         version=published[0].get("version", "?"),
                         when=ctx.clockface.text(published[1]))
        else:
            note = ctx._("The deadlines are set by the guidelines of {party}'s node; they are "
                         "unknown here (its node has not told this one yet).", party=party.name)
    labels = {u: (ctx._("acknowledge within {acknowledge}, respond within {respond}",
                        acknowledge=ctx.clockface.duration(deadlines[u][0]),
                        respond=ctx.clockface.duration(deadlines[u][1]))
                  if deadlines and u in deadlines else ctx._("deadlines unknown"))
              for u in URGENCIES}
    return {"labels": labels, "note": note}


def _published_deadlines(body: dict[str, Any]) -> dict[str, tuple[timedelta, timedelta]] | None:
    """The deadlines in a peer's GET /api/v1/guidelines answer; None if it does not say them
    all plainly."""
    try:
        return {u: (parse_duration(str(body["urgency"][u]["acknowledge"])),
                    parse_duration(str(body["urgency"][u]["respond"]))) for u in URGENCIES}
    except (KeyError, TypeError, DurationError):
        return None


def _form_page(ctx: Ctx, *, error: str = "", status: int = 200, notice: str = "",
               duplicate: RequestView | None = None) -> Page:
    others = _others(ctx)
    chosen = ctx.field("to") or ctx.arg("to") or (others[0].id if others else "")
    found = ctx.node.directory.find_party(chosen) if chosen else None
    policy = _policy(ctx, found.id if found else "")
    evidence = ctx.lines("evidence") or tuple(e for e in ctx.arg("evidence").split(",") if e)
    attached = Browse(ctx.node.engine).by_ids(ctx.viewer.party_id, evidence,
                                              most=MOST_EVIDENCE)
    if attached:
        ctx.audit("objects.read", tuple(attached), {"page": "new-request"})
    key = ctx.field("form_key")
    return Page("new_request.html", {
        "others": others, "chosen": found.id if found else "",
        "kinds": vocabularies(ctx.language)["kind"],
        "categories": vocabularies(ctx.language)["category"], "urgencies": URGENCIES,
        "guidelines": _explained(ctx, policy, ctx.clockface, _their_required(ctx, found),
                                 found),
        "error": error,
        "form": ctx.form or {},
        "evidence": evidence, "attached": attached, "may_act": ctx.viewer.may_act,
        "form_key": key if is_form_key(key) else new_form_key(),
        "their": _their_deadlines(ctx, found), "notice": notice, "duplicate": duplicate,
        "duplicate_to": found.name if found else "",
        "ended_text": ctx._("Your session has ended. Send keeps what you typed and asks you to "
                            "sign in again."),
        "required_languages": policy.languages,
    }, status, ctx._("New request"))


def new_request(ctx: Ctx) -> Page | Response:
    if ctx.request.method == "GET":
        kept = restored(ctx.request, ctx.node, ctx.viewer.party_id,
                           ctx.viewer.principal.token_id)
        if kept is None:
            return _form_page(ctx)
        ctx.form = FormData(list(kept.fields))
        return _form_page(ctx, notice=ctx._(
            "What you typed before your session ended is back. Check it and send it."))
    if not ctx.viewer.may_act:
        raise Forbidden(ctx._("A {role} token may not send requests; that takes the liaison "
                              "role.", role=word(ctx.language, "role", ctx.viewer.principal.role)))
    if overlong := too_long(ctx):  # said by the field's label, before anything is claimed
        return _form_page(ctx, error=overlong, status=400)
    me, key = ctx.viewer.party_id, ctx.field("form_key")
    keys = FormKeys(ctx.node.engine)
    if is_form_key(key):
        earlier = keys.claim(me, key)
        if earlier == SENDING:
            return _form_page(ctx, status=409, error=ctx._(
                "This form is being sent already (it was sent twice). Wait a moment, then look "
                "for the request in the list of requests before sending it again."))
        if earlier is not None:
            return RedirectResponse(f"/ui/requests/{earlier}?done=already-sent",
                                    status_code=303)
    sent = False
    try:
        draft = _draft(ctx)
        if ctx.field("duplicate") != "send-anyway":
            repeated = _repeated(ctx, draft)
            if repeated is not None:
                return _form_page(ctx, duplicate=repeated, status=409)
        view = Desk(ctx.node).create(ctx.actor, draft)
        sent = True
    except RequestIncomplete as error:
        kind = word_text(ctx.language, error.kind, "kind")
        missing = ", ".join(ctx._(FIELD_LABELS[m]) for m in error.missing)
        if error.party:
            return _form_page(ctx, error=ctx._(
                "A request of the kind “{kind}” to {party} must carry: {missing} (the "
                "guidelines of its node, version {version})", kind=kind, party=error.party,
                missing=missing, version=error.version), status=400)
        return _form_page(ctx, error=ctx._(
            "A request of the kind “{kind}” must carry: {missing} (guidelines version "
            "{version})", kind=kind, missing=missing, version=error.version), status=400)
    except (CooperationError, ValueError) as error:
        return _form_page(ctx, error=said(ctx, error), status=400)
    finally:
        if is_form_key(key) and not sent:  # not sent: the same form may be sent again
            keys.release(me, key)
    if is_form_key(key):
        keys.settle(me, key, view.request.id)
    return RedirectResponse(f"/ui/requests/{view.request.id}?done=created", status_code=303)


def _repeated(ctx: Ctx, draft: Draft) -> RequestView | None:
    """A request this party sent the same addressee lately with the same words and evidence."""
    party = ctx.node.directory.find_party(draft.addressee) if draft.addressee else None
    if party is None:
        return None
    desk = Desk(ctx.node)
    now = desk.clock()
    # Only what was created within the window is read (an hour's margin: likely_duplicate
    # draws the line), each ledger as the party may see it.
    ids = SummaryReads(ctx.node.engine).sent_since(
        ctx.viewer.party_id, party.id, now - DUPLICATE_WINDOW - timedelta(hours=1))
    views = [derive(ledger_, now) for ledger_ in desk.ledgers(ctx.actor, ids)] if ids else []
    found = likely_duplicate([v.request for v in views], ctx.viewer.party_id, party.id,
                             draft.summary, draft.description, draft.evidence, now)
    return next((v for v in views if found is not None and v.request.id == found.id), None)


def check(ctx: Ctx) -> Response:
    """What the guidelines still want of the draft: the form asks this as you type."""
    others = {p.id: p for p in _others(ctx)}
    to = ctx.field("to")
    party = ctx.node.directory.find_party(to) if to else None
    problems: list[str] = []
    if party is None or party.id not in others:
        problems.append(ctx._("Choose the party the request is addressed to."))
    kind = ctx.field("kind")
    if kind not in KINDS:
        problems.append(ctx._("Choose what you ask for (kind)."))
    if ctx.field("category") not in CATEGORIES:
        problems.append(ctx._("Choose the category of activity."))
    if ctx.field("urgency") not in URGENCIES:
        problems.append(ctx._("Choose the urgency."))
    policy = _policy(ctx, party.id if party else "")
    theirs = _their_required(ctx, party)
    missing: list[str] = []
    warnings: list[str] = []
    try:
        draft = _draft(ctx)
    except BadField as error:
        problems.append(str(error))
    else:
        # Said before it is sent, not only on the request's page after: evidence of the
        # officer's own party the addressee may not read (of no one else's, which would tell
        # what collections the addressee reads).
        hidden = hidden_from(ctx.node, party.id, draft.evidence[:MOST_EVIDENCE],
                             ctx.viewer.party_id) if party is not None and draft.evidence \
            else []
        if hidden and party is not None:
            warnings.append(ctx._("{party} may not read {count} of the evidence objects you "
                                  "attached ({ids}): share them with it (grant it the "
                                  "collection, or mark them so it may read them) or it cannot "
                                  "act on them.", party=party.name, count=len(hidden),
                                  ids=", ".join(hidden)))
        if kind in KINDS:
            probe = Request("x-accord-request--check", datetime.now(UTC), ctx.viewer.party_id,
                            party.id if party else "", kind, "other", "routine",  # type: ignore[arg-type]
                            draft.summary, draft.description, draft.activity_start,
                            draft.activity_end, draft.victims, draft.impact, draft.legal_basis,
                            draft.point_of_contact, draft.evidence)
            lacking = {*missing_content(probe, policy), *missing_required(probe, theirs)}
            missing = [ctx._(FIELD_LABELS[f]) for f in CONTENT_FIELDS if f in lacking]
    explained = _explained(ctx, policy, ctx.clockface, theirs, party)
    # The sentence the form shows, whole, in the reader's words (the script only places it).
    said = ctx._("The guidelines (version {version}) still want: {fields}.",
                 version=explained["version"], fields=", ".join(missing)) if missing else ""
    return JSONResponse({"missing": missing, "problems": problems, "said": said,
                         "warnings": warnings,
                         "guidelines": explained, "their": _their_deadlines(ctx, party)})


def evidence_search(ctx: Ctx) -> Response:
    """Objects the viewer may read that match a value, a name or an id, to attach."""
    text = ctx.arg("q").strip()
    if len(text) < 2:
        return JSONResponse({"results": []})
    me = ctx.viewer.party_id
    results: dict[str, dict[str, str]] = {}
    values = guess(text)
    if values:
        for m in Correlations(ctx.node.engine).lookup(me, values, limit=20):
            results[m.id] = {"id": m.id, "type": m.type, "name": m.name or value_text(m.matched),
                             "marking": m.marking}
    for f in Browse(ctx.node.engine).search(me, text, limit=20):
        results.setdefault(f.id, {"id": f.id, "type": f.type, "name": f.name,
                                  "marking": f.marking})
    for found in results.values():  # the type as the page says it, the code kept for scripts
        found["type_words"] = word(ctx.language, "stix_type", found["type"])
        # Shown on the form as text: written out as every page writes it (web.core._shown).
        if found["name"]:
            found["name"] = without_directions(found["name"])
    chosen = list(results.values())[:20]
    ctx.audit("lookup", tuple(r["id"] for r in chosen), {"value": text, "page": "evidence"})
    return JSONResponse({"results": chosen})
