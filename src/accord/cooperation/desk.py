"""The liaison desk: the mechanism's use cases on one node.

Make a request and everything that follows it, read a request's ledger as a party may see it,
watch deadlines, review. Every entry is a STIX object stored through intake (validated,
audited, marked TLP:AMBER+STRICT for the request's participants), so requests travel over
TAXII like any other evidence, and the trust rules hold for them unchanged. State is never
stored: it is derived from the ledger each time (`cooperation.ledger`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from accord.cooperation.bounds import require_theirs, within_ledger, within_running
from accord.cooperation.deadlines import next_level
from accord.cooperation.drafts import Actor, Draft  # re-exported: who acts, what is asked
from accord.cooperation.evidence import check_evidence, hidden_from, readable_by
from accord.cooperation.guidelines import in_force, require_content
from accord.cooperation.ledger import (
    RequestView,
    is_acknowledgement_overdue_at,
    is_response_overdue_at,
)
from accord.cooperation.ledger_reads import LedgerReads
from accord.cooperation.ledger_reads import utc_now as utc_now
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    LATENESS,
    OUTCOMES,
    URGENCIES,
    Acknowledgement,
    DeEscalation,
    Entry,
    Escalation,
    Rating,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)
from accord.cooperation.objects import to_stix
from accord.cooperation.properties import MOST_SHARED
from accord.cooperation.receipts import marked
from accord.cooperation.refusals import Code, Moment, require_activity_order
from accord.cooperation.refusals import CooperationError as CooperationError
from accord.cooperation.refusals import NoSuchRequest as NoSuchRequest
from accord.cooperation.summary import Filters as Filters  # the pages import it from here
from accord.cooperation.translations import is_language
from accord.i18n import N_
from accord.intake import NotWhole, screen, store
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Collection, Party
from accord.store.engine import take_turn
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import hosted_parties
from accord.store.quotas import OverQuota
from accord.store.summary_rows import REQUESTS_ALIAS as REQUESTS_ALIAS
from accord.trust.access import Grant
from accord.trust.audit import Event
from accord.words import how_large

# What runs first in the transaction that stores what is made, given the id of what it makes
# (the REST API's Idempotency-Key: store.idempotency.IdempotencyKeys.hold_in): the two are
# stored together or not at all.
First = Callable[[Connection, str], None]


def _language(tag: str) -> str:
    if not is_language(tag):
        raise CooperationError(N_("lang {tag!r} is not an RFC 5646 language code (such as en "
                                  "or zh-Hans)"), tag=tag, about=("lang",))
    return tag


def _one_of(name: str, value: str, allowed: Sequence[str]) -> None:
    """Refuses a `value` of the field `name` (the word for it too) not `allowed`."""
    if value not in allowed:
        raise CooperationError(N_("{name} {value!r} is not one of: {allowed}"), name=name,
                               value=value, allowed=", ".join(allowed), about=(name,))


class Desk(LedgerReads):
    """Where a party's officers make requests and act on them (reading them: LedgerReads)."""

    def admit(self, collection: Collection, party_ids: Iterable[str]) -> None:
        """Let these parties read and write the ledgers collection (markings still decide
        which request each may see), unless the operator shut one out (a grant taken back:
        no read, no write), which stands. A party this node does not know (one a peer's
        request is shared with, registered on that peer's node alone) reads nothing here:
        passed over. Each grant is audited, as the operator's are."""
        directory = self.node.directory
        admitted = []
        for party_id in dict.fromkeys(party_ids):
            party = directory.find_party(party_id)
            if party is None:
                continue
            granted = directory.granted(collection.id, party_id)
            if granted is not None and (granted == Grant(True, True)
                                        or not (granted.can_read or granted.can_write)):
                continue
            directory.grant(collection.id, party, Grant(True, True))
            admitted.append(party.id)
        if admitted:  # as `accord collection grant` records it, one event a party
            self.node.audit.append([Event(
                now_timestamp(), "permission.grant", None, collection_id=collection.id,
                detail={"collection": collection.id, "party": party_id, "read": True,
                        "write": True, "why": "a party to a request or record held here"})
                for party_id in admitted])

    def _party(self, name_or_id: str, what: str, about: str) -> Party:
        """The party `name_or_id` names, given as the field `about` (its flag: `what`)."""
        found = self.node.directory.find_party(name_or_id)
        if found is None:
            raise CooperationError(N_("{what}: no party {party!r} on this node (see `accord "
                                      "party list`)"), what=what, party=name_or_id,
                                   about=(about,))
        return found

    # -- making requests and entries ---------------------------------------------------------

    def create(self, actor: Actor, draft: Draft, first: First | None = None) -> RequestView:
        self.speaks_for(actor)  # said first: nothing else about the request matters then
        _one_of("kind", draft.kind, KINDS)
        _one_of("category", draft.category, CATEGORIES)
        _one_of("urgency", draft.urgency, URGENCIES)
        require_activity_order(draft.activity_start, draft.activity_end, self.clock())
        addressee = self._party(draft.addressee, "--to", "addressee")
        if addressee.id == actor.party.id:
            raise CooperationError(N_("a party cannot address a request to itself"),
                                   about=("addressee",))
        within_running(self.node.engine, actor.party, addressee)
        if len(draft.shared_with) > MOST_SHARED:
            raise CooperationError(N_("--share-with: {count} parties, more than the {most} a "
                                      "request may be shared with"),
                                   count=f"{len(draft.shared_with):,}", most=MOST_SHARED,
                                   about=("shared_with",))
        # Each party once, and neither side of the request, which sees it anyway.
        shared = tuple(dict.fromkeys(
            found for p in draft.shared_with
            if (found := self._party(p, "--share-with", "shared_with").id)
            not in (actor.party.id, addressee.id)))
        now = self.clock()
        request = Request(
            f"x-accord-request--{uuid.uuid4()}", now, actor.party.id, addressee.id,
            draft.kind, draft.category, draft.urgency, draft.summary.strip(),  # type: ignore[arg-type]
            draft.description, draft.activity_start, draft.activity_end, draft.victims,
            draft.impact, draft.legal_basis, draft.point_of_contact, draft.evidence, shared,
            draft.is_exercise, _language(draft.lang or actor.lang))
        policy = in_force(GuidelinesStore(self.node.engine).versions(), now, request.requester,
                          request.addressee)
        require_content(request, policy)
        require_theirs(self.node.engine, request, addressee)
        stored = [marked(to_stix(request), actor.party.id, request)]
        # Imported here: translations import this module's neighbours, not the other way.
        from accord.cooperation.translating import sent_with

        stored += sent_with(stored[0], request, actor.party.id, draft.translations,
                            policy.languages, policy.version, now)
        check_evidence(self.node, actor.party.id, request.evidence)
        collection = self.collection()
        self.admit(collection, [request.requester, request.addressee, *shared])
        self._store(actor, collection, stored,
                    before=None if first is None else lambda conn: first(conn, request.id))
        return self.view(actor, request.id)

    def readable_by(self, party_id: str, ids: Sequence[str]) -> set[str]:
        """Which of `ids` name objects `party_id` may read on this node (any collection)."""
        return readable_by(self.node, party_id, ids)

    def evidence_hidden_from_addressee(self, view: RequestView) -> list[str]:
        """The request's evidence its addressee may not read (not yet shared with it, or
        marked beyond it): the requester should know before waiting for an answer."""
        return hidden_from(self.node, view.request.addressee, view.request.evidence,
                           view.request.requester)

    def acknowledge(self, actor: Actor, request_id: str, note: str = "") -> RequestView:
        def may(view: RequestView) -> None:
            self._addressee_may(actor, view, "acknowledge")
            if view.acknowledged_at is not None:
                # Two officers of the addressee at once: the later one is told when, and that
                # nothing of theirs was sent (the page keeps what they typed).
                raise CooperationError(N_("{id} was already acknowledged, at {when}: this "
                                          "acknowledgement was not sent"), conflict=True,
                                       id=request_id,
                                       when=Moment(view.acknowledged_at))

        view = self._checked(actor, request_id, may)
        return self._add(actor, view, Acknowledgement(
            self._new_id("acknowledgement"), request_id, actor.party.id, self.clock(), note=note),
            may=may)

    def report(self, actor: Actor, request_id: str, text: str,
               first: First | None = None) -> RequestView:
        def may(view: RequestView) -> None:
            self._addressee_may(actor, view, "report on")

        view = self._checked(actor, request_id, may)
        if not text.strip():
            raise CooperationError(N_("a status report needs some text"), about=("text",))
        return self._add(actor, view, StatusReport(
            self._new_id("status-report"), request_id, actor.party.id, self.clock(), text=text),
            may=may, first=first)

    def respond(self, actor: Actor, request_id: str, outcome: str, text: str = "",
                reason: str = "", evidence: Sequence[str] = ()) -> RequestView:
        _one_of("outcome", outcome, OUTCOMES)

        def may(view: RequestView) -> None:
            self._addressee_may(actor, view, "respond to")
            if view.response is not None:
                raise CooperationError(N_("{id} was already answered, at {when} ({outcome}): "
                                          "this response was not sent"), conflict=True,
                                       id=request_id,
                                       when=Moment(view.response.time),
                                       outcome=Code("outcome", view.response.outcome))

        view = self._checked(actor, request_id, may)
        if outcome in ("declined", "referred") and not reason.strip():
            raise CooperationError(N_("a response with outcome {outcome!r} must give a reason "
                                      "(--reason)"), outcome=Code("outcome", outcome),
                                   about=("reason",))
        if outcome in ("information-provided", "action-taken") and not text.strip() \
                and not evidence:
            # The final answer: an outcome alone answers nothing, and closes the deadline.
            raise CooperationError(N_("a response with outcome {outcome!r} must say what was "
                                      "found or done (--text), or attach it (--evidence)"),
                                   outcome=Code("outcome", outcome), about=("text", "evidence"))
        check_evidence(self.node, actor.party.id, evidence)
        return self._add(actor, view, Response(
            self._new_id("response"), request_id, actor.party.id, self.clock(),
            outcome=outcome, text=text, reason=reason, evidence=tuple(evidence)),  # type: ignore[arg-type]
            may=may)

    def rate(self, actor: Actor, request_id: str, score: int, comment: str = "",
             first: First | None = None) -> RequestView:
        view = self._visible(actor, request_id)
        if actor.party.id != view.request.requester:
            raise CooperationError(N_("only the requesting party rates the response"))
        if view.response is None:
            raise CooperationError(N_("{id} has no response to rate yet"), id=request_id)
        if not 1 <= score <= 5:
            raise CooperationError(N_("--score {score}: a rating is from 1 (useless) to 5 "
                                      "(complete and timely)"), score=score,
                                   about=("score",))
        return self._add(actor, view, Rating(
            self._new_id("rating"), request_id, actor.party.id, self.clock(),
            response_id=view.response.id, score=score, comment=comment), first=first)

    def escalate(self, actor: Actor, request_id: str, reason: str = "manual",
                 note: str = "", first: First | None = None) -> RequestView:
        _one_of("reason", reason, ESCALATION_REASONS)

        def may(view: RequestView) -> None:
            self._still_open(view, "escalate")
            if reason in LATENESS and actor.party.id != view.request.requester:
                # The ledger counts the addressee's as a manual one (cooperation.ledger).
                raise CooperationError(N_("only the requesting party escalates a request for "
                                          "lateness: escalate it for another reason"),
                                       about=("reason",))
            self._is_overdue(view, reason)

        view = self._checked(actor, request_id, may)
        escalation = Escalation(
            self._new_id("escalation"), request_id, actor.party.id, self.clock(),
            reason=reason, level=self._level(view), note=note)  # type: ignore[arg-type]
        return self._add(actor, view, escalation, also=self._tell_hotlines(escalation,
                                                                           view.request),
                         may=may, first=first)

    def de_escalate(self, actor: Actor, request_id: str, reason: str,
                    first: First | None = None) -> RequestView:
        """End the newest open escalation `actor`'s party raised (cooperation.ledger: only the
        party that raised an escalation ends it by hand)."""
        def mine(view: RequestView) -> list[Any]:
            return [e for e in view.escalations
                    if e.is_open and e.escalation.party == actor.party.id]

        def may(view: RequestView) -> None:
            if not mine(view):
                raise CooperationError(N_(
                    "{id} has no open escalation of yours: an escalation is ended by the party "
                    "that raised it, or by the answer"), id=request_id)

        view = self._checked(actor, request_id, may)
        if not reason.strip():
            raise CooperationError(N_("say why the escalation ends (--reason)"),
                                   about=("reason",))
        ending = max(mine(view), key=lambda e: (e.escalation.time, e.escalation.id)).escalation.id

        def still(view: RequestView) -> None:  # the same escalation, still open
            if not any(e.is_open and e.escalation.id == ending for e in view.escalations):
                raise CooperationError(N_("{id} has no open escalation"), id=request_id)

        return self._add(actor, view, DeEscalation(
            self._new_id("de-escalation"), request_id, actor.party.id, self.clock(),
            escalation_id=ending, reason=reason), may=still, first=first)

    def withdraw(self, actor: Actor, request_id: str, reason: str = "") -> RequestView:
        def may(view: RequestView) -> None:
            if actor.party.id != view.request.requester:
                raise CooperationError(N_("only the requesting party withdraws its request"))
            self._still_open(view, "withdraw")

        view = self._checked(actor, request_id, may)
        return self._add(actor, view, Withdrawal(
            self._new_id("withdrawal"), request_id, actor.party.id, self.clock(),
            reason=reason), may=may)

    def _checked(self, actor: Actor, request_id: str,
                 may: Callable[[RequestView], None]) -> RequestView:
        """The request as `actor` sees it, if `may` lets the act go ahead (`_add` asks it
        again, under the request's turn)."""
        view = self._visible(actor, request_id)
        may(view)
        return view

    def _addressee_may(self, actor: Actor, view: RequestView, act: str) -> None:
        if actor.party.id != view.request.addressee:
            raise CooperationError(N_("only the addressed party may {act} a request"),
                                   act=act)
        self._still_open(view, act)

    @staticmethod
    def _still_open(view: RequestView, act: str) -> None:
        if view.withdrawn_at is not None:
            raise CooperationError(N_("cannot {act} {id}: it was withdrawn at {when}"), act=act,
                                   conflict=True,
                                   id=view.request.id, when=Moment(view.withdrawn_at))
        if view.response is not None and act in ("escalate", "withdraw", "report on",
                                                 "acknowledge"):
            raise CooperationError(N_("cannot {act} {id}: it was answered at {when}"), act=act,
                                   conflict=True,
                                   id=view.request.id, when=Moment(view.response.time))

    def _is_overdue(self, view: RequestView, reason: str) -> None:
        """An escalation for lateness only once that deadline has passed unmet: one made
        before would blame the addressee in the review for a deadline it may yet meet (and
        cooperation.ledger counts it as a manual escalation anyway)."""
        now = self.clock()
        if reason == "acknowledgement-overdue":
            late, due = is_acknowledgement_overdue_at(view, now), view.acknowledge_by
        elif reason == "response-overdue":
            late, due = is_response_overdue_at(view, now), view.respond_by
        else:
            return
        if late:
            return
        # Each refusal is of the reason given: the lateness it names is not there.
        if due is None:
            raise CooperationError(N_("{id} has not been received yet: no deadline runs until "
                                      "it is, so nothing is overdue"), id=view.request.id,
                                   about=("reason",))
        if reason == "acknowledgement-overdue" and view.acknowledged_at is not None:
            raise CooperationError(N_("{id} was acknowledged at {when}: its acknowledgement "
                                      "is not overdue"), id=view.request.id,
                                   when=Moment(view.acknowledged_at), about=("reason",))
        raise CooperationError(N_("{id} is not overdue yet: its deadline is {when}; escalate "
                                  "it for another reason, or once that has passed"),
                               id=view.request.id, when=Moment(due), about=("reason",))

    def _level(self, view: RequestView) -> int:
        ladder = self._policy(view.request).ladder
        return min(next_level(view), max(1, len(ladder)))

    def _policy(self, request: Request) -> Any:
        at = request.created
        return in_force(GuidelinesStore(self.node.engine).versions(), at, request.requester,
                        request.addressee)

    @staticmethod
    def _new_id(kind: str) -> str:
        return f"x-accord-{kind}--{uuid.uuid4()}"

    def _add(self, actor: Actor, view: RequestView, entry: Entry,
             also: Callable[[Connection], None] | None = None,
             may: Callable[[RequestView], None] | None = None,
             first: First | None = None) -> RequestView:
        """Add `entry` to the request's ledger. Two acts on one request at once (two officers,
        a double click, a script) take turns: each asks `may` again of the ledger as the one
        before left it, so that two acknowledgements, two responses, a withdrawal crossing a
        response are not all said to be done. `first` runs before the turn is taken: a retry
        of this act waits on its key, not on the request."""
        entry = replace(entry, lang=_language(actor.lang))
        obj = marked(to_stix(entry), actor.party.id, view.request)
        within_ledger(self.node.engine, actor.party, view.request.id, obj)
        request_id = view.request.id

        def in_turn(conn: Connection) -> None:
            if first is not None:
                first(conn, obj["id"])
            take_turn(conn, f"request:{request_id}")
            if may is not None:  # read anew: what the one before committed (take_turn)
                may(self._visible(actor, request_id))

        self._store(actor, self.collection(), [obj], also=also, before=in_turn)
        return self.view(actor, request_id)

    def _tell_hotlines(self, escalation: Escalation, request: Request
                       ) -> Callable[[Connection], None]:
        """The notification of both parties' hotlines, written in the escalation's own
        transaction (an outbox that survives restarts), whoever raised it."""
        # Imported here: the hotline's HTTP client is not needed by most commands.
        from accord.cooperation.hotline import Hotline

        hotline = Hotline(self.node.engine)
        return lambda conn: hotline.enqueue_in(conn, escalation, request, self.clock())

    def speaks_for(self, actor: Actor) -> None:
        """Refuses an actor whose party a peer's node stands for: that node signs what its
        parties write, and would refuse as forged what this node wrote in their name, while
        this node counted it (the two sides' ledgers would differ)."""
        if actor.party.id not in hosted_parties(self.node.engine):
            raise CooperationError(N_(
                "{party} is a party of a peer's node: it acts through its own node, which "
                "signs what it writes (written here, its own node would refuse it as forged)"),
                party=actor.party.name)

    def _store(self, actor: Actor, collection: Collection, objs: list[dict[str, Any]],
               also: Callable[[Connection], None] | None = None,
               before: Callable[[Connection], None] | None = None) -> int:
        """Store `objs`, all of them or none (with `also`); how many were new (the others were
        held already). `before` runs first in the transaction."""
        self.speaks_for(actor)
        screened = screen(objs)
        if screened.rejected:
            raise CooperationError("; ".join(r.message for r in screened.rejected))
        try:
            # Past the quota nothing is stored, `also` neither (an escalation's notices).
            report = store(self.node.engine, collection, screened, party_id=actor.party.id,
                           token_id=actor.token_id, also=also, clock=self.clock,
                           over_quota_fails=True, whole=True, before=before)
        except NotWhole as refused:
            raise CooperationError(str(refused)) from None
        except OverQuota as over:
            raise CooperationError(N_(
                "over quota: {party} holds {stored} on this node, of its quota of {quota}, "
                "and this would pass it, so it was not stored. Delete what is no longer "
                "needed, or ask the node's administrator for a larger quota"),
                party=over.party, stored=how_large(over.stored),
                quota=how_large(over.quota)) from None
        return len(report.added)

    def watch(self) -> list[str]:
        """One tick of the deadline watcher (cooperation.escalating): the escalations made."""
        from accord.cooperation.escalating import watch
        return watch(self)
