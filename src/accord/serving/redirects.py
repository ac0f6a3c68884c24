"""Redirects name a path, never a host (RFC 9110 §10.2.2 allows a relative Location).

Starlette answers `/taxii2/accord/collections` with a 307 to the same path with a slash, and
builds the URL from the request's Host header: a client, or a proxy that passes Host on as it
came, chose where the redirect points, and a cache in between could hand that to others. The
node's own redirects already name only a path; this makes the router's do the same.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from starlette.types import Message


def pointing_here(message: Message) -> Message:
    """A response's start with a redirect's absolute Location made its path (and query); any
    other message as it is. Applied by the node's outer middleware (allowed_methods), which
    already sees every response start go out: one layer less on every request."""
    if message["type"] != "http.response.start" or not 300 <= message["status"] < 400:
        return message
    return {**message, "headers": [
        (name, relative(value) if name.lower() == b"location" else value)
        for name, value in message.get("headers", ())]}


def relative(location: bytes) -> bytes:
    """`location` without its scheme and host. A path that starts with several slashes keeps
    one: `//evil.example/` would be read as another host."""
    try:
        parts = urlsplit(location.decode("latin-1"))
    except ValueError:  # a host urllib cannot read ("[::1"): the path after it, if any
        text = location.decode("latin-1")
        after = text.find("/", text.find("//") + 2) if "//" in text else 0
        return ("/" + text[after:].lstrip("/") if after >= 0 else "/").encode("latin-1")
    if not parts.scheme and not parts.netloc:
        return location
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")
