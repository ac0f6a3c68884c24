"""`GET /api/v1/lookup`, the REST API's most asked operation: what a machine asks hundreds of
times a minute, and an analyst waits for.

`answer` is the operation itself. FastAPI's route (api.app) declares and documents it, and
answers every request that needs FastAPI's work: a parameter missing, of the wrong kind, out
of range or given twice, a NUL, a body. `Plain` takes the rest first, the well-formed question,
and answers it the same way (the token authenticated as the route's dependency does: a
refusal is the same Problem, counted once) without the route's dependency solving and
parameter models: a tenth or so of a look-up's server CPU, where the look-up itself is one
statement (bench/README.md, "Scale on PostgreSQL").
"""

from __future__ import annotations

import orjson
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from accord.api.callers import caller_of
from accord.correlation.values import LONGEST_VALUE, guess, value_text
from accord.node import Node
from accord.nul import NUL
from accord.stix.timestamps import now_timestamp
from accord.store.correlations import Correlations
from accord.store.engine import one_connection
from accord.trust.access import Principal
from accord.trust.audit import Event

MOST_RESULTS = 1000
DEFAULT_LIMIT = 100


async def answer(node: Node, caller: Principal, value: str, limit: int) -> Response:
    """Every object the caller may read that mentions `value`, and apart those naming a
    network around it too broad to count (LookupOut's fields, written straight: validating
    what the store made and serialising it again cost a look-up a tenth of its time)."""
    read_as = guess(value)
    correlations = Correlations(node.engine)
    # A small look-up (one bounded statement on PostgreSQL) on the event loop, as TAXII reads
    # are: a hop to a worker thread and back costs more than it does. It shares the
    # connection the loop keeps (store.resident). Anything larger, in a worker thread.
    # One more than asked: whether there are more than `limit` is said, not left to guess.
    with one_connection():
        looked = correlations.small_look_up(caller.party_id, read_as, limit + 1)
    if looked is None:
        looked = await run_in_threadpool(correlations.look_up, caller.party_id, read_as,
                                         limit + 1)
    found, broad = looked.found[:limit], looked.over_broad
    more = len(looked.found) > limit
    node.reads.record(Event(now_timestamp(), "lookup", caller.party_id, caller.token_id,
                            None, tuple(m.id for m in found + broad), {"value": value}))
    stopped_at = looked.stopped_at
    return Response(orjson.dumps({
        "value": value, "read_as": [{"kind": v.kind, "value": v.value} for v in read_as],
        "count": len(found), "more": more, "results": [m.as_json() for m in found],
        "over_broad": [m.as_json() for m in broad], "complete": stopped_at is None,
        "read_below": value_text(stopped_at) if stopped_at else None}),
        media_type="application/json")


class Plain:
    """An ASGI app ahead of FastAPI's look-up route: a plain question answered here, anything
    else handed to `route` as it came."""

    def __init__(self, node: Node, route: APIRoute) -> None:
        self.node = node
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        asked = _plain_question(request)
        if asked is None:
            await self.route.handle(scope, receive, send)
            return
        # Authenticated as the route's dependency does (one look-up, a refusal counted once,
        # raised as the same HTTPException: FastAPI's handler makes it the same Problem).
        response = await answer(self.node, caller_of(self.node, request), *asked)
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
