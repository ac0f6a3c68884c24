"""The TAXII 2.1 endpoints (§4 API root, status, collections; §5 objects, manifest, versions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from operator import attrgetter
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.attribution.arrivals import NAMED, screen_arrivals
from accord.intake import accept
from accord.node import Node
from accord.nul import nul_in
from accord.stix.limits import CONTAINERS_PER_OBJECT, pattern_budget
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Collection
from accord.store.engine import one_connection, writing
from accord.store.query import ALL, FIRST, LAST, Page, Reader
from accord.store.removal_rules import InLedger, NotYours, OnRecord
from accord.taxii import resources
from accord.taxii.auth import authenticate, collection_named
from accord.taxii.errors import TaxiiError, response_for
from accord.taxii.filters import (
    OBJECT_FILTERS,
    OBJECTS_FILTERS,
    VERSIONS_FILTERS,
    PagingTokens,
    parse_query,
)
from accord.taxii.media import TAXII_21, accepts_stix, accepts_taxii, is_taxii_content
from accord.trust.access import Grant, Principal, effective, is_operator
from accord.trust.audit import Event

Handler = Callable[[Request, Node, Principal], Awaitable[Response]]


def taxii(stix_too: bool = False, **handlers: Handler
          ) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint: authenticate, negotiate, dispatch on the method, translate errors.
    `stix_too`: its Accept may name STIX 2.1 JSON alone (the manifest's, TAXII 2.1 §5.3, lists
    both media types), answered in TAXII 2.1 JSON all the same."""
    def accepted(accept: str) -> bool:
        return accepts_taxii(accept) or (stix_too and accepts_stix(accept))

    async def endpoint(request: Request) -> Response:
        node: Node = request.app.state.node
        if request.method not in ("GET", "HEAD"):
            return await answer(request, node)
        # A read's token, grant and objects on one pooled connection (a POST or DELETE writes
        # in a transaction of its own, in a worker thread).
        with one_connection():
            return await answer(request, node)

    async def answer(request: Request, node: Node) -> Response:
        try:
            principal = authenticate(node, request)
            accept = request.headers.get("accept")
            if accept is not None and not accepted(accept):
                # Several Accept lines are one list (RFC 9110 §5.3): read them all, but only
                # when the first alone does not do.
                accept = ", ".join(request.headers.getlist("accept"))
                if not accepted(accept):
                    raise TaxiiError(406, f"this server sends only {TAXII_21}; the Accept "
                                     f"header asked for {accept!r}")
            nul = nul_in(request)
            if nul is not None:
                raise TaxiiError(400, f"the {'URL parameter' if nul[0] == 'query' else nul[0]} "
                                 f"{nul[1]!r} holds a NUL character")
            # Starlette answers HEAD like GET.
            handler = handlers["get" if request.method == "HEAD" else request.method.lower()]
            return await handler(request, node, principal)
        except TaxiiError as error:
            return response_for(error)

    return endpoint


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(raw, status_code=status, media_type=TAXII_21, headers=headers)


def _api_root(request: Request, node: Node) -> None:
    if request.path_params["api_root"] != node.info.api_root:
        raise TaxiiError(404, f"no API root {request.path_params['api_root']!r} on this server")


def _collection(request: Request, node: Node, principal: Principal) -> tuple[Collection, Grant]:
    _api_root(request, node)
    cid = request.path_params["collection_id"]
    found = collection_named(node, request, principal)
    if found is None:
        # The same answer whether it does not exist or is not this party's to see.
        raise TaxiiError(404, f"no collection {cid!r} is available to you")
    return found[0], effective(principal, found[1])


def _readable(request: Request, node: Node, principal: Principal) -> Collection:
    collection, grant = _collection(request, node, principal)
    if not grant.can_read:
        raise TaxiiError(403, f"you may write to collection {collection.id} but not read it"
                         if grant.can_write else f"you may not read collection {collection.id}")
    return collection


async def discovery(request: Request, node: Node, principal: Principal) -> Response:
    # A configured public URL, not the Host header: behind a proxy the request's own URL is
    # wrong (http for https), and a client must not be able to choose what we announce.
    # Without one, relative URLs (TAXII 2.1 §4.1.1: HTTPS absolute, or relative).
    # (A plain http:// one, kept from before serve refused it, is not announced.)
    public = node.info.public_url
    return _json(resources.discovery(node.info, public if public and public.startswith(
        "https://") else f"{request.scope.get('root_path', '')}/"))


