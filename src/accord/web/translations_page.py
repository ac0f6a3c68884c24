"""Translations on the request page: each text of the ledger with its translations side by
side (the original marked authoritative), and a form per object to add one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import RedirectResponse, Response

from accord.cooperation.desk import CooperationError, Desk, NoSuchRequest
from accord.cooperation.ledger import RequestView
from accord.cooperation.objects import TRANSLATABLE
from accord.cooperation.translating import Translations
from accord.cooperation.translations import MAX_TEXT, Original, Rendition, for_reader
from accord.i18n.languages import LANGUAGES
from accord.store.peers import hosted_parties
from accord.web.codes import word
from accord.web.core import Ctx, Forbidden, NotFound, Page


@dataclass(frozen=True, slots=True)
class Translatable:
    """One text-bearing object of the ledger, as the page shows it."""

    original: Original
    label: str  # what it is, in the reader's language
    fields: list[tuple[str, str]]  # (property, its label) of the texts it holds
    renditions: list[Rendition]


def _type_labels(ctx: Ctx) -> dict[str, str]:
    return {
        "x-accord-request": ctx._("Request"),
        "x-accord-acknowledgement": ctx._("Acknowledgement"),
        "x-accord-status-report": ctx._("Status report"),
        "x-accord-response": ctx._("Response"),
        "x-accord-escalation": ctx._("Escalation"),
        "x-accord-de-escalation": ctx._("End of escalation"),
        "x-accord-rating": ctx._("Rating"),
        "x-accord-withdrawal": ctx._("Withdrawal"),
    }


def _field_labels(ctx: Ctx) -> dict[str, str]:
    return {
        "summary": ctx._("Summary"), "description": ctx._("Description"),
        "impact": ctx._("Impact"), "note": ctx._("Note"), "text": ctx._("Text"),
        "reason": ctx._("Reason"), "comment": ctx._("Comment"),
    }


def translation_panel(ctx: Ctx, view: RequestView) -> dict[str, Any]:
    """What the request page's translations section needs."""
    originals, shown = Translations(Desk(ctx.node)).shown(ctx.actor, view)
    types, fields = _type_labels(ctx), _field_labels(ctx)
    items = [Translatable(o, types.get(o.type, o.type),
                          [(name, fields.get(name, name)) for name in TRANSLATABLE[o.type]
                           if name in o.texts],
                          shown.get(o.id, []))
             for o in originals.values()]
    return {
        "translatable": items,
        # Beside each text of the request and its answer: its translation into the reader's
        # language, where there is one (the section below lists them all).
        "for_reader": for_reader(originals, shown, ctx.language),
        "may_translate": ctx.viewer.may_act
        and ctx.viewer.party_id in view.request.participants,
        "translation_languages": [(tag, lang.own_name) for tag, lang in LANGUAGES.items()],
        "translation_max": MAX_TEXT,
        "translation_done": _translation_done(ctx, view) if ctx.arg("done") == "translate"
        else "",
    }


def _translation_done(ctx: Ctx, view: RequestView) -> str:
    others = set(view.request.participants) - {ctx.viewer.party_id}
    if others <= hosted_parties(ctx.node.engine):  # on this node too: no sync carries it
        return ctx._("Translation added. The other party reads it on this node now.")
    return ctx._("Translation added. The other party's node receives it at the next sync.")


def add_translation(ctx: Ctx) -> Page | Response:
    """POST /ui/requests/{id}/translations: the form of one object's translation."""
    from accord.web.refusals import said
    from accord.web.request_page import request_page  # it includes this panel

    request_id = ctx.params["request_id"]
    if not ctx.viewer.may_act:
        raise Forbidden(ctx._("A {role} token may read requests but not translate them; that "
                              "takes the liaison role.",
                              role=word(ctx.language, "role", ctx.viewer.principal.role)))
    object_ref = ctx.field("object") or request_id
    texts = {name: ctx.field(f"text-{name}") for names in TRANSLATABLE.values()
             for name in names if ctx.field(f"text-{name}")}
    try:
        Translations(Desk(ctx.node)).add(ctx.actor, request_id, object_ref, ctx.field("lang"),
                                         texts)
    except NoSuchRequest:
        raise NotFound(ctx._("No request {id} that {party} may see is on this node.",
                             id=request_id, party=ctx.viewer.principal.party_name)) from None
    except CooperationError as error:
        return request_page(ctx, error=said(ctx, error), failed="translate", status=400)
    return RedirectResponse(f"/ui/requests/{request_id}?done=translate#translations",
                            status_code=303)
