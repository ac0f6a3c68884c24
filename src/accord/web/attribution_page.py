"""The disputed attribution of a subject: every claim on it, who asserts it, who supports,
doubts or denies it, on what basis and evidence, over time — and why it stands as it does.
With the forms to make a claim on the subject and to take a position on a claim."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from accord.attribution.model import BASES, POSITIONS, SUBJECT_TYPES
from accord.attribution.reading import AttributionError, NoSuchClaim
from accord.attribution.record import AttributionRecord, ClaimDraft
from accord.attribution.views import subject_json
from accord.i18n import N_
from accord.i18n.catalogue import catalogue
from accord.stix.identifiers import identifier_type
from accord.web.codes import word
from accord.web.core import Ctx, Forbidden, NotFound, Page
from accord.web.lengths import ATTRIBUTION_FIELDS, too_long
from accord.web.refusals import said

CLAIMS_SHOWN = 100  # the claims a subject's page shows


def attribution_page(ctx: Ctx, *, error: str = "", failed: str = "",
                     status: int = 200) -> Page:
    subject = _subject(ctx)
    record = AttributionRecord(ctx.node)
    actor = ctx.actor
    standing = record.subject(actor, subject)
    names = record.names_in(actor, standing.claims, [subject])
    view = subject_json(standing, names, catalogue(ctx.language))
    # The claims that decide the standing first (contested), then the oldest: a party that
    # made thousands of claims on a subject can neither bury its denials nor make the page
    # take seconds; the API lists every one, a page at a time.
    claims = sorted(view["claims"], key=lambda c: c["status"] != "contested")
    view["claims"], hidden = claims[:CLAIMS_SHOWN], len(claims) - CLAIMS_SHOWN
    ctx.audit("attribution.read", (subject, *(c["id"] for c in view["claims"])),
              {"page": "attribution"})
    return Page("attribution.html", {
        "view": view, "names": names, "bases": BASES, "positions": POSITIONS,
        # An identity object's name is what its poster chose: one that is no party of this
        # node is marked so, so that it cannot pass for a party (web.objects_page does alike).
        "party_ids": frozenset(ctx.node.directory.names()),
        "error": error, "failed": failed, "form": ctx.form or {},
        "claims_hidden": max(hidden, 0),
    }, status=status, title=ctx._("Attribution: {subject}", subject=view["subject_name"]))


def attribution_act(ctx: Ctx) -> Page | Response:
    subject, name = _subject(ctx), ctx.params["act"]
    if name not in ("claim", "position"):
        raise NotFound(ctx._("There is no act {name} here: claim or position.", name=repr(name)))
    if not ctx.viewer.may_act:
        raise Forbidden(ctx._("A {role} token may read attribution but not make claims or "
                              "take positions; that takes the liaison role.",
                              role=word(ctx.language, "role", ctx.viewer.principal.role)))
    if overlong := too_long(ctx, ATTRIBUTION_FIELDS):  # by the field's label, in words
        return attribution_page(ctx, error=overlong, failed=name, status=400)
    record, actor = AttributionRecord(ctx.node), ctx.actor
    try:
        if name == "claim":
            record.claim(actor, ClaimDraft(
                subject, ctx.lines("attributed_to"), _chosen(ctx, "basis"),
                _confidence(ctx.field("confidence")), ctx.field("summary"),
                ctx.field("sponsor") or None, ctx.lines("evidence")))
        else:
            record.respond(actor, ctx.field("claim"), ctx.field("position"), ctx.field("text"),
                           basis=_chosen(ctx, "basis"), evidence=ctx.lines("evidence"))
    except NoSuchClaim:
        raise NotFound(ctx._("No claim {claim} that {party} may see is on this node.",
                             claim=ctx.field("claim"),
                             party=ctx.viewer.principal.party_name)) from None
    except AttributionError as error:
        return attribution_page(ctx, error=said(ctx, error), failed=name, status=400)
    return RedirectResponse(f"/ui/attribution/{subject}?done={name}", status_code=303)


def _subject(ctx: Ctx) -> str:
    """The subject the URL names: only a STIX id can be attributed (a page with forms for
    claims on "garbage" would take a claim that no one could ever find)."""
    subject: str = ctx.params["subject"]
    if identifier_type(subject) not in SUBJECT_TYPES:  # (None: no STIX id at all)
        raise NotFound(ctx._("{subject} is not the id of an incident, campaign, intrusion set "
                             "or request (type--UUID): it has no attribution.",
                             subject=repr(subject[:80])))
    return subject


def _chosen(ctx: Ctx, name: str) -> tuple[str, ...]:
    """The values of a group of checkboxes."""
    if ctx.form is None:
        return ()
    return tuple(v for v in ctx.form.getlist(name) if isinstance(v, str) and v)


def _confidence(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise AttributionError(N_("confidence: a whole number from 0 to 100")) from None
