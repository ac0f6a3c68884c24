"""The REST API: look-ups in the correlation index, requests of the cooperation mechanism and
their review, and, for admins, the audit trail."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.routing import Route

from accord.api.attribution import add_attribution_routes
from accord.api.callers import principal_of
from accord.api.docs import add_docs_routes
from accord.api.lookup_route import DEFAULT_LIMIT, MOST_RESULTS, Plain, answer
from accord.api.paging import After, link_next
from accord.api.problems import (
    READS,
    READS_ANY_ID,
    errors,
    install,
    plain_input,
    problem,
    refused,
)
from accord.api.requests import add_request_routes
from accord.api.translations import add_translation_routes
from accord.correlation.values import LONGEST_VALUE
from accord.node import Node
from accord.stix.identifiers import identifier_type
from accord.stix.timestamps import TIMESTAMP_SYNTAX, is_timestamp, now_timestamp
from accord.store.audit_log import AuditQuery
from accord.store.audit_search import record_number
from accord.store.correlation_seeks import MOST_COUNTED
from accord.store.correlations import Correlations
from accord.store.directory import DirectoryError
from accord.store.directory_entries import is_uuid
from accord.store.faults import noted
from accord.store.inside_seeks import MOST_INSIDE
from accord.trust.access import Principal
from accord.trust.audit import Event


class Matched(BaseModel):
    kind: str
    value: str


class CollectionRef(BaseModel):
    id: str
    title: str


class MentionOut(BaseModel):
    id: str
    type: str
    name: str | None
    version: str
    collection: CollectionRef
    marking: str
    created_by: str | None
    first_seen: str | None
    last_seen: str | None
    matched: Matched
    date_added: str
    sightings: int = Field(description="Sightings of it the caller may read (every one, for "
                                       f"its creator), counted up to {MOST_COUNTED:,}")
    more_sightings: bool = Field(description="More sightings than `sightings` (past "
                                            f"{MOST_COUNTED:,})")


class SightingOut(BaseModel):
    id: str
    by: str | None
    count: int | None
    first_seen: str | None
    last_seen: str | None
    where_sighted_refs: list[str]
    marking: str
    collection: str


class LookupOut(BaseModel):
    value: str
    read_as: list[Matched]  # how the value was understood (an IP, a domain, a hash …)
    count: int  # of `results`
    more: bool = Field(
        default=False, description="True where more objects mention the value than `limit`: "
        "`results` are the newest; ask again with a larger limit (up to "
        f"{MOST_RESULTS:,}), or narrow the value")
    results: list[MentionOut]
    # Objects naming a network around the value that is too broad to be a match (IPv4 shorter
    # than /8, IPv6 shorter than /32, e.g. 0.0.0.0/0): listed apart, not counted.
    over_broad: list[MentionOut] = Field(
        default_factory=list, description="Objects that name a network around the value "
        "broader than IPv4 /8 or IPv6 /32 (e.g. 0.0.0.0/0): over-broad, not matched, not "
        "counted")
    complete: bool = Field(
        default=True, description="False where the value is a network holding more "
        f"mentions than one look-up reads ({MOST_INSIDE:,} index rows, in address order): "
        "`results` are then the newest of those read, every mention of an address below "
        "`read_below` and none beyond; look up a narrower network for the rest")
    read_below: str | None = Field(
        default=None, description="Where an incomplete look-up stopped reading (an address)")


class AuditRecordOut(BaseModel):
    seq: int
    at: str
    action: str
    party_id: str | None
    token_id: str | None
    collection_id: str | None
    object_ids: list[str]
    detail: dict[str, Any]
    hash: str


# A STIX timestamp as a query parameter: its syntax in the description, the calendar (no
# 30 February) checked by is_timestamp.
Stamp = Annotated[str, Query(pattern=TIMESTAMP_SYNTAX, examples=["2016-04-06T20:07:09.000Z"])]


def build_api(node: Node) -> FastAPI:
    api = FastAPI(title="Accord REST API", version="1", openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, dependencies=[Depends(plain_input)],
                  description="Correlation look-ups, the requests of the cooperation "
                              "mechanism, attribution and the audit trail of an Accord node. "
                              "Authenticate with `Authorization: Bearer TOKEN`, or HTTP Basic "
                              "with the token as password. Every error answers a `Problem`.")

    install(api)
    add_docs_routes(api)
    principal = principal_of(node)

    @api.exception_handler(DBAPIError)
    @api.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        fault = noted(exc, f"{request.method} {request.url.path}")
        if fault is None:
            logging.getLogger("accord").exception(
                "unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
            return problem(500, "the server failed to handle this request; it has been logged")
        return problem(fault.status, fault.words, headers=fault.headers)

    @api.get("/lookup", response_model=LookupOut, responses=READS,
             summary="Objects that mention a value")
    async def lookup(value: Annotated[str, Query(min_length=1, max_length=LONGEST_VALUE,
                                           description="An IP address or network, domain, "
                                                       "URL, e-mail address or file hash")],
               limit: Annotated[int, Query(ge=1, le=MOST_RESULTS)] = DEFAULT_LIMIT,
               caller: Principal = Depends(principal)) -> Response:
        """Every object the caller may read that mentions `value` (values held only in objects
        it may not read are not shown, nor counted). Objects that name a network around it too
        broad to say anything of it (0.0.0.0/0) are listed apart, in `over_broad`."""
        return await answer(node, caller, value, limit)

    # The plain question of a known token is answered ahead of the route (api.lookup_route).
    route = next(r for r in api.router.routes if isinstance(r, APIRoute) and r.path == "/lookup")
    plain = Route("/lookup", Plain(node, route), methods=["GET"], include_in_schema=False)
    plain.methods = {"GET"}  # as the route's: Starlette would add HEAD, which the route refuses
    api.router.routes.insert(api.router.routes.index(route), plain)

    # Not found is no answer here: an object the caller may not read must look as one that
    # does not exist, and the sightings of it that it may read are still its to read.
    @api.get("/objects/{object_id}/sightings", response_model=list[SightingOut],
             responses=READS_ANY_ID,
             summary="Feedback: sightings of an object")
    def object_sightings(object_id: str, caller: Principal = Depends(principal)
                         ) -> list[SightingOut]:
        """Who reported seeing the object, how often and where: every report for the object's
        creator, otherwise only the reports the caller may read. None (`[]`) for an object
        that does not exist, as for one the caller may not read."""
        if identifier_type(object_id) is None:
            # As `accord sightings` says it.
            raise refused(400, "path.object_id", f"{object_id[:80]!r} is not a STIX id such "
                          "as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
        found = Correlations(node.engine).sightings_of(caller.party_id, object_id)
        node.reads.record(Event(now_timestamp(), "sightings.read", caller.party_id,
                                caller.token_id, None, tuple(s.id for s in found),
                                {"sighting_of_ref": object_id}))
        return [SightingOut(**s.as_json()) for s in found]

    @api.get("/audit", response_model=list[AuditRecordOut], responses=errors(400, 401, 403, 422),
             summary="The audit trail (admins)")
    def audit(request: Request, response: Response,
              party: str | None = None, person: str | None = None,
              object_id: str | None = None,
              action: str | None = None, since: Stamp | None = None, until: Stamp | None = None,
              collection: str | None = None,
              limit: Annotated[int, Query(ge=1, le=10000)] = 100,
              after: After = None,
              caller: Principal = Depends(principal)) -> list[AuditRecordOut]:
        """Audit records, newest first, by party id, person id (see `accord person list`),
        object id, action, time and collection id, `limit` at a time: while older ones may
        match, the `Link` header names the next page (rel="next"). One search looks at
        100,000 records at most: where it stopped short of its page,
        `Accord-Search-Stopped-At` names the record it reached, and the next page goes on
        from there."""
        if caller.role != "admin" or caller.party_id != node.party.id:
            raise HTTPException(403, "only an admin of this node's own party may read the "
                                     "audit trail")
        for name, stamp in (("since", since), ("until", until)):
            if stamp is not None and not is_timestamp(stamp):
                raise refused(400, f"query.{name}", f"{stamp!r} is not a timestamp such as "
                              "2016-04-06T20:07:09.000Z")
        party, collection = _party_named(party), _collection_named(collection)
        if person is not None and not is_uuid(person):
            raise refused(400, "query.person", f"{person[:80]!r} is not a person's id (see "
                          "`accord person list`)")
        if person is not None and not node.directory.is_person(person):
            raise refused(400, "query.person", f"nobody on this node has the id {person!r} "
                          "(see `accord person list`)")
        before = record_number(after) if after is not None else None
        if after is not None and before is None:
            raise refused(400, "query.after", f"{after[:40]!r} is not a cursor this listing "
                          "gave; follow the Link header of the page before")
        page = node.audit.search(AuditQuery(party, person, object_id, action, since, until,
                                            limit, before, collection_id=collection))
        link_next(request, response, limit,
                  None if page.next_before is None else str(page.next_before))
        if page.stopped:
            response.headers["accord-search-stopped-at"] = str(page.next_before)
        return [AuditRecordOut(seq=r.seq, at=r.event.at, action=r.event.action,
                               party_id=r.event.party_id, token_id=r.event.token_id,
                               collection_id=r.event.collection_id,
                               object_ids=list(r.event.object_ids), detail=r.event.detail,
                               hash=r.hash) for r in page.records]

    def _party_named(party: str | None) -> str | None:
        """A party's id, from its name or id; an identity id this node no longer knows is
        searched as given (the trail keeps what parties since moved or gone did)."""
        if party is None or identifier_type(party) == "identity":
            return party
        found = node.directory.find_party(party)
        if found is None:
            raise refused(400, "query.party", f"no party {party[:80]!r} on this node (give a "
                          "party's name or identity id)")
        return found.id

    def _collection_named(collection: str | None) -> str | None:
        """A collection's id, from its id, alias or title (Directory.collection); an id no
        longer known is searched as given."""
        if collection is None or is_uuid(collection):
            return collection
        try:
            return node.directory.collection(collection).id
        except DirectoryError:  # none, or several of that title
            raise refused(400, "query.collection", f"{collection[:80]!r} is not one "
                          "collection's id, alias or title on this node") from None

    @api.get("/node", responses=errors(400, 401),
             summary="This node: its party's STIX identity and its signing key")
    def this_node(caller: Principal = Depends(principal)) -> dict[str, Any]:
        """What a peer pins (`accord peer add`): the identity objects created here name, the
        Ed25519 public key their signatures verify against, and every key the node had,
        each with the announcement its predecessor signed (what a peer follows)."""
        from accord.federation.keys import published

        node.reads.record(Event(now_timestamp(), "node.read", caller.party_id,
                                caller.token_id, None, ()))
        return published(node)

    add_request_routes(api, node, principal)
    add_translation_routes(api, node, principal)
    add_attribution_routes(api, node, principal)
    return api
