"""The reads TAXII clients make most — a page of a collection's objects, one object by id —
answered without the web framework's request, routing and response machinery.

What a read does is the full path's own code (routes.objects_answer, routes.object_answer:
the token and grant in one statement, the entitlement rule in the page's statement, the audit
record); what the lane leaves out is Starlette's per-request work around it: the exception
middleware, the router trying each route, the Request and Response objects, and the
endpoint's wrapping, which cost a read by id about a fifth of its time in process
(bench/README.md, "The hot lane").

The lane takes only a GET with one token in order, an Accept that admits TAXII 2.1 (or
none), and a collection the token's party may read; it answers what the read then finds (the
page, or the same TAXII error the full path raises past that point: a parameter in error, an
object not there). Anything else — no token or a bad one (whose failure is counted there),
HEAD, several Accept or Authorization lines, a NUL, a collection not the party's, any
exception but the database's (full or away: answered as the app answers it) — goes to the
full path untouched, which answers it as it always has. Nothing is
recorded before the lane's answer is known, so a read handed over is audited once. A test
holds the two paths' answers equal: status, headers, bytes and the audit record.

The node's app asks it first, before its middleware (app.NodeApp): what that middleware does
to such an answer, the lane does itself (Cache-Control: no-store), and a GET that comes with a
body goes the full way (no hot read is sent one). With a read replica, the lane sits
innermost instead, behind read-your-writes, which picks the connection its reads take.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.node import Node
from accord.serving.caching import NOT_STORED
from accord.store.engine import one_connection
from accord.store.faults import noted
from accord.taxii.auth import LOOKED_UP
from accord.taxii.errors import TaxiiError, error_response, response_for
from accord.taxii.media import accepts_taxii
from accord.taxii.routes import object_answer, objects_answer
from accord.trust.access import effective
from accord.trust.credentials import from_authorization

log = logging.getLogger("accord")

# The two routes' paths (routes.OBJECT and COLLECTION + "objects/"): Starlette's `{name}`
# matches one non-empty segment, as each group here does.
_READ = re.compile(r"/taxii2/([^/]+)/collections/([^/]+)/objects/(?:([^/]+)/)?")
_NO_PARAMETERS = QueryParams("")  # immutable: one for every read that has none
_BODY_HEADERS = (b"content-length", b"transfer-encoding")


class HotReads:
    """ASGI middleware: the lane for a node's hot TAXII reads (see the module). Or, with no
    `app`, the lane alone, asked first by the node's app (app.NodeApp) before its middleware
    (`answered`)."""

    def __init__(self, app: ASGIApp | None, node: Node) -> None:
        self.app = app
        self.node = node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self.answered(scope, send):
            assert self.app is not None
            await self.app(scope, receive, send)

    async def answered(self, scope: Scope, send: Send) -> bool:
        """Whether the lane answered the request; if not, nothing was sent."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            return False
        read = _READ.fullmatch(scope["path"])
        try:
            answer = None if read is None else self._answer(scope, read)
        except Exception:
            # Anything else, before the read was recorded (its last step): the full path's,
            # which answers it as it always has (and asked before the middleware, never a
            # bare 500); noted here at debug, for whoever follows a read through the lane.
            log.debug("the hot lane handed a read over after an error", exc_info=True)
            return False
        if answer is None:
            return False
        # As the node's outer middleware adds it to every answer that names none
        # (serving.caching): what a party may read is kept by no cache on the way.
        headers = list(answer.raw_headers)
        if not any(name == b"cache-control" for name, _ in headers):
            headers.append(NOT_STORED)
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": headers})
        await send({"type": "http.response.body", "body": bytes(answer.body)})
        return True

    def _answer(self, scope: Scope, read: re.Match[str]) -> Response | None:
        """The answer, made as the full path makes it, or None: the full path answers."""
        api_root, collection_id, object_id = read.groups()
        query = scope.get("query_string", b"")
        if api_root != self.node.info.api_root or "\x00" in scope["path"] \
                or b"%00" in query or b"\x00" in query:
            return None
        authorization = accept = None
        for name, value in scope["headers"]:
            if name in _BODY_HEADERS and value.strip() != b"0":
                return None  # a GET with a body: no TAXII client sends one; the full way
            if name == b"authorization":
                if authorization is not None:
                    return None
                authorization = value
            elif name == b"accept":
                if accept is not None:
                    return None
                accept = value
        if authorization is None \
                or (accept is not None and not accepts_taxii(accept.decode("latin-1"))):
            return None
        credential = from_authorization(authorization.decode("latin-1"))
        if not credential.secret:
            return None
        try:
            with one_connection():
                looked_up = self.node.directory.principal_and_collection(
                    credential.secret, collection_id)
                principal, found = looked_up
                if principal is None or found is None \
                        or not effective(principal, found[1]).can_read:
                    # Refused there, with the look-up made here (a failing token costs one).
                    scope[LOOKED_UP] = (credential.secret, collection_id, looked_up)
                    return None
                params = QueryParams(query) if query else _NO_PARAMETERS
                if object_id is None:
                    answer = objects_answer(self.node, principal, found[0], params)
                else:
                    answer = object_answer(self.node, principal, found[0], object_id, params)
        except TaxiiError as error:
            # A parameter in error, an object not there: past the token and the grant, the
            # full path would raise the same, and answer it so.
            answer = response_for(error)
        except (DBAPIError, PoolTimeout) as error:
            # As the app answers it (app._database_error): the database full or away is said
            # so (507, 503), not met a second time by the full path while it struggles.
            fault = noted(error, f"GET {scope['path']}")
            if fault is None:  # a fault of ours: the full path logs it and answers 500
                return None
            answer = error_response(fault.status, fault.words, headers=fault.headers)
        return answer
