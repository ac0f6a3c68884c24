"""Which methods a path answers, across the node's TAXII, REST and web routes: the `Allow`
header of a 405 and the answer to OPTIONS (RFC 9110 §9.3.7, §15.5.6).

Starlette's router names the methods of the first route whose path matches, but one path may
have several routes (FastAPI makes a route per method): `OPTIONS /api/v1/requests` said
`Allow: POST` though GET is served there too. This looks at every route the path matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.serving.caching import not_stored
from accord.serving.redirects import pointing_here


def methods_at(routes: Iterable[BaseRoute], scope: Scope) -> frozenset[str] | None:
    """The methods some route serves at the scope's path; None when no route has that path,
    or when one takes any method (then the route itself knows best)."""
    found: set[str] = set()
    matched = False
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = _mounted_methods(route, {**scope, **child})
            if inner is None:
                continue
            found |= inner
        elif isinstance(route, Route) and route.methods:
            found |= route.methods
        else:
            return None
        matched = True
    return frozenset(found) if matched else None


def _mounted_methods(mount: Mount, scope: Scope) -> frozenset[str] | None:
    if isinstance(mount.app, StaticFiles):
        return frozenset({"GET", "HEAD"})
    return methods_at(mount.routes, scope)


def allow_header(methods: frozenset[str]) -> str:
    return ", ".join(sorted(methods | {"OPTIONS"}))


class AllowedMethods:
    """ASGI middleware: answers OPTIONS itself (204, no body) and makes every 405 name all
    the methods of its path, leaving the 405's body to the area that made it (TAXII JSON, the
    REST API's problem JSON, the web UI's page)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The router fills the scope in as it routes (a mount's root_path): the routes are
        # matched against it as it came. Only for OPTIONS and a 405, not for every request:
        # matching every route costs a served request about a twentieth of its time.
        arrived = dict(scope)
        if scope["method"] == "OPTIONS":
            methods = methods_at(scope["app"].routes, arrived)
            if methods is not None and "OPTIONS" not in methods:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", allow_header(methods).encode())]})
                await send({"type": "http.response.body", "body": b""})
                return

        async def with_allow(message: Message) -> None:
            # A redirect names a path (serving.redirects); no cache keeps an answer that
            # does not ask to be kept (serving.caching).
            message = not_stored(pointing_here(message))
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = methods_at(arrived["app"].routes, arrived)
                if methods is not None and arrived["method"] not in methods:
                    headers: list[Any] = [(k, v) for k, v in message.get("headers", [])
                                          if k.lower() != b"allow"]
                    message = {**message, "headers": [
                        *headers, (b"allow", allow_header(methods).encode())]}
            await send(message)

        await self.app(scope, receive, with_allow)
