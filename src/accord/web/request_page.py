"""One request: its timeline against the deadlines, its evidence, and the acts open to me."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from accord.cooperation.arrivals import CLOCK_SKEW_ALLOWANCE
from accord.cooperation.deadlines import next_level
from accord.cooperation.desk import CooperationError, Desk, NoSuchRequest
from accord.cooperation.guidelines import in_force, missing_content
from accord.cooperation.hotline import Hotline
from accord.cooperation.ledger import (
    RequestView,
    is_acknowledgement_overdue_at,
    is_response_overdue_at,
)
from accord.cooperation.model import ESCALATION_REASONS, LATENESS, OUTCOMES
from accord.cooperation.timeline import timeline
from accord.cooperation.views import view_json
from accord.i18n import N_, Refusal
from accord.store.audit_log import AuditLog
from accord.store.browse import Browse
from accord.store.forms import FormKeys, is_form_key, new_form_key
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import hosted_parties
from accord.web.codes import word
from accord.web.core import Ctx, Forbidden, NotFound, Page
from accord.web.escalations import hotline_words, level_words, what_to_do
from accord.web.kept import restored
from accord.web.lengths import too_long
from accord.web.new_request import FIELD_LABELS
from accord.web.refusals import said
from accord.web.translations_page import translation_panel

ACTS = ("acknowledge", "report", "respond", "rate", "escalate", "de-escalate", "withdraw")
# In English here (marked for the catalogue), in the reader's words on the page.
DONE = {
    "acknowledge": N_("Acknowledged. The requester's node learns of it at the next sync."),
    "report": N_("Status report sent."), "respond": N_("Response sent."),
    "rate": N_("Rating sent."),
    "escalate": N_("Escalated."), "de-escalate": N_("Escalation ended."),
    "withdraw": N_("Request withdrawn."),
    "created": N_("Request sent. It reaches the addressee's node at the next sync."),
}
# Where the other party is on this node too, it reads the act now: no sync carries it.
DONE_HERE = {
    "acknowledge": N_("Acknowledged. The requester reads it on this node now."),
    "created": N_("Request sent. The addressee reads it on this node now."),
}
OUTCOME_HELP = {
    "information-provided": N_("you answer with information (attach what you found)"),
    "action-taken": N_("you acted, e.g. took a server down or preserved evidence"),
    "no-information-found": N_("you looked and found nothing"),
    "declined": N_("you will not act; say why (required)"),
    "referred": N_("another body is competent; say which (required)"),
}
# Acts that cannot be taken back, or that call others in: each needs words (the field named)
# and is confirmed in a second step, with or without script.
CONFIRMED = {"escalate": "note", "withdraw": "reason"}

REASON_HELP = {
    "acknowledgement-overdue": N_("the addressee did not acknowledge in time"),
    "response-overdue": N_("the addressee did not answer in time"),
    "disputed": N_("the parties disagree about the request or the response"),
    "manual": N_("another reason: say it in the note"),
}

# Each act's fields, with the labels its form gives them: what an officer typed is said back
# when the act is no longer open to them (a colleague answered first), so that nothing typed
# is lost.
ACT_FIELDS = {
    "acknowledge": (("note", N_("Note to the requester (optional)")),),
    "report": (("text", N_("What has happened so far")),),
    "respond": (("outcome", N_("Outcome")), ("text", N_("Answer")),
                ("reason", N_("Reason (required when declined or referred)")),
                ("evidence", N_("Returned evidence: STIX ids, one per line (optional)"))),
    "rate": (("score", N_("Score")), ("comment", N_("Comment"))),
    "escalate": (("note", N_("Note (required): why you escalate")),),
    "de-escalate": (("reason", N_("Why it ends")),),
    "withdraw": (("reason", N_("Reason (required)")),),
}

EVIDENCE_SHOWN = 100  # the evidence (and the returned evidence) a request's page lists


@dataclass(frozen=True, slots=True)
class Mark:
    """A deadline placed on the timeline, met or missed."""

    label: str
    time: datetime
    met: bool | None  # None: still ahead


def _view(ctx: Ctx, request_id: str) -> RequestView:
    try:
        return Desk(ctx.node).view(ctx.actor, request_id)
    except NoSuchRequest:
        raise NotFound(ctx._("No request {id} that {party} may see is on this node.",
                             id=request_id, party=ctx.viewer.principal.party_name)) from None


def allowed_acts(view: RequestView, me: str, may_act: bool) -> set[str]:
    if not may_act:
        return set()
    request = view.request
    acts: set[str] = set()
    is_open = view.withdrawn_at is None and view.response is None
    if request.addressee == me and is_open:
        acts |= {"report", "respond"}
        if view.acknowledged_at is None:
            acts.add("acknowledge")
    if request.requester == me:
        if view.response is not None:
            acts.add("rate")
        if is_open:
            acts.add("withdraw")
    if is_open and me in (request.requester, request.addressee):
        acts.add("escalate")  # a party it is only shared with reads it, and no more
    if view.withdrawn_at is None and any(e.is_open and e.escalation.party == me
                                         for e in view.escalations):
        acts.add("de-escalate")  # only the party that raised an escalation ends it
    return acts


def _marks(view: RequestView) -> list[Mark]:
    marks = []
    if view.acknowledge_by is not None:
        met = view.acknowledged_on_time
        if met is None and view.is_acknowledgement_overdue:
            met = False
        marks.append(Mark(N_("Deadline to acknowledge"), view.acknowledge_by, met))
    if view.respond_by is not None:
        met = view.answered_on_time
        if met is None and view.is_response_overdue:
            met = False
        marks.append(Mark(N_("Deadline to respond"), view.respond_by, met))
    return marks


def _sides(ctx: Ctx, *party_ids: str) -> list[str]:
    """The parties' time zones, requester's first: where each one's deadlines fall (a party
    whose zone is not known here is left out)."""
    zones = ctx.node.directory.time_zones()
    return [zones[p] for p in party_ids if p in zones]


def request_page(ctx: Ctx, *, error: str = "", failed: str = "", status: int = 200,
                 confirm: str = "") -> Page:
    request_id = ctx.params["request_id"]
    view = _view(ctx, request_id)
    notice = ""
    kept = restored(ctx.request, ctx.node, ctx.viewer.party_id,
                           ctx.viewer.principal.token_id) if ctx.request.method == "GET" else None
    if kept is not None:  # what was typed into one of its forms before the session ended
        ctx.form, failed = FormData(list(kept.fields)), kept.path.rsplit("/", 1)[-1]
        notice = ctx._("What you typed before your session ended is back in its form below. "
                       "Check it and send it.")
    names = ctx.node.directory.names()
    shown = view_json(view, names)
    me = ctx.viewer.party_id
    request = view.request
    # A request that came over TAXII may carry any number of ids: the page lists the first.
    evidence = request.evidence[:EVIDENCE_SHOWN]
    returned = view.response.evidence[:EVIDENCE_SHOWN] if view.response else ()
    readable = Browse(ctx.node.engine).by_ids(me, [*evidence, *returned],
                                               most=2 * EVIDENCE_SHOWN)
    ctx.audit("request.read", (request.id, *readable), {"page": "request"})
    policy = in_force(GuidelinesStore(ctx.node.engine).versions(), request.created,
                      request.requester, request.addressee)
    deadlines = policy.deadlines.get(request.urgency)
    # A request may reach its addressee without what this node requires of its kind (from a
    # peer's node, over TAXII): stored all the same, so that nothing sent is lost; its
    # addressee is told, and may decline it saying so.
    lacking = [ctx._(FIELD_LABELS[f]) for f in missing_content(request, policy)] \
        if request.addressee == me else []
    hidden: list[str] = []
    if request.requester == me:
        hidden = Desk(ctx.node).evidence_hidden_from_addressee(view)
    # The timeline and the deadlines, in one order of time.
    items: list[tuple[datetime, int, Any]] = [(e.time, 0, ("event", e)) for e in view.timeline]
    items += [(m.time, 1, ("mark", Mark(ctx._(m.label), m.time, m.met))) for m in _marks(view)]
    items.sort(key=lambda item: (item[0], item[1]))
    escalated = _escalations(ctx, view, policy.ladder)
    done = ""
    if ctx.arg("done") in DONE:
        other = request.addressee if request.requester == me else request.requester
        here = ctx.arg("done") in DONE_HERE and other in hosted_parties(ctx.node.engine)
        done = ctx._((DONE_HERE if here else DONE)[ctx.arg("done")])
    if ctx.arg("done") == "escalate" and view.escalations:
        # Say what happened, not what an escalation might do: the level and who heard of it.
        newest = max(view.escalations, key=lambda e: (e.escalation.time, e.escalation.id))
        done = ctx._("Escalated to {where}.", where=escalated[newest.escalation.id]["level"]) \
            + " " + escalated[newest.escalation.id]["hotline"]
    contacts = Hotline(ctx.node.engine).contacts()
    acts = allowed_acts(view, me, ctx.viewer.may_act)
    # Who acted, where this node knows: the person whose token added the entry here.
    added = AuditLog(ctx.node.engine).people_who_added([e.entry_id for e in view.timeline])
    people = {e.entry_id: added[e.entry_id][1] for e in view.timeline
              if e.entry_id in added and added[e.entry_id][0] == e.party}
    return Page("request.html", {
        "r": shown, "view": view, "timeline": [item[2] for item in items],
        "names": names, "people": people, "evidence": evidence, "returned": returned,
        "evidence_more": len(request.evidence) - len(evidence),
        "returned_more": len(view.response.evidence) - len(returned) if view.response else 0,
        "readable": readable, "hidden": hidden, "lacking": lacking,
        # After the withdrawal: as the timeline words them (less the request's own event).
        "late": [e for e in timeline(request, view.after_withdrawal, view.stamped)
                 if e.type != "created"] if view.after_withdrawal else [],
        "acts": acts, "unsent": _unsent(ctx, failed, acts),
        "mine": request.requester == me, "theirs": request.addressee == me,
        "policy": policy, "skew": ctx.clockface.duration(CLOCK_SKEW_ALLOWANCE),
        "allowed": {"acknowledge": ctx.clockface.duration(deadlines.acknowledge),
                    "respond": ctx.clockface.duration(deadlines.respond)} if deadlines else None,
        "sides": _sides(ctx, request.requester, request.addressee),
        "outcomes": [(o, ctx._(OUTCOME_HELP[o])) for o in OUTCOMES],
        # Lateness only once its deadline has passed unmet (the desk refuses it before).
        "reasons": [(r, ctx._(REASON_HELP[r])) for r in ESCALATION_REASONS
                    if r not in LATENESS
                    or request.requester == me and (
                        is_acknowledgement_overdue_at(view, view.as_of)
                        if r == "acknowledgement-overdue"
                        else is_response_overdue_at(view, view.as_of))],
        "done": done, "error": error, "failed": failed,
        "escalated": escalated,
        "what_to_do": what_to_do(ctx, view, me, policy.ladder, names),
        "next_level": level_words(ctx, policy.ladder, _next_level(view, policy.ladder)),
        "hotlines_set": [names.get(p, p) for p in (request.requester, request.addressee)
                         if p in contacts],
        "form": ctx.form or {}, "confirm": confirm, "notice": notice,
        "again": ctx._("This form was sent before: this is the request it made. Nothing was "
                       "sent again.") if ctx.arg("done") == "already-sent" else
        ctx._("This form was sent before: what it did is in the timeline. Nothing was done "
              "again.") if ctx.arg("done") == "act-already-sent" else "",
        # One key for the acts' forms of this page (kept through a confirmation or an error):
        # a form sent twice (a double click, Back and Send) acts once.
        "form_key": key if is_form_key(key := ctx.field("form_key")) else new_form_key(),
        **translation_panel(ctx, view),
    }, status, request.summary)


def _unsent(ctx: Ctx, failed: str, acts: set[str]) -> list[tuple[str, str]]:
    """What was typed into the form of an act no longer open (each field's label and words),
    to copy from: the form itself is gone from the page."""
    if failed not in ACT_FIELDS or failed in acts or ctx.form is None:
        return []
    said = []
    for name, label in ACT_FIELDS[failed]:
        value = ctx.field(name)
        if value and name == "outcome":
            value = word(ctx.language, "outcome", value)
        if value:
            said.append((ctx._(label), value))
    return said


def _escalations(ctx: Ctx, view: RequestView, ladder: tuple[str, ...]
                 ) -> dict[str, dict[str, str]]:
    """Each escalation's level and whether the hotlines heard of it, in words, by its id."""
    if not view.escalations:
        return {}
    notes = Hotline(ctx.node.engine).of_escalations(
        (e.escalation, view.request) for e in view.escalations)
    hosted = hosted_parties(ctx.node.engine)
    return {e.escalation.id: {
        "level": level_words(ctx, ladder, e.escalation.level),
        "hotline": hotline_words(ctx, e.escalation, notes.get(e.escalation.id, []), hosted)}
        for e in view.escalations}


def _next_level(view: RequestView, ladder: tuple[str, ...]) -> int:
    # As the desk decides it (Desk._level): one above the escalations so far, capped by the
    # ladder's top.
    return min(next_level(view), max(1, len(ladder)))


def act(ctx: Ctx) -> Page | Response:
    request_id, name = ctx.params["request_id"], ctx.params["act"]
    if name not in ACTS:
        raise NotFound(ctx._("There is no act {name}: one of {acts}.", name=repr(name),
                             acts=", ".join(ACTS)))
    if not ctx.viewer.may_act:
        raise Forbidden(ctx._("A {role} token may read requests but not send or answer them; "
                              "that takes the liaison role.",
                              role=word(ctx.language, "role", ctx.viewer.principal.role)))
    if name in CONFIRMED:
        if not ctx.field(CONFIRMED[name]):
            wanted = (ctx._("Say in the note why you escalate: the hotline and the other "
                            "party read it.") if name == "escalate" else
                      ctx._("Say why you withdraw the request: the addressee reads it, and a "
                            "withdrawal cannot be undone."))
            return request_page(ctx, failed=name, status=400, error=wanted)
        if ctx.field("confirmed") != "yes":
            return request_page(ctx, failed=name, confirm=name)
    if overlong := too_long(ctx):  # said by the field's label, in the reader's language
        return request_page(ctx, error=overlong, failed=name, status=400)
    desk, actor = Desk(ctx.node), ctx.actor
    keys, key = FormKeys(ctx.node.engine), _sent_once(ctx, request_id, name)
    if key is not None and keys.claim(ctx.viewer.party_id, key) is not None:
        return RedirectResponse(f"/ui/requests/{request_id}?done=act-already-sent#timeline",
                                status_code=303)
    work: dict[str, Callable[[], object]] = {
        "acknowledge": lambda: desk.acknowledge(actor, request_id, ctx.field("note")),
        "report": lambda: desk.report(actor, request_id, ctx.field("text")),
        "respond": lambda: desk.respond(actor, request_id, ctx.field("outcome"),
                                        ctx.field("text"), ctx.field("reason"),
                                        ctx.lines("evidence")),
        "rate": lambda: desk.rate(actor, request_id, _score(ctx.field("score")),
                                  ctx.field("comment")),
        "escalate": lambda: desk.escalate(actor, request_id, ctx.field("reason") or "manual",
                                          ctx.field("note")),
        "de-escalate": lambda: desk.de_escalate(actor, request_id, ctx.field("reason")),
        "withdraw": lambda: desk.withdraw(actor, request_id, ctx.field("reason")),
    }
    try:
        work[name]()
    except NoSuchRequest:
        if key is not None:
            keys.release(ctx.viewer.party_id, key)
        raise NotFound(ctx._("No request {id} that {party} may see is on this node.",
                             id=request_id, party=ctx.viewer.principal.party_name)) from None
    except (CooperationError, ValueError) as error:
        if key is not None:  # shown again to be corrected: the same form may be sent again
            keys.release(ctx.viewer.party_id, key)
        message = said(ctx, error)
        status = 409 if isinstance(error, Refusal) and error.conflict else 400
        return request_page(ctx, error=message, failed=name, status=status)
    return RedirectResponse(f"/ui/requests/{request_id}?done={name}#timeline", status_code=303)


def _sent_once(ctx: Ctx, request_id: str, name: str) -> str | None:
    """The key this send of an act's form claims (store.forms.FormKeys): the page's key,
    the act and what the form says. The same form sent again claims the same, and acts no
    more; another act, or other words, from the same page (Back, then another form) is
    another send. None for a form without a key (sent by a script)."""
    key = ctx.field("form_key")
    if not is_form_key(key):
        return None
    written = sorted((k, str(v)) for k, v in (ctx.form.multi_items() if ctx.form else [])
                     if k not in ("csrf", "form_key", "confirmed"))
    return f"{request_id}:{name}:{key}:{hashlib.sha256(repr(written).encode()).hexdigest()}"


def _score(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CooperationError(N_("choose a score from 1 (useless) to 5 (complete and "
                                  "timely)")) from None
