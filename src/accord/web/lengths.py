"""How long what an officer types may be, said on the form in the officer's language and by
the field's label, before the desk refuses it in the words of the STIX property it becomes
(cooperation.properties' bounds: the same numbers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from accord.cooperation.properties import MOST_LINE, MOST_TEXT
from accord.web.core import Ctx

# The fields of the new-request form and of the acts' forms, each with its bound and its
# label (as the forms say it: the same words of the catalogue).
FIELDS: Mapping[str, tuple[int, Callable[[Ctx], str]]] = {
    "summary": (MOST_LINE, lambda ctx: ctx._("Summary")),
    "point_of_contact": (MOST_LINE, lambda ctx: ctx._("Point of contact")),
    "description": (MOST_TEXT, lambda ctx: ctx._("Description")),
    "impact": (MOST_TEXT, lambda ctx: ctx._("Impact")),
    "legal_basis": (MOST_TEXT, lambda ctx: ctx._("Legal basis")),
    "note": (MOST_TEXT, lambda ctx: ctx._("Note")),
    # A status report's text and a response's: one field name on two forms.
    "text": (MOST_TEXT, lambda ctx: ctx._("What has happened so far")
             if ctx.request.url.path.endswith("/report") else ctx._("Answer")),
    "reason": (MOST_TEXT, lambda ctx: ctx._("Reason")),
    "comment": (MOST_TEXT, lambda ctx: ctx._("Comment")),
}


def too_long(ctx: Ctx, fields: Mapping[str, tuple[int, Callable[[Ctx], str]]] = FIELDS
             ) -> str:
    """What the form sent that is longer than its field may hold, in words; "" if nothing."""
    for name, (most, label) in fields.items():
        length = len(ctx.field(name))
        if length > most:
            count, bound = format(length, ","), format(most, ",")
            return ctx._("{field} has {count} characters: it may hold {most} at most.",
                         field=label(ctx), count=count, most=bound)
    return ""


# The attribution page's forms: a claim's summary is a text, not a request's one line.
ATTRIBUTION_FIELDS: Mapping[str, tuple[int, Callable[[Ctx], str]]] = {
    "summary": (MOST_TEXT, lambda ctx: ctx._("Summary")),
    "text": (MOST_TEXT, lambda ctx: ctx._("Position")),
}
