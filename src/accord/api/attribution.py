"""REST for attribution: claims and the positions taken on them, the disputed attribution of a
subject, designations.

Making a claim, taking a position and designating take the `liaison` (or `admin`) role, as
sending requests does; every role may read what its party may read. A claim or designation a
party may not read is "not found", whether it exists or not. Every read is audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import Field, field_validator

from accord.api.idempotency import Key, Once, keyed
from accord.api.inputs import Input, StrictInt
from accord.api.paging import LISTED, After, Limit, date_added_cursor, link_next
from accord.api.problems import ACTING, PUBLIC, READS, READS_ANY_ID, READS_ONE, refused
from accord.api.refusals import fields_of, located
from accord.attribution.model import BASES, DesignationKind, Stance
from accord.attribution.reading import AttributionError, NoSuchClaim, NoSuchDesignation
from accord.attribution.record import AttributionRecord, ClaimDraft, DesignationDraft
from accord.attribution.schema import json_schema
from accord.attribution.views import claim_json, designation_json, subject_json
from accord.attribution.watchlist import MOST_SCREENED_CHARS, watchlist
from accord.cooperation.desk import Actor, First
from accord.cooperation.model import MOST_EVIDENCE
from accord.cooperation.properties import MOST_LINE, MOST_LISTED, MOST_TEXT
from accord.node import Node
from accord.screening.names import han_count, name_variants
from accord.stix.accord_marking import MOST_RECIPIENTS
from accord.stix.identifiers import identifier_type
from accord.stix.timestamps import (
    TIMESTAMP_SYNTAX,
    is_timestamp,
    now_timestamp,
    parse_timestamp,
)
from accord.trust.access import Principal
from accord.trust.audit import Event
from accord.trust.tokens import ACTING_ROLES
from accord.words import a_or_an

# The closed vocabularies, as the OpenAPI description declares them.
Basis = Literal[tuple(BASES)]  # type: ignore[valid-type]


class ClaimIn(Input):
    subject: str = Field(description="The activity: an incident, campaign, intrusion-set or "
                                     "request id")
    attributed_to: list[str] = Field(default=[], max_length=MOST_EVIDENCE,
                                     description="intrusion-set, threat-actor or identity ids")
    sponsor: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code of the "
                                                          "sponsoring state")
    basis: list[Basis] = Field(min_length=1, max_length=len(BASES),  # type: ignore[valid-type]
                               description="Each at most once")
    confidence: StrictInt = Field(ge=0, le=100)
    summary: str = Field(min_length=1, max_length=MOST_TEXT)
    evidence: list[str] = Field(default=[], max_length=MOST_EVIDENCE,
                                description="STIX ids of objects you may read")
    share_with: list[str] = Field(default=[], max_length=MOST_RECIPIENTS,
                                  description="Parties that may read it (default: every party "
                                              "of the node)")


class PositionIn(Input):
    position: Stance
    text: str = Field(min_length=1, max_length=MOST_TEXT)
    basis: list[Basis] = Field(default=[], max_length=len(BASES),  # type: ignore[valid-type]
                               description="Each at most once")
    evidence: list[str] = Field(default=[], max_length=MOST_EVIDENCE)
    competing_claim: str | None = None


# A date, or a STIX timestamp.
DATE_OR_TIMESTAMP = (r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$|"
                     + TIMESTAMP_SYNTAX)


class DesignationIn(Input):
    name: str = Field(min_length=1, max_length=MOST_LINE)
    kind: DesignationKind
    legal_basis: str = Field(min_length=1, max_length=MOST_TEXT)
    aliases: list[Annotated[str, Field(min_length=1, max_length=MOST_LINE)]] = Field(
        default=[], max_length=MOST_LISTED)
    programme: str | None = Field(default=None, max_length=MOST_LINE)
    claims: list[str] = Field(default=[], max_length=MOST_EVIDENCE)
    evidence: list[str] = Field(default=[], max_length=MOST_EVIDENCE)
    share_with: list[str] = Field(default=[], max_length=MOST_RECIPIENTS)
    # When the designating authority made it: a STIX timestamp, or a date (its midnight, UTC),
    # as the command line takes it; none: now. Its syntax in the description; the calendar
    # (no 30 February) checked by the handler, a 400.
    designated: str | None = Field(default=None, max_length=40, pattern=DATE_OR_TIMESTAMP,
                                   examples=["2014-05-19", "2014-05-19T00:00:00Z"])


# What one batch may ask the screener to read: its work grows with the characters of the
# names (about 15-40 µs each), so 10,000 names of 500 characters would hold a worker for
# minutes (bench/README.md, "Screening names"). Ten thousand names of 40 characters fit.
MOST_BATCH_CHARACTERS = 400_000
HAN_WEIGHT = 20  # what a character of Chinese script counts for (bench: 31 µs against 1.5)


class BatchIn(Input):
    names: list[Annotated[str, Field(min_length=1, max_length=MOST_SCREENED_CHARS)]] = Field(
        min_length=1, max_length=10_000)

    @field_validator("names")
    @classmethod
    def _within_the_budget(cls, names: list[str]) -> list[str]:
        # A name that gives several (brackets, slashes, a.k.a.) is screened as each of them:
        # it counts as many times (names.name_variants).
        # A character of Chinese script is read as pinyin, several ways: screening it costs
        # about twenty times a Latin letter (800 names of 500 took 14 s): it counts as much.
        total = sum((len(name) + (HAN_WEIGHT - 1) * han_count(name)) * len(name_variants(name))
                    for name in names)
        if total > MOST_BATCH_CHARACTERS:
            raise ValueError(f"{len(names):,} names of {total:,} characters in all (a name "
                             "that gives several counted once for each, a character of "
                             f"Chinese script as {HAN_WEIGHT}); a batch holds at "
                             f"most {MOST_BATCH_CHARACTERS:,} characters: send them in "
                             "several batches")
        return names


class AmendmentIn(Input):
    # Bounded as a designation's own fields are (DesignationIn): a 7 MB text was taken to the
    # record, and refused there in words about something else.
    aliases: list[Annotated[str, Field(min_length=1, max_length=MOST_LINE)]] = Field(
        default=[], max_length=MOST_LISTED)
    programme: str | None = Field(default=None, max_length=MOST_LINE)
    legal_basis: str | None = Field(default=None, max_length=MOST_TEXT)


class LiftIn(Input):
    reason: str = Field(min_length=1, max_length=MOST_TEXT)


# Where the record's names for a body's fields are in it: the same names.
CLAIM_FIELDS = fields_of(ClaimIn)
POSITION_FIELDS = fields_of(PositionIn)
DESIGNATION_FIELDS = fields_of(DesignationIn)
AMENDMENT_FIELDS = fields_of(AmendmentIn)
LIFT_FIELDS = fields_of(LiftIn)


def add_attribution_routes(api: FastAPI, node: Node,
                           principal: Callable[..., Awaitable[Principal]]) -> None:
    record = AttributionRecord(node)
    once = Once(node)

    def actor_of(caller: Principal, *, acting: bool) -> Actor:
        if acting and caller.role not in ACTING_ROLES:
            raise HTTPException(403, f"{a_or_an(caller.role)} token may read attribution but not "
                                     "claim, take positions or designate (that takes the "
                                     "liaison role)")
        return Actor(node.directory.party(caller.party_id), caller.token_id,
                     caller.person_name)

    def read(caller: Principal, action: str, ids: tuple[str, ...]) -> None:
        node.reads.record(Event(now_timestamp(), action, caller.party_id, caller.token_id,
                                None, ids))

    def attempt(work: Callable[[], Any], fields: dict[str, str] | None = None) -> Any:
        """What `work` returns, or its refusal, located among the body's `fields`."""
        try:
            return work()
        except (NoSuchClaim, NoSuchDesignation) as error:
            raise HTTPException(404, str(error)) from None
        except AttributionError as error:
            raise located(409 if error.conflict else 400, error, fields or {}) from None

    def shown_claim(actor: Actor, claim_id: str) -> dict[str, Any]:
        standing = attempt(lambda: record.standing(actor, claim_id))
        return claim_json(standing, record.names_in(actor, [standing]))

    @api.post("/claims", status_code=201, responses=keyed(201),
              summary="Attribute activity to an actor and/or a sponsoring state")
    def make_claim(body: ClaimIn, request: Request, response: Response,
                   caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        actor = actor_of(caller, acting=True)

        def make(first: First | None) -> dict[str, Any]:
            standing = attempt(lambda: record.claim(actor, ClaimDraft(
                body.subject, tuple(body.attributed_to), tuple(body.basis), body.confidence,
                body.summary, body.sponsor, tuple(body.evidence), tuple(body.share_with)),
                first), CLAIM_FIELDS)
            return claim_json(standing, record.names_in(actor, [standing]))

        return once.answer(key, caller, request, response, body, 201, make,
                           lambda made: shown_claim(actor, made))

    @api.post("/claims/{claim_id}/positions", status_code=201, responses=keyed(201),
              summary="Take a position on a claim (agree … deny)")
    def take_position(claim_id: str, body: PositionIn, request: Request, response: Response,
                      caller: Principal = Depends(principal), key: Key = None
                      ) -> dict[str, Any]:
        actor = actor_of(caller, acting=True)

        def make(first: First | None) -> dict[str, Any]:
            standing = attempt(lambda: record.respond(
                actor, claim_id, body.position, body.text, basis=tuple(body.basis),
                evidence=tuple(body.evidence), competing_claim=body.competing_claim,
                first=first), POSITION_FIELDS)
            return claim_json(standing, record.names_in(actor, [standing]))

        return once.answer(key, caller, request, response, body, 201, make,
                           lambda _made: shown_claim(actor, claim_id))

    @api.get("/claims", responses=READS, summary="Claims you may read, oldest first")
    def claims(
        request: Request, response: Response, subject: str | None = None,
        limit: Limit = LISTED, after: After = None,
        caller: Principal = Depends(principal),
    ) -> list[dict[str, Any]]:
        """Oldest first, `limit` at a time: when more follow, the `Link` header names the next
        page (rel="next")."""
        actor = actor_of(caller, acting=False)
        found, following = record.claims_page(actor, subject, limit=limit,
                                               after=date_added_cursor(after))
        names = record.names_in(actor, found)
        read(caller, "claim.list", tuple(s.claim.id for s in found))
        link_next(request, response, limit, following)
        return [claim_json(s, names) for s in found]

    @api.get("/claims/{claim_id}", responses=READS_ONE,
             summary="A claim, every position on it, and how it stands")
    def claim(claim_id: str, caller: Principal = Depends(principal)) -> dict[str, Any]:
        actor = actor_of(caller, acting=False)
        standing = attempt(lambda: record.standing(actor, claim_id))
        read(caller, "claim.read", (claim_id,))
        return claim_json(standing, record.names_in(actor, [standing]))

    # Not found is no answer here: a subject nobody attributes (or none the caller may read)
    # is "no party attributes it", the same whether it exists or not.
    @api.get("/attribution/{subject}", responses=READS_ANY_ID,
             summary="The disputed attribution of a subject: every claim, every position, "
                     "and why it stands so")
    def attribution(subject: str, caller: Principal = Depends(principal)) -> dict[str, Any]:
        """Every claim on the subject the caller may read; none ("No party attributes this
        activity.") for a subject that does not exist, as for one it may not read."""
        if identifier_type(subject) is None:  # not "no party attributes it": no such thing
            raise refused(400, "path.subject", "give the STIX id of an incident, campaign, "
                          "intrusion set or request (type--UUID)",
                          f"subject {subject[:80]!r}: give the STIX id of an incident, "
                          "campaign, intrusion set or request (type--UUID)")
        actor = actor_of(caller, acting=False)
        standing = record.subject(actor, subject)
        read(caller, "attribution.read", (subject, *(c.claim.id for c in standing.claims)))
        return subject_json(standing, record.names_in(actor, standing.claims, [subject]))

    @api.post("/designations", status_code=201, responses=keyed(201),
              summary="Designate a firm or individual")
    def designate(body: DesignationIn, request: Request, response: Response,
                  caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        designated = body.designated
        if designated is not None and len(designated) == len("2014-05-19"):
            designated += "T00:00:00Z"
        if designated is not None and not is_timestamp(designated):
            raise refused(400, "body.designated", f"{body.designated!r} is not a date such "
                          "as 2014-05-19, nor a time such as 2014-05-19T08:00:00Z")
        actor = actor_of(caller, acting=True)

        def make(first: First | None) -> dict[str, Any]:
            made = attempt(lambda: record.designate(actor, DesignationDraft(
                body.name, body.kind, body.legal_basis, tuple(body.aliases), body.programme,
                tuple(body.claims), tuple(body.evidence), tuple(body.share_with),
                parse_timestamp(designated) if designated else None), first),
                DESIGNATION_FIELDS)
            return designation_json(made, node.directory.names())

        return once.answer(key, caller, request, response, body, 201, make, lambda made: (
            designation_json(attempt(lambda: record.designation(actor, made)),
                             node.directory.names())))

    @api.post("/designations/{designation_id}/amendment", responses=ACTING,
              summary="Amend a designation (a new version of it)")
    def amend(designation_id: str, body: AmendmentIn,
              caller: Principal = Depends(principal)) -> dict[str, Any]:
        actor = actor_of(caller, acting=True)
        amended = attempt(lambda: record.amend(actor, designation_id, aliases=tuple(
            body.aliases), programme=body.programme, legal_basis=body.legal_basis),
            AMENDMENT_FIELDS)
        return designation_json(amended, node.directory.names())

    @api.post("/designations/{designation_id}/lifting", responses=ACTING,
              summary="Lift a designation (a new version of it)")
    def lift(designation_id: str, body: LiftIn,
             caller: Principal = Depends(principal)) -> dict[str, Any]:
        actor = actor_of(caller, acting=True)
        lifted = attempt(lambda: record.lift(actor, designation_id, body.reason), LIFT_FIELDS)
        return designation_json(lifted, node.directory.names())

    @api.get("/screen", responses=READS, summary="Is a name designated, or a known actor's?")
    def screen(name: Annotated[str, Query(min_length=1, max_length=MOST_SCREENED_CHARS)],
               limit: Annotated[int, Query(ge=1, le=50)] = 10,
               caller: Principal = Depends(principal)) -> dict[str, Any]:
        """Screens `name` against the designations in force and the actors' names and
        aliases the caller's party may read; each result says why it matched. `match` is true
        at or above the default threshold."""
        if not name.strip():  # as the command line says it: not "nothing matches"
            raise refused(400, "query.name", "it is empty (spaces alone); give the name to "
                          "screen")
        actor = actor_of(caller, acting=False)
        listing = watchlist(record, actor)
        hits = listing.screen(name, limit)
        node.reads.record(Event(now_timestamp(), "screen", caller.party_id, caller.token_id,
                                None, tuple(h.match.id for h in hits), {"query": name}))
        said: dict[str, Any] = {"query": name, "matches": [h.as_json() for h in hits]}
        if listing.left_out:
            # Actors a poster's share of the list had no room for (docs/limits.md): a name
            # that matches none may still be one of theirs.
            said["actors_left_out"] = listing.left_out
        return said

    @api.post("/screen", responses=READS,
              summary="Screen a batch of names (at most 10,000)")
    def screen_batch(body: BatchIn, caller: Principal = Depends(principal)
                     ) -> list[dict[str, Any]]:
        actor = actor_of(caller, acting=False)
        listing = watchlist(record, actor)
        found = [(name, listing.screen(name, 3)) for name in body.names]
        # Who screened whom, and what matched, as a single screening records it.
        node.reads.record(Event(now_timestamp(), "screen.batch", caller.party_id,
                                caller.token_id, None,
                                tuple(dict.fromkeys(h.match.id for _, hits in found
                                                    for h in hits)),
                                {"names": len(body.names), "queries": list(body.names)}))
        # As a single screening says it: a name that matches none may be a left-out actor's.
        left_out = {"actors_left_out": listing.left_out} if listing.left_out else {}
        return [{"query": name, "matches": [h.as_json() for h in hits], **left_out}
                for name, hits in found]

    @api.get("/schemas/attribution-v1.json", responses=PUBLIC,
             summary="JSON schema of Accord's attribution objects")
    def schema() -> dict[str, Any]:
        return json_schema()

    @api.get("/designations", responses=READS,
             summary="Designations you may read, the latest made, amended or lifted first")
    def designations(
        request: Request, response: Response,
        limit: Limit = LISTED, after: After = None,
        caller: Principal = Depends(principal),
    ) -> list[dict[str, Any]]:
        """Each as its newest version says, `limit` at a time: when more follow, the `Link`
        header names the next page (rel="next")."""
        found, following = record.designations_page(actor_of(caller, acting=False),
                                                     limit=limit, after=date_added_cursor(after))
        read(caller, "designation.list", tuple(d.id for d in found))
        link_next(request, response, limit, following)
        names = node.directory.names()
        return [designation_json(d, names) for d in found]
