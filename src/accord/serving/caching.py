"""No cache keeps what the node answers, unless the answer says otherwise.

TAXII and REST answers are read with a token: what one party may read, a shared cache in
between (a corporate proxy, a CDN in front of the node) must not hand to another, and a
browser must not keep it on disk after the officer signs out. `no-store` says so (RFC 9111
§5.2.2.5). Answers that are the same for everyone (the UI's static files, the favicon) set
their own Cache-Control, which is kept.
"""

from __future__ import annotations

from starlette.types import Message

NOT_STORED = (b"cache-control", b"no-store")


def not_stored(message: Message) -> Message:
    """A response's start with `Cache-Control: no-store` when it named no Cache-Control; any
    other message as it is. Applied by the node's outer middleware (allowed_methods), which
    already sees every response start go out."""
    if message["type"] != "http.response.start":
        return message
    headers = message.get("headers", ())
    if any(name.lower() == b"cache-control" for name, _ in headers):
        return message
    return {**message, "headers": [*headers, NOT_STORED]}