async def api_root(request: Request, node: Node, principal: Principal) -> Response:
    _api_root(request, node)
    return _json(resources.api_root(node.info))


async def status(request: Request, node: Node, principal: Principal) -> Response:
    _api_root(request, node)
    sid = request.path_params["status_id"]
    found = node.statuses.get(sid, principal.party_id)
    if found is None:
        raise TaxiiError(404, f"no status {sid!r} is available to you")
    return _json(found.resource())


async def collections(request: Request, node: Node, principal: Principal) -> Response:
    _api_root(request, node)
    listed = [resources.collection(c, effective(principal, g))
              for c, g in node.directory.collections_for(principal.party_id)]
    return _json({"collections": listed} if listed else {})


async def collection(request: Request, node: Node, principal: Principal) -> Response:
    found, grant = _collection(request, node, principal)
    return _json(resources.collection(found, grant))


async def get_objects(request: Request, node: Node, principal: Principal) -> Response:
    return objects_answer(node, principal, _readable(request, node, principal),
                          request.query_params)


def objects_answer(node: Node, principal: Principal, collection: Collection,
                   params: QueryParams) -> Response:
    """GET …/objects/ of a collection the principal may read: the envelope (recorded as
    served). The full path and the hot lane (taxii.hot_reads) both answer so."""
    tokens = _tokens(node, collection, principal)
    query = parse_query(params, OBJECTS_FILTERS, max_page=node.info.max_page,
                        reader=_reader(principal, collection),
                        most_bytes=node.info.max_page_bytes, tokens=tokens,
                        most_walked=node.info.most_walked)
    page = node.objects.page(collection.id, query, polled=True)
    # The envelope before the record: sealing its `next` may write the node's paging key,
    # and a read that fails there was not served (the lane hands it over, to be read again).
    body = resources.envelope(page, tokens)
    _served(node, principal, "objects.read", collection, page)
    return _json(body, headers=resources.date_added_headers(page))


async def add_objects(request: Request, node: Node, principal: Principal) -> Response:
    collection, grant = _collection(request, node, principal)
    if not grant.can_write:
        raise TaxiiError(403, f"you may not write to collection {collection.id}")
    content_type = request.headers.get("content-type")
    if not is_taxii_content(content_type):
        raise TaxiiError(415, f"send the objects as {TAXII_21}, not {content_type!r}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise TaxiiError(415, f"this server reads request bodies as sent, not in the "
                         f"Content-Encoding {encoding!r}: send the envelope uncompressed")
    request_timestamp = now_timestamp()  # TAXII 2.1 §4.3.1: when the request arrived
    body = await _body(request, node.info.max_content_length)
    objects = _objects_of(body, node.info.max_objects)
    # Validating and storing take long and may wait for the database's write lock: in a
    # worker thread, so that reads on this worker go on meanwhile.
    known = frozenset(p.id for p in node.directory.parties())
    report = await run_in_threadpool(accept, node.engine, collection, objects,
                                     party_id=principal.party_id, token_id=principal.token_id,
                                     request_timestamp=request_timestamp, party_ids=known,
                                     poster_reads=grant.can_read,
                                     operator=is_operator(principal, node.party.id),
                                     pattern_budget=pattern_budget(node.info.max_objects),
                                     role=principal.role)
    assert report.status is not None  # accept() records one for every TAXII POST
    # A refused object's "type" may be anything JSON holds (a list is not a key of NAMED).
    if report.added and any(isinstance(o, dict) and isinstance(o.get("type"), str)
                            and o["type"] in NAMED for o in objects):
        # A slice; the tick does the rest, and screens what was stored before a designation.
        await run_in_threadpool(lambda: screen_arrivals(node, 1, stored_before=False))
    return _json(report.status.resource(), status=202)


