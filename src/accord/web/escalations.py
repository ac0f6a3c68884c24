"""What an escalation did, said the same way on every page (the request, the hotline, the
dashboard): the level of the guidelines' ladder it reached, which hotline contacts this node
notified, and what the officer should do about it.

What happens (cooperation.desk): each escalation of a request goes one level up the ladder of
the guidelines in force (level 1 first, by default "liaison officers"), and the node that
raises it queues a notification to the hotline contact of the requester and of the addressee,
for each that has one set on that node (`accord hotline set`). A node never notifies for an
escalation a peer raised: the peer's node did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from accord.cooperation.escalation_views import EscalationView
from accord.cooperation.hotline import Notification
from accord.cooperation.ledger import RequestView
from accord.cooperation.model import Escalation
from accord.i18n.languages import sentences
from accord.web.codes import word
from accord.web.core import Ctx


def step(ctx: Ctx, ladder: Sequence[str], level: int) -> str:
    """Who handles `level` of the ladder ("" when the ladder does not name it)."""
    return word(ctx.language, "ladder", ladder[level - 1]) if 1 <= level <= len(ladder) else ""


def level_words(ctx: Ctx, ladder: Sequence[str], level: int) -> str:
    name = step(ctx, ladder, level)
    if name:
        return ctx._("level {level} of the escalation ladder ({step})", level=level, step=name)
    return ctx._("level {level} of the escalation ladder", level=level)


def hotline_words(ctx: Ctx, escalation: Escalation, notes: Sequence[Notification],
                  hosted: frozenset[str]) -> str:
    """Whether the hotlines heard of it, as this node knows: not why a delivery failed (the
    error may name the other party's webhook: `accord hotline log` shows it to operators)."""
    if notes:
        told = []
        for note in notes:
            party = str(note.body.get("to", ""))
            if note.delivered:
                told.append(ctx._("{party}'s hotline was notified.", party=party))
            elif note.has_given_up:
                told.append(ctx.n_("{party}'s hotline could not be reached (gave up after "
                                   "{count} attempt).",
                                   "{party}'s hotline could not be reached (gave up after "
                                   "{count} attempts).", note.attempts, party=party))
            elif note.attempts and note.last_error:
                # Said plainly: an officer who reads "being notified" waits, where a call is
                # due (why it failed is the operator's to read, `accord hotline log`).
                told.append(ctx.n_("{party}'s hotline has not been reached: {count} attempt "
                                   "failed; the next at {when}. Until it is, reach {party} "
                                   "by telephone.",
                                   "{party}'s hotline has not been reached: {count} attempts "
                                   "failed; the next at {when}. Until it is, reach {party} "
                                   "by telephone.", note.attempts, party=party,
                                   when=ctx.clockface.text(note.next_attempt)))
            else:
                told.append(ctx._("{party}'s hotline is being notified.", party=party))
        return sentences(ctx.language, told)
    if escalation.party in hosted:
        return ctx._("No hotline was notified: neither party has a hotline contact set on "
                     "this node (an administrator sets one with accord hotline set).")
    return ctx._("Raised on the other party's node, which notifies the hotlines it knows; "
                 "this node sends no notification for it.")


def newest_open(view: RequestView) -> EscalationView | None:
    open_ones = [e for e in view.escalations if e.is_open]
    return max(open_ones, key=lambda e: (e.escalation.time, e.escalation.id), default=None)


def what_to_do(ctx: Ctx, view: RequestView, me: str, ladder: Sequence[str],
               names: Mapping[str, str]) -> str:
    """What the viewer's party should do about the open escalation ("" when none is open):
    who raised it (either party may: the requester when an answer is late or lacking, the
    addressee to dispute), what to do, and what ends it (cooperation.escalation_views: the
    party that raised it, by hand; an answer, for one raised before it; a withdrawal)."""
    current = newest_open(view)
    request = view.request
    if current is None or me not in (request.requester, request.addressee):
        return ""  # a party the request is shared with reads it, and has nothing to do
    level = current.escalation.level
    values = {
        "reason": word(ctx.language, "reason", current.escalation.reason),
        "where": level_words(ctx, ladder, level),
        "step": step(ctx, ladder, level) or word(ctx.language, "ladder", "liaison officers"),
    }
    other_id = request.requester if request.addressee == me else request.addressee
    other = names.get(other_id, other_id)
    # Answered, and so the escalation was raised after the answer: no withdrawal ends it (the
    # desk withdraws no answered request), only its raiser.
    answered = view.answered_at is not None
    if current.escalation.party != me:
        raiser = current.escalation.party
        said = ctx._("{party} escalated this request ({reason}); it is at {where}.",
                     party=names.get(raiser, raiser), **values)
        if request.addressee == me and not answered:
            todo = (ctx._("acknowledge it, then respond") if view.acknowledged_at is None
                    else ctx._("respond"))
            return sentences(ctx.language, [said, ctx._(
                "What to do: {todo} now, and tell {requester}'s {step} when to expect the "
                "answer. The escalation ends by itself when you respond.",
                requester=other, todo=todo, **values)])
        todo = ctx._("What to do: contact {other}'s {step}, hear what they raise, and agree "
                     "how to settle it.", other=other, **values)
        if answered:
            ends = ctx._("It ends when {other} ends it.", other=other)
        elif request.addressee == me:
            ends = ctx._("It ends when {other} ends it or withdraws the request.", other=other)
        else:
            ends = ctx._("It ends when {other} ends it or responds, or when you withdraw the "
                         "request.", other=other)
        return sentences(ctx.language, [said, todo, ends])
    said = ctx._("Your party escalated this request ({reason}); it is at {where}.", **values)
    if request.requester == me and not answered:
        todo = ctx._("What to do: contact {other}'s {step} directly (telephone, or the hotline "
                     "if one is agreed), name this request and what is overdue, and agree when "
                     "the answer comes.", other=other, **values)
        ends = ctx._("When it is settled, end the escalation below; it also ends by itself "
                     "when {other} responds or you withdraw the request.", other=other)
    else:
        todo = ctx._("What to do: contact {other}'s {step} directly (telephone, or the hotline "
                     "if one is agreed), name this request and what you raise, and agree how "
                     "to settle it.", other=other, **values)
        if answered:
            ends = ctx._("When it is settled, end the escalation below.")
        else:
            ends = ctx._("When it is settled, end the escalation below; it also ends by itself "
                         "when you respond or {other} withdraws the request.", other=other)
    return sentences(ctx.language, [said, todo, ends])


def follow_up(ctx: Ctx, view: RequestView, me: str, ladder: Sequence[str],
              names: Mapping[str, str]) -> str:
    """The dashboard's one line for an escalated request the viewer's party waits on."""
    current = newest_open(view)
    request = view.request
    if current is None or me not in (request.requester, request.addressee):
        return ""
    other_id = request.requester if request.addressee == me else request.addressee
    name = step(ctx, ladder, current.escalation.level)
    if name:
        return ctx._("Contact {other}'s {step} (escalation level {level})",
                     other=names.get(other_id, other_id), step=name,
                     level=current.escalation.level)
    return ctx._("Contact {other} (escalation level {level})",
                 other=names.get(other_id, other_id), level=current.escalation.level)
