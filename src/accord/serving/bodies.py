"""How much of a request body the web UI and the REST API read: TAXII's POST has its own bound
(`max_content_length`, announced in the API root, 64 MiB by default: taxii.routes); every other
path takes what its largest form or JSON document may hold, and no more.

Before, `POST /ui/sign-in` and `POST /ui/language` read a whole urlencoded form of 950 fields
of a megabyte each before looking at any of it, without a sign-in: one request held a
gigabyte of the server's memory, four at once 3.9 GB. Refused here by the declared length
before a byte is read, and by the bytes read as they come (a chunked body declares none).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The largest a page's form may be: a request's description and impact (20,000 characters
# each), a translation of three such texts, urlencoded (a Chinese character is 9 bytes so);
# about 600 KB at most. The REST API's largest: a batch of 10,000 names to screen (400,000
# characters) or a request with its evidence list, as JSON.
UI_BODY_BYTES = 2 * 2**20
API_BODY_BYTES = 8 * 2**20
_BOUNDS = (("/ui/", UI_BODY_BYTES), ("/api/", API_BODY_BYTES))


def body_bound(path: str) -> int | None:
    """The most a request body to `path` may hold (None: TAXII's own bound applies)."""
    return next((most for prefix, most in _BOUNDS if path.startswith(prefix)), None)


class BodyLimit:
    """ASGI middleware: a body past its path's bound is answered 413, in plain words, before
    the app sees the request. Within the bound the body is read here first (at most the
    bound: 8 MiB) and handed to the app as it came, so that no area's own error handling
    stands between the bound and its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        most = body_bound(scope["path"]) if scope["type"] == "http" else None
        if most is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > most):
            await _too_large(send, most, scope["path"])
            return
        chunks: list[bytes] = []
        read = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went: nothing to answer
                return
            chunk = message.get("body", b"")
            read += len(chunk)
            if read > most:
                await _too_large(send, most, scope["path"])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        given = False

        async def replayed() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replayed, send)


async def _too_large(send: Send, most: int, path: str) -> None:
    said = (f"The request body is larger than this page or endpoint takes ({most:,} bytes): "
            "send less.")
    if path.startswith("/api/"):  # in the REST API's own error shape, a Problem
        body, kind = orjson.dumps({"title": said, "status": 413}), b"application/json"
    else:
        body, kind = (said + "\n").encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