def _objects_of(body: bytes, max_objects: int) -> list[Any]:
    """The envelope's objects, refused whole when parsing or holding them would cost too much:
    with a 422, since a body within max_content_length MUST NOT get a 413 (TAXII 2.1 §4.2.1)."""
    # Counted before parsing, at C speed: every JSON object or array opens with one of these
    # bytes (a string may hold some too, which only counts high). A megabyte of {} would
    # otherwise become 300,000 dictionaries before the object count below could refuse them.
    containers = body.count(b"{") + body.count(b"[")
    if containers > max_objects * CONTAINERS_PER_OBJECT:
        raise TaxiiError(422, f"the request body holds {containers} JSON objects and arrays; "
                         f"an envelope may hold at most {max_objects} STIX objects: send them "
                         "in several requests")
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        # 422, as TAXII 2.1 §5.5 lists for "a malformed body" (400 is a request not understood).
        raise TaxiiError(422, f"the request body is not valid JSON: {error}") from None
    if not isinstance(envelope, dict):
        raise TaxiiError(422, "the request body must be a TAXII envelope: a JSON object with "
                         "an 'objects' list")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list):
        raise TaxiiError(422, "the envelope's 'objects' must be a list of STIX objects")
    if not objects:
        # Not a status of 0 objects: a total_count of 0 says processing has not begun (TAXII
        # 2.1 §4.3.1), and an empty list is not a TAXII value (§2).
        raise TaxiiError(422, "the envelope holds no objects ('objects' is missing or "
                         "empty): nothing to add")
    if len(objects) > max_objects:
        raise TaxiiError(422, f"the envelope holds {len(objects)} objects; this API root takes "
                         f"at most {max_objects} per request: send them in several requests")
    return objects


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = TaxiiError(413, f"the request body exceeds this API root's max_content_length "
                           f"of {limit} bytes; send fewer objects per request")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def get_object(request: Request, node: Node, principal: Principal) -> Response:
    return object_answer(node, principal, _readable(request, node, principal),
                         request.path_params["object_id"], request.query_params)


def object_answer(node: Node, principal: Principal, collection: Collection, oid: str,
                  params: QueryParams) -> Response:
    """GET …/objects/{id}/ in a collection the principal may read: the envelope (recorded as
    served), or a TaxiiError 404. As objects_answer, on both paths."""
    page = _one_object(node, principal, collection, oid, params, OBJECT_FILTERS,
                       "objects.read", LAST, bodies=True)
    return _json(resources.envelope(page), headers=resources.date_added_headers(page))


def _one_object(node: Node, principal: Principal, collection: Collection, oid: str,
                params: QueryParams, filters: frozenset[str], action: str,
                default_version: str, *, bodies: bool) -> Page:
    """The page of one object's versions the reader may see (their bodies, or only what
    lists them); 404 if it sees none at all."""
    query = parse_query(params, filters, max_page=node.info.max_page,
                        reader=_reader(principal, collection),
                        default_versions=frozenset({default_version}),
                        most_bytes=node.info.max_page_bytes, bodies=bodies)
    page = node.objects.page(collection.id, query, object_id=oid)
    if not page.items and query.after is None:
        _require_object(node, collection.id, oid, query.reader)
        if query.added_after is None and not query.versions & {ALL, FIRST, LAST}:
            # Only versions named by their timestamps, none here (or none the reader may
            # see): as for a version deleted, 404 (TAXII 2.1 §5.7), not an empty envelope.
            raise TaxiiError(404, f"no version of {oid} in collection {collection.id} has "
                                  "the version asked for (match[version])")
    _served(node, principal, action, collection, page)
    return page


_DELETE_PARAMETERS = frozenset({"match[version]", "match[spec_version]"})


async def delete_object(request: Request, node: Node, principal: Principal) -> Response:
    collection, grant = _collection(request, node, principal)
    if not (grant.can_read or grant.can_write):
        # TAXII 2.1 §5.7: neither permission is answered as if the collection were not there.
        raise TaxiiError(404, f"no collection {request.path_params['collection_id']!r} is "
                         "available to you")
    if not (grant.can_read and grant.can_write):
        raise TaxiiError(403, f"deleting from collection {collection.id} needs read and write "
                         "permission")
    oid = request.path_params["object_id"]
    # What a delete takes is said exactly (TAXII 2.1 §5.7): a parameter it would ignore
    # (`limit`, a misspelt filter) means the client expects less to go than would.
    for key in request.query_params:
        if key not in _DELETE_PARAMETERS:
            raise TaxiiError(400, f"{key}: a delete takes only match[version] and "
                                  "match[spec_version]; nothing was deleted")
    query = parse_query(request.query_params, OBJECT_FILTERS, max_page=node.info.max_page,
                        reader=_reader(principal, collection),
                        paging=False, default_versions=frozenset({ALL}))
    event = Event(now_timestamp(), "objects.delete", principal.party_id, principal.token_id,
                  collection.id, (oid,), {"query": str(request.query_params)})
    try:
        deleted = await run_in_threadpool(_delete, node, collection, oid, query, event)
    except NotYours:
        raise TaxiiError(403, "you may delete only versions your party posted or created "
                         "(removing another's could undo its tightening of a marking)") from None
    except InLedger:
        raise TaxiiError(403, f"{oid} is an entry of a request's ledger, which is append-only: "
                         "it cannot be deleted (a request is ended by a withdrawal, an act "
                         "corrected by a later one)") from None
    except OnRecord:
        raise TaxiiError(403, f"{oid} is on the attribution record, which is append-only: it "
                         "cannot be deleted (a position is changed by a new one, a designation "
                         "amended or lifted by a new version)") from None
    if deleted == 0:
        _require_object(node, collection.id, oid, query.reader)
        raise TaxiiError(404, f"no version of {oid} matches {request.url.query}; nothing was "
                              "deleted")
    # TAXII 2.1 §5.7: no body; the media type still says what answered (every TAXII response
    # carries it).
    return Response(status_code=200, media_type=TAXII_21)


