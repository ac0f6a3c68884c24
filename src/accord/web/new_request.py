"""Filing a request: a form that says what the guidelines require while you type, and finds
evidence by value, name or id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, RedirectResponse, Response

from accord.cooperation.desk import CooperationError, Desk, Draft
from accord.cooperation.guidelines import (
    ALWAYS_REQUIRED,
    Guidelines,
    in_force,
    missing_content,
)
from accord.cooperation.model import (
    CATEGORIES,
    CONTENT_FIELDS,
    KINDS,
    URGENCIES,
    Request,
)
from accord.correlation.values import guess, value_text
from accord.i18n import N_
from accord.i18n.zones import instant_in
from accord.store.browse import Browse
from accord.store.correlations import Correlations
from accord.store.guidelines import GuidelinesStore
from accord.web.codes import vocabularies, word
from accord.web.core import Ctx, Forbidden, Page
from accord.web.format import Clockface
from accord.web.request_page import plain

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
        raise BadField("Translation: say which language it is in")
    return {lang: texts} if lang else {}


def _policy(ctx: Ctx, addressee: str) -> Guidelines:
    return in_force(GuidelinesStore(ctx.node.engine).versions(), datetime.now(UTC),
                    ctx.viewer.party_id, addressee)


def _explained(ctx: Ctx, policy: Guidelines, face: Clockface) -> dict[str, Any]:
    return {
        "version": policy.version,
        "required": {kind: [ctx._(FIELD_LABELS[f]) for f in CONTENT_FIELDS
                            if f == ALWAYS_REQUIRED or f in policy.required.get(kind, ())]
                     for kind in KINDS},
        "fields": {kind: [f for f in CONTENT_FIELDS
                          if f == ALWAYS_REQUIRED or f in policy.required.get(kind, ())]
                   for kind in KINDS},
        "deadlines": {u: {"acknowledge": face.duration(d.acknowledge),
                          "respond": face.duration(d.respond)}
                      for u, d in policy.deadlines.items()},
    }


def _others(ctx: Ctx) -> list[Any]:
    return [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]


def _form_page(ctx: Ctx, *, error: str = "", status: int = 200) -> Page:
    others = _others(ctx)
    chosen = ctx.field("to") or ctx.arg("to") or (others[0].id if others else "")
    found = ctx.node.directory.find_party(chosen) if chosen else None
    policy = _policy(ctx, found.id if found else "")
    evidence = ctx.lines("evidence") or tuple(e for e in ctx.arg("evidence").split(",") if e)
    attached = Browse(ctx.node.engine).by_ids(ctx.viewer.party_id, evidence)
    if attached:
        ctx.audit("objects.read", tuple(attached), {"page": "new-request"})
    return Page("new_request.html", {
        "others": others, "chosen": found.id if found else "",
        "kinds": vocabularies(ctx.language)["kind"],
        "categories": vocabularies(ctx.language)["category"], "urgencies": URGENCIES,
        "guidelines": _explained(ctx, policy, ctx.clockface), "error": error,
        "form": ctx.form or {},
        "evidence": evidence, "attached": attached, "may_act": ctx.viewer.may_act,
        "required_languages": policy.languages,
    }, status, ctx._("New request"))


def new_request(ctx: Ctx) -> Page | Response:
    if ctx.request.method == "GET":
        return _form_page(ctx)
    if not ctx.viewer.may_act:
        raise Forbidden(ctx._("A {role} token may not send requests; that takes the liaison "
                              "role.", role=word(ctx.language, "role", ctx.viewer.principal.role)))
    try:
        view = Desk(ctx.node).create(ctx.actor, _draft(ctx))
    except (CooperationError, ValueError) as error:
        return _form_page(ctx, error=plain(str(error)), status=400)
    return RedirectResponse(f"/ui/requests/{view.request.id}?done=created", status_code=303)


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
    missing: list[str] = []
    try:
        draft = _draft(ctx)
    except BadField as error:
        problems.append(str(error))
    else:
        if kind in KINDS:
            probe = Request("x-accord-request--check", datetime.now(UTC), ctx.viewer.party_id,
                            party.id if party else "", kind, "other", "routine",  # type: ignore[arg-type]
                            draft.summary, draft.description, draft.activity_start,
                            draft.activity_end, draft.victims, draft.impact, draft.legal_basis,
                            draft.point_of_contact, draft.evidence)
            missing = [ctx._(FIELD_LABELS[f]) for f in missing_content(probe, policy)]
    explained = _explained(ctx, policy, ctx.clockface)
    # The sentence the form shows, whole, in the reader's words (the script only places it).
    said = ctx._("The guidelines (version {version}) still want: {fields}.",
                 version=explained["version"], fields=", ".join(missing)) if missing else ""
    return JSONResponse({"missing": missing, "problems": problems, "said": said,
                         "guidelines": explained})


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
    chosen = list(results.values())[:20]
    ctx.audit("lookup", tuple(r["id"] for r in chosen), {"value": text, "page": "evidence"})
    return JSONResponse({"results": chosen})
