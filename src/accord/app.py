"""Build the ASGI application of a node from its `--db` URL."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from accord.allowed_methods import AllowedMethods
from accord.api.app import build_api
from accord.api.problems import problem
from accord.node import Node, open_node
from accord.serving.bodies import BodyLimit
from accord.serving.read_your_writes import ReadYourWrites
from accord.serving.turns import prompt_turns
from accord.store.engine import POOLED
from accord.store.faults import noted
from accord.store.page_memo import remember_pages
from accord.store.resident import keep_resident, release_resident
from accord.taxii.errors import error_response
from accord.taxii.hot_reads import HotReads
from accord.taxii.routes import routes as taxii_routes
from accord.web.app import build_web, favicon

log = logging.getLogger("accord")
API = "/api/v1"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and request.url.path.startswith(API + "/"):
        # A path the API's mount could not take (e.g. a newline in it): the API's error shape.
        return problem(404, f"nothing at {request.url.path}; see {API}/docs")
    if exc.status_code == 404:
        return error_response(404, f"nothing at {request.url.path}; TAXII discovery is at "
                                   "/taxii2/, the web UI at /ui/")
    if exc.status_code == 405:
        return error_response(405, f"{request.method} is not allowed on {request.url.path}",
                              headers=dict(exc.headers or {}))
    return error_response(exc.status_code, str(exc.detail))


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The client left before its body ended, or the listener cut a body that came too slowly
    # (accord.serving.listener): not a server failure, and nobody reads this answer.
    return error_response(400, "the request body ended before it was complete")

async def _database_error(request: Request, exc: Exception) -> Response:
    """The database full or away is said as such (507, 503), in one log line; any other
    database error is a fault of ours."""
    fault = noted(exc, f"{request.method} {request.url.path}")
    if fault is None:
        return await _server_error(request, exc)
    return error_response(fault.status, fault.words, headers=fault.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    # Never a traceback to the caller: it may hold data the caller is not entitled to.
    return error_response(500, "the server failed to handle this request; it has been logged")


async def _sync_forever(node: Node, every: float, retract_every: float | None) -> None:
    """Pull from every peer, again and again: what peers share arrives within `every` s, what
    they withdraw is retracted within `retract_every` s (None: sync.RETRACT_EVERY; 0: at
    every round)."""
    from starlette.concurrency import run_in_threadpool

    from accord.federation.sync import RETRACT_EVERY, sync_all

    withdrawn = RETRACT_EVERY if retract_every is None else retract_every
    while True:
        try:
            await run_in_threadpool(sync_all, node, withdrawn)
        except Exception as error:  # a failed round is retried at the next; peer list shows
            if noted(error, "sync with peers (retried at the next round)") is None:
                log.exception("sync with peers failed")
        await asyncio.sleep(every)


class NodeApp(Starlette):
    """The node's app: its hot TAXII reads (taxii.hot_reads) answered before the middleware,
    which costs such a read a tenth of the server's time (bench/README.md, "The hot lane")."""

    hot: HotReads | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hot is not None and await self.hot.answered(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(node: Node, tick: float | None = None, sync_every: float | None = None,
               retract_every: float | None = None, *, hot_reads: bool = True) -> NodeApp:
    """The node's ASGI app; with `tick` (seconds), it also runs the deadline watcher, and with
    `sync_every`, pulls from its peers (reading what they withdrew every `retract_every`
    seconds: _sync_forever). `hot_reads=False` leaves out the lane of the hot TAXII reads
    (taxii.hot_reads), for the test that holds it to the full path and for benchmarks."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # What exists before serving (modules, tables, templates) lives as long as the
        # process: out of the cyclic collector's sight, its full collections stop walking it
        # (they cost a page 70 ms at random; see bench/attribution_bench.py).
        gc.freeze()
        node.stopping.clear()
        with prompt_turns():  # a request waits little for the background threads' Python
            node.reads.start()
            listener = remember_pages(node.engine, pooled=node.engine in POOLED,
                                      replica=node.replica is not None)
            if listener is not None:
                node.objects.pages = listener.memo
            keep_resident(node.engine)  # this thread runs the event loop: its reads keep one
            watching = None
            if tick:
                from accord.cooperation.watcher import Watcher

                watching = asyncio.create_task(Watcher(node, tick).run())
            syncing = asyncio.create_task(_sync_forever(node, sync_every, retract_every)
                                          ) if sync_every else None
            try:
                yield
            finally:
                node.stopping.set()
                if watching is not None:
                    watching.cancel()
                if syncing is not None:
                    syncing.cancel()
                release_resident(node.engine)
                if listener is not None:
                    node.objects.pages = None
                    listener.stop()
                node.reads.stop()  # and appends what is still pending

    async def home(_request: Request) -> Response:
        return RedirectResponse("/ui/", status_code=307)

    app = NodeApp(
        routes=[*taxii_routes, Route("/", home), Route("/favicon.ico", favicon)],
        exception_handlers={HTTPException: _http_error, ClientDisconnect: _client_gone,
                            DBAPIError: _database_error, PoolTimeout: _database_error,
                            Exception: _server_error},
        middleware=[Middleware(BodyLimit), Middleware(AllowedMethods), *(
            [Middleware(ReadYourWrites, engine=node.replica)] if node.replica else []),
            # Behind read-your-writes with a replica (it picks the reads' connection); else
            # asked first, before any middleware (NodeApp).
            *([Middleware(HotReads, node=node)] if hot_reads and node.replica else [])],
        lifespan=lifespan,
    )
    app.state.node = node
    if hot_reads and not node.replica:
        app.hot = HotReads(None, node)
    app.mount(API, build_api(node))
    app.mount("/ui", build_web(node))
    return app


def create_app_from_env() -> Starlette:
    """For uvicorn workers: the database, its read replica, the watcher's tick and the sync's
    intervals come from ACCORD_DB, ACCORD_READ_DB, ACCORD_TICK, ACCORD_SYNC_EVERY and
    ACCORD_RETRACT_EVERY (set by `accord serve`)."""
    tick = float(os.environ.get("ACCORD_TICK", "0")) or None
    sync_every = float(os.environ.get("ACCORD_SYNC_EVERY", "0")) or None
    retract = os.environ.get("ACCORD_RETRACT_EVERY")
    retract_every = float(retract) if retract else None
    return create_app(open_node(os.environ.get("ACCORD_DB", "accord.db"), migrate_schema=False,
                                read_db=os.environ.get("ACCORD_READ_DB") or None,
                                serving=True),
                      tick, sync_every, retract_every)