def _delete(node: Node, collection: Collection, oid: str, query: Any, event: Event) -> int:
    """Delete and record it in one transaction: a node that dies between the two must not
    have removed versions without a trace."""
    with writing(node.engine) as conn:
        deleted = node.objects.delete_in(conn, collection.id, oid, query)
        if deleted:
            node.audit.append_in(conn, [replace(event, detail={**event.detail,
                                                               "versions": deleted})])
    return deleted


async def versions(request: Request, node: Node, principal: Principal) -> Response:
    page = _one_object(node, principal, _readable(request, node, principal),
                       request.path_params["object_id"], request.query_params, VERSIONS_FILTERS,
                       "versions.read", ALL, bodies=False)
    return _json(resources.versions(page), headers=resources.date_added_headers(page))


async def manifest(request: Request, node: Node, principal: Principal) -> Response:
    collection = _readable(request, node, principal)
    tokens = _tokens(node, collection, principal)
    query = parse_query(request.query_params, OBJECTS_FILTERS, max_page=node.info.max_page,
                        reader=_reader(principal, collection), bodies=False, tokens=tokens,
                        most_walked=node.info.most_walked)
    page = node.objects.page(collection.id, query, polled=True)
    _served(node, principal, "manifest.read", collection, page)
    return _json(resources.manifest(page, tokens), headers=resources.date_added_headers(page))


def _tokens(node: Node, collection: Collection, principal: Principal) -> PagingTokens:
    return PagingTokens(lambda: node.paging_key, collection.id, principal.party_id)


def _served(node: Node, principal: Principal, action: str, collection: Collection,
            page: Page) -> None:
    """Audit: which versions went to whom (recorded in the background, see AuditBuffer); a
    read that found nothing, as a poll often does, is counted (trust.empty_reads)."""
    if not page.items:
        node.reads.record_empty(Event(now_timestamp(), action, principal.party_id,
                                      principal.token_id, collection.id))
        return
    node.reads.record(Event(
        now_timestamp(), action, principal.party_id, principal.token_id, collection.id,
        tuple(map(_ID, page.items)), {"versions": list(map(_VERSION, page.items))}))


_ID, _VERSION = attrgetter("id"), attrgetter("version")  # (at C speed: 1,000 a full page)


def _reader(principal: Principal, collection: Collection) -> Reader:
    return Reader(principal.party_id, int(collection.default_tlp))


def _require_object(node: Node, collection_id: str, object_id: str,
                    reader: Reader | None) -> None:
    # An object the reader may not see gets the same 404 as one that does not exist.
    if not node.objects.exists(collection_id, object_id, reader):
        raise TaxiiError(404, f"no object {object_id!r} in collection {collection_id}")


ROOT = "/taxii2/{api_root}/"
COLLECTION = ROOT + "collections/{collection_id}/"
OBJECT = COLLECTION + "objects/{object_id}/"

# The most asked first: the router tries each in turn, and no two match the same path.
routes = [
    Route(OBJECT, taxii(get=get_object, delete=delete_object), methods=["GET", "DELETE"]),
    Route(COLLECTION + "objects/", taxii(get=get_objects, post=add_objects),
          methods=["GET", "POST"]),
    Route("/taxii2/", taxii(get=discovery), methods=["GET"]),
    Route(ROOT + "collections/", taxii(get=collections), methods=["GET"]),
    Route(ROOT + "status/{status_id}/", taxii(get=status), methods=["GET"]),
    Route(COLLECTION + "manifest/", taxii(True, get=manifest), methods=["GET"]),
    Route(OBJECT + "versions/", taxii(get=versions), methods=["GET"]),
    Route(COLLECTION, taxii(get=collection), methods=["GET"]),
    Route(ROOT, taxii(get=api_root), methods=["GET"]),
]
