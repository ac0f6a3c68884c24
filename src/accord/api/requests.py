"""REST for the mechanism: requests and their ledger, the review, the guidelines in force.

A token acts for its party. Sending and answering requests takes the `liaison` (or `admin`)
role; every role of a participant may read a request. A request a party may not see is "not
found", whether it exists or not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import Field

from accord.api.idempotency import Key, Once, keyed
from accord.api.inputs import Input, Instant, StrictBool, StrictInt, in_utc
from accord.api.paging import LISTED, After, Limit, link_next
from accord.api.problems import ACTING, PUBLIC, READS, READS_ONE, refused
from accord.api.refusals import fields_of, located
from accord.attribution.objects import extension_definition as attribution_extension_definition
from accord.cooperation.desk import (
    Actor,
    CooperationError,
    Desk,
    Draft,
    Filters,
    First,
    NoSuchRequest,
)
from accord.cooperation.guidelines import in_force, to_dict
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import (
    MOST_EVIDENCE,
    Category,
    EscalationReason,
    Kind,
    Outcome,
    State,
    Urgency,
)
from accord.cooperation.objects import EXTENSION_ID, accord_identity, extension_definition
from accord.cooperation.properties import MOST_LINE, MOST_LISTED, MOST_SHARED, MOST_TEXT
from accord.cooperation.report import render
from accord.cooperation.reviewing import RETRY_AFTER, ReviewBusy, review_ledgers
from accord.cooperation.schema import json_schema
from accord.cooperation.views import view_json
from accord.node import Node
from accord.stix.timestamps import format_timestamp, now_timestamp
from accord.store.guidelines import GuidelinesStore
from accord.store.summary_reads import BadCursor, SummaryReads
from accord.trust.access import Principal
from accord.trust.audit import Event
from accord.trust.tokens import ACTING_ROLES
from accord.words import a_or_an

# As long as the objects they become may hold (cooperation.properties): refused here with the
# field's name, before anything is read of them.
Line = Annotated[str, Field(max_length=MOST_LINE)]
Long = Annotated[str, Field(max_length=MOST_TEXT)]
Lines = Annotated[list[Line], Field(max_length=MOST_LISTED)]


class RequestIn(Input):
    to: str = Field(description="The addressed party: name or identity id")
    kind: Kind
    category: Category
    urgency: Urgency
    summary: Line
    description: Long = ""
    activity_start: Instant | None = None
    activity_end: Instant | None = None
    victims: Lines = []
    impact: Long = ""
    legal_basis: Long = ""
    point_of_contact: Line = ""
    evidence: list[str] = Field(default=[], max_length=MOST_EVIDENCE,
                                description="STIX ids of objects you may read")
    shared_with: list[str] = Field(default=[], max_length=MOST_SHARED)
    exercise: StrictBool = False
    lang: str = Field(default="", description="The language the request is written in "
                      "(RFC 5646, e.g. en, zh-Hans); by default the language its author chose "
                      "for the UI, else en")
    translations: dict[str, dict[str, str]] = Field(
        default={}, description="Translations sent with it: language -> property (summary, "
        "description, impact) -> text. The guidelines may require some languages.")


# Where the desk's names for a request's fields are in its body: the addressee is its to
# (--to), --share-with its shared_with, the activity the guidelines require where it starts.
REQUEST_FIELDS = fields_of(RequestIn, addressee="body.to", share_with="body.shared_with",
                           activity="body.activity_start")


class Written(Input):
    lang: str = Field(default="", description="The language it is written in (RFC 5646, "
                      "e.g. en, zh-Hans); by default the language its author chose for the UI, "
                      "else en")


class NoteIn(Written):
    note: Long = ""


class TextIn(Written):
    text: Long


class ResponseIn(Written):
    outcome: Outcome
    text: Long = ""
    reason: Long = ""
    evidence: list[str] = Field(default=[], max_length=MOST_EVIDENCE)


class RatingIn(Written):
    score: StrictInt = Field(ge=1, le=5)
    comment: Long = ""


class EscalationIn(Written):
    reason: EscalationReason = "manual"
    note: Long = ""


class ReasonIn(Written):
    reason: Long = ""


REVIEW_MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8",
                "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def add_request_routes(api: FastAPI, node: Node,
                       principal: Callable[..., Awaitable[Principal]]) -> None:
    desk = Desk(node)
    once = Once(node)

    def actor_of(caller: Principal, *, acting: bool, lang: str = "") -> Actor:
        if acting and caller.role not in ACTING_ROLES:
            raise HTTPException(403, f"{a_or_an(caller.role)} token may read requests but "
                                     "not send or answer them (that takes the liaison role)")
        # Unsaid, a person writes in the language they chose for the UI.
        return Actor(node.directory.party(caller.party_id), caller.token_id,
                     caller.person_name, lang or caller.locale or "en")

    def shown(view: RequestView, caller: Principal) -> dict[str, Any]:
        node.reads.record(Event(now_timestamp(), "request.read", caller.party_id,
                                caller.token_id, None, (view.request.id,)))
        return view_json(view, node.directory.names())

    def act(caller: Principal, work: Callable[[Actor], RequestView], fields: dict[str, str],
            lang: str = "") -> dict[str, Any]:
        """The view `work` leaves, or its refusal, located among `fields` (fields_of)."""
        try:
            return view_json(work(actor_of(caller, acting=True, lang=lang)),
                             node.directory.names())
        except NoSuchRequest as error:
            raise HTTPException(404, str(error)) from None
        except CooperationError as error:
            raise located(409 if error.conflict else 400, error, fields) from None
        except ValueError as error:  # e.g. content the guidelines require is missing
            raise located(400, error, fields) from None

    def seen(caller: Principal, request_id: str) -> tuple[RequestView, dict[str, Any]]:
        """The request as a keyed act's retry answers it: as it stands now."""
        try:
            view = desk.view(actor_of(caller, acting=True), request_id)
        except NoSuchRequest as error:
            raise HTTPException(404, str(error)) from None
        return view, view_json(view, node.directory.names())

    def keyed_act(caller: Principal, key: str | None, request: Request, response: Response,
                  body: Written, request_id: str,
                  work: Callable[[Actor, First | None], RequestView]) -> dict[str, Any]:
        """An act whose retry would be a second one (a second status report, rating,
        escalation …), made once for an Idempotency-Key."""
        actor_of(caller, acting=True)  # the role first: a reader learns nothing of a key
        return once.answer(key, caller, request, response, body, 200,
                           lambda first: act(caller, lambda a: work(a, first),
                                             fields_of(type(body)), body.lang),
                           lambda _made: seen(caller, request_id)[1])

    @api.post("/requests", status_code=201, responses=keyed(201),
              summary="Send a request for information or assistance")
    def create(body: RequestIn, request: Request, response: Response,
               caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        """The new request's view, with `evidence_hidden_from_addressee`: evidence the
        addressee may not read yet."""
        actor_of(caller, acting=True)  # the role first: a reader learns nothing of a key

        def make(first: First | None) -> dict[str, Any]:
            made: list[RequestView] = []

            def send(actor: Actor) -> RequestView:
                made.append(desk.create(actor, Draft(
                    body.to, body.kind, body.category, body.urgency, body.summary,
                    body.description, in_utc(body.activity_start, "body", "activity_start"),
                    in_utc(body.activity_end, "body", "activity_end"),
                    tuple(body.victims), body.impact, body.legal_basis, body.point_of_contact,
                    tuple(body.evidence), tuple(body.shared_with), body.exercise, body.lang,
                    body.translations), first))
                return made[0]

            return {**act(caller, send, REQUEST_FIELDS),
                    "evidence_hidden_from_addressee":
                        desk.evidence_hidden_from_addressee(made[0])}

        def again(request_id: str) -> dict[str, Any]:
            view, shown = seen(caller, request_id)
            return {**shown, "evidence_hidden_from_addressee":
                    desk.evidence_hidden_from_addressee(view)}

        return once.answer(key, caller, request, response, body, 201, make, again)

    @api.get("/requests", responses=READS, summary="Requests you sent or received")
    def listing(
        request: Request, response: Response,
        direction: Literal["sent", "received"] | None = None, state: State | None = None,
        overdue: bool | None = None, party: str | None = None, category: Category | None = None,
        limit: Limit = LISTED, after: After = None,
        caller: Principal = Depends(principal),
    ) -> list[dict[str, Any]]:
        """Newest first (by receipt, else creation), `limit` at a time: when more follow, the
        `Link` header names the next page (rel="next")."""
        actor = actor_of(caller, acting=False)
        other = None
        if party is not None:
            found = node.directory.find_party(party)
            if found is None:
                raise refused(400, "query.party", f"no party {party!r} on this node")
            other = found.id
        try:
            page = SummaryReads(node.engine).page(
                actor.party.id, Filters(direction, state, overdue, other, category),
                desk.clock(), limit=limit, after=after)
        except BadCursor as error:
            raise refused(400, "query.after", str(error).removeprefix("after: "),
                          str(error)) from None
        ids = [item.summary.request_id for item in page.rows]
        views = {ledger.request.id: derive(ledger, desk.clock())
                 for ledger in desk.ledgers(actor, ids)}
        listed = [views[i] for i in ids if i in views]
        node.reads.record(Event(now_timestamp(), "request.list", caller.party_id,
                                caller.token_id, None, tuple(v.request.id for v in listed)))
        link_next(request, response, limit, page.after)
        every = node.directory.names()
        return [view_json(v, every) for v in listed]

    @api.get("/requests/{request_id}", responses=READS_ONE,
             summary="A request with its deadlines and timeline")
    def show(request_id: str, caller: Principal = Depends(principal)) -> dict[str, Any]:
        try:
            return shown(desk.view(actor_of(caller, acting=False), request_id), caller)
        except NoSuchRequest as error:
            raise HTTPException(404, str(error)) from None

    @api.post("/requests/{request_id}/acknowledgement", responses=ACTING,
              summary="Acknowledge a request")
    def acknowledge(request_id: str, body: NoteIn,
                    caller: Principal = Depends(principal)) -> dict[str, Any]:
        return act(caller, lambda a: desk.acknowledge(a, request_id, body.note),
                   fields_of(NoteIn), body.lang)

    @api.post("/requests/{request_id}/status-reports", responses=keyed(200),
              summary="Report interim status")
    def report(request_id: str, body: TextIn, request: Request, response: Response,
               caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        return keyed_act(caller, key, request, response, body, request_id,
                         lambda a, first: desk.report(a, request_id, body.text, first))

    @api.post("/requests/{request_id}/response", responses=ACTING,
              summary="Answer a request (final)")
    def respond(request_id: str, body: ResponseIn,
                caller: Principal = Depends(principal)) -> dict[str, Any]:
        return act(caller, lambda a: desk.respond(a, request_id, body.outcome, body.text,
                                                  body.reason, tuple(body.evidence)),
                   fields_of(ResponseIn), body.lang)

    @api.post("/requests/{request_id}/rating", responses=keyed(200),
              summary="Rate the response's quality")
    def rate(request_id: str, body: RatingIn, request: Request, response: Response,
             caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        return keyed_act(caller, key, request, response, body, request_id,
                         lambda a, first: desk.rate(a, request_id, body.score, body.comment,
                                                    first))

    @api.post("/requests/{request_id}/escalations", responses=keyed(200),
              summary="Escalate to the hotline")
    def escalate(request_id: str, body: EscalationIn, request: Request, response: Response,
                 caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        return keyed_act(caller, key, request, response, body, request_id,
                         lambda a, first: desk.escalate(a, request_id, body.reason, body.note,
                                                        first))

    @api.post("/requests/{request_id}/de-escalation", responses=keyed(200),
              summary="End the open escalation")
    def de_escalate(request_id: str, body: ReasonIn, request: Request, response: Response,
                    caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        """Ends the newest open escalation your party raised: a retry would end the one before
        it (take an Idempotency-Key)."""
        return keyed_act(caller, key, request, response, body, request_id,
                         lambda a, first: desk.de_escalate(a, request_id, body.reason, first))

    @api.post("/requests/{request_id}/withdrawal", responses=ACTING,
              summary="Withdraw your request")
    def withdraw(request_id: str, body: ReasonIn,
                 caller: Principal = Depends(principal)) -> dict[str, Any]:
        return act(caller, lambda a: desk.withdraw(a, request_id, body.reason),
                   fields_of(ReasonIn), body.lang)

    @api.get("/review", summary="Timeliness and quality of responses, per direction",
             response_model=None, responses={200: {"content": {
                 media.split(";")[0]: {} for media in REVIEW_MEDIA.values()}}, **READS})
    def review(
        start: Annotated[Instant, Query(alias="from")],
        end: Annotated[Instant, Query(alias="to")],
        format: Literal["json", "html", "md", "csv"] = "json",
        lang: Annotated[Literal["en", "zh-Hans", "both"], Query(
            description="The report's words (html, md): English, Simplified Chinese, or both "
                        "side by side; the figures are the same.")] = "en",
        caller: Principal = Depends(principal),
    ) -> Response:
        """The review over the requests the caller's party may see (its own, in both
        directions); the same figures `accord review` computes from the same ledger."""
        period_start = in_utc(start, "query", "from")
        period_end = in_utc(end, "query", "to")
        assert period_start is not None and period_end is not None
        if period_end <= period_start:
            raise refused(400, "query.to", "must be after from")
        actor = actor_of(caller, acting=False)
        try:
            review = review_ledgers(desk, period_start, period_end,
                                    names=node.directory.names(), actor=actor)
        except ReviewBusy as busy:
            raise HTTPException(429, str(busy),
                                headers={"Retry-After": str(RETRY_AFTER)}) from None
        # As the web page records it: what was reviewed, over which period.
        node.reads.record(Event(now_timestamp(), "review.read", caller.party_id,
                                caller.token_id, None, (), {
                                    "from": format_timestamp(period_start),
                                    "to": format_timestamp(period_end), "format": format,
                                    "via": "api"}))
        return PlainTextResponse(render(review, format, lang), media_type=REVIEW_MEDIA[format])

    @api.get("/extension-definition", responses=PUBLIC,
             summary="The STIX extension-definitions of Accord's objects, with their creator's "
                     "identity")
    def definition() -> dict[str, Any]:
        """Public: what a STIX consumer needs to understand x-accord-* objects."""
        return {"type": "bundle", "id": f"bundle--{EXTENSION_ID.split('--')[1]}",
                "objects": [accord_identity(), extension_definition(),
                            attribution_extension_definition()]}

    @api.get("/schemas/cooperation-v1.json", responses=PUBLIC,
             summary="JSON schema of Accord's objects")
    def schema() -> dict[str, Any]:
        return json_schema()

    @api.get("/guidelines", responses=READS,
             summary="The guidelines in force between you and another party")
    def guidelines(with_party: Annotated[str | None, Query(alias="with")] = None,
                   caller: Principal = Depends(principal)) -> dict[str, Any]:
        other = ""
        if with_party is not None:
            found = node.directory.find_party(with_party)
            if found is None:
                raise refused(400, "query.with", f"no party {with_party!r} on this node")
            other = found.id
        versions = GuidelinesStore(node.engine).versions()
        node.reads.record(Event(now_timestamp(), "guidelines.read", caller.party_id,
                                caller.token_id, None, (), {"with": other} if other else {}))
        return to_dict(in_force(versions, datetime.now(UTC), caller.party_id, other))
