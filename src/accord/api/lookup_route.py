"""`GET /api/v1/lookup`, the REST API's most asked operation: what a machine asks hundreds of
times a minute, and an analyst waits for.

`answer` is the operation itself. FastAPI's route (api.app) declares and documents it, and
answers every request that needs FastAPI's work: a refused token, a parameter missing, of the
wrong kind, out of range or given twice, a NUL, a body. `Plain` takes the rest first, the
well-formed question of a known token, and answers it the same way without the route's
dependency solving and parameter models: about a tenth of a look-up's server time, where the
look-up itself is one statement (bench/README.md, "Scale on PostgreSQL").
"""

from __future__ import annotations

import orjson
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from accord.correlation.values import guess
from accord.node import Node
from accord.nul import NUL
from accord.stix.timestamps import now_timestamp
from accord.store.correlations import Correlations
from accord.store.engine import one_connection
from accord.trust.access import Principal
from accord.trust.audit import Event
from accord.trust.credentials import from_authorization

LONGEST_VALUE = 2048
MOST_RESULTS = 1000
DEFAULT_LIMIT = 100


async def answer(node: Node, caller: Principal, value: str, limit: int) -> Response:
    """Every object the caller may read that mentions `value`, and apart those naming a
    network around it too broad to count (LookupOut's fields, written straight: validating
    what the store made and serialising it again cost a look-up a tenth of its time)."""
    read_as = guess(value)
    correlations = Correlations(node.engine)
    # A small look-up (two index probes, bounded) on the event loop, as TAXII reads are:
    # a hop to a worker thread and back costs more than it does. Its statement shares the
    # connection the loop keeps (store.resident). Anything larger, in a worker thread.
    with one_connection():
        looked = correlations.small_look_up(caller.party_id, read_as, limit)
    if looked is None:
        looked = await run_in_threadpool(correlations.look_up, caller.party_id, read_as, limit)
    found, broad = looked.found, looked.over_broad
    node.reads.record(Event(now_timestamp(), "lookup", caller.party_id, caller.token_id,
                            None, tuple(m.id for m in found + broad), {"value": value}))
    return Response(orjson.dumps({
        "value": value, "read_as": [{"kind": v.kind, "value": v.value} for v in read_as],
        "count": len(found), "results": [m.as_json() for m in found],
        "over_broad": [m.as_json() for m in broad]}), media_type="application/json")


class Plain:
    """An ASGI app ahead of FastAPI's look-up route: the plain question of a known token
    answered here, anything else handed to `route` as it came."""

    def __init__(self, node: Node, route: APIRoute) -> None:
        self.node = node
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        asked = _plain_question(request)
        caller = None
        if asked is not None:
            # The token as authentication looks it up first (kept a second: recent_tokens);
            # one it does not know goes to the route, which refuses it, counts and records
            # the refusal, and answers 401 or 429.
            credential = from_authorization(request.headers.get("authorization"))
            with one_connection():
                caller = self.node.directory.principal(credential.secret)
        if asked is None or caller is None:
            await self.route.handle(scope, receive, send)
            return
        response = await answer(self.node, caller, *asked)
        await response(scope, receive, send)


def _plain_question(request: Request) -> tuple[str, int] | None:
    """(value, limit) of a question FastAPI would take as it is: `value` of 1 to 2,048
    characters, `limit` absent or a whole number from 1 to 1,000, nothing else in the query,
    nothing given twice, no NUL, no body. None for anything else."""
    if request.method != "GET" or "content-type" in request.headers \
            or "content-length" in request.headers or "transfer-encoding" in request.headers:
        return None
    items = request.query_params.multi_items()
    given = dict(items)
    if len(given) != len(items) or not given.keys() <= {"value", "limit"}:
        return None
    value, limit = given.get("value"), given.get("limit", str(DEFAULT_LIMIT))
    if not value or len(value) > LONGEST_VALUE or NUL in value:
        return None
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 4 and limit[0] != "0"):
        return None
    number = int(limit)
    return (value, number) if 1 <= number <= MOST_RESULTS else None
