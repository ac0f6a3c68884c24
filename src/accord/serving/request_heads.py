"""What a request head may say to be served: its HTTP version, one Host that can be a host,
a path without encoded slashes, and a body framed by a length or chunks alone. Pure: read
from the head the parser gave (serving.listener answers what is refused)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a Host header may hold (RFC 9112 §3.2, RFC 3986 §3.2.2): an IP-literal in brackets, or
# a reg-name (which an IPv4 address is too), then a port of digits.
_HOST = re.compile(rb"(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
                   rb"|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::([0-9]{0,5}))?")


@dataclass(frozen=True, slots=True)
class Body:
    """How a request says its body comes: its Content-Length (0 when none) and the transfer
    codings it names, in order (RFC 9112 §6.1)."""

    length: int
    codings: tuple[str, ...]

    @property
    def is_chunked(self) -> bool:
        return self.codings == ("chunked",)


def body_of(headers: list[tuple[bytes, bytes]]) -> Body:
    """The body's framing (the parser has refused conflicting or malformed ones already)."""
    length, codings = 0, []
    for name, value in headers:
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.decode("latin-1").split(",")
                        if c.strip()]
    return Body(length, tuple(codings))


def head_fault(version: str, headers: list[tuple[bytes, bytes]], target: bytes,
               body: Body) -> tuple[int, str] | None:
    """The status and the words a head is refused with, or None when it may be served."""
    if version not in ("1.0", "1.1"):
        # HTTP/0.9 (a request line without a version) has no headers, so no Host and no way
        # to say how long it is; a version this parser reads but this server does not speak
        # is a 505 (RFC 9110 §15.6.6).
        return ((400, "the request line must end with its version, HTTP/1.1")
                if version == "0.9" else
                (505, f"HTTP/{version} is not served here: send HTTP/1.1"))
    wrong = _host_fault(headers, version) or _path_fault(target)
    if wrong is not None:
        return 400, wrong
    if body.codings and not body.is_chunked:
        # RFC 9112 §6.1: a transfer coding the server does not know is a 501. Ignored, a body
        # in gzip would be read as if it were not.
        return (501, f"the transfer coding {', '.join(body.codings)} is not one this server "
                     "reads: send the body chunked, or with a Content-Length")
    return None


def _host_fault(headers: list[tuple[bytes, bytes]], version: str) -> str | None:
    """Why a request's Host header is refused (RFC 9112 §3.2: an HTTP/1.1 request without
    one, any request with several, or one that cannot be a host), or None. Caches and proxies
    in front of the node may read another host than it does; no such request is served."""
    hosts = [value for name, value in headers if name == b"host"]
    if len(hosts) > 1:
        return f"the request has {len(hosts)} Host headers; it may have one"
    if not hosts:
        return None if version != "1.1" else "an HTTP/1.1 request must name its Host"
    host = _HOST.fullmatch(hosts[0])
    if host is None or int(host.group(1) or 0) > 65535:
        return "the Host header is not a host name or an address, with a port or not"
    return None


def _path_fault(target: bytes) -> str | None:
    """Why a request's path is refused: an encoded slash (%2F) or backslash (%5C) in it. The
    router decodes them before it routes, so `collections/X%2Fobjects/` would be served as
    `collections/X/objects/`, where a proxy in front, filtering by path, saw one segment
    (Apache's AllowEncodedSlashes is off by default for the same reason). No URL of a node
    holds one: ids and aliases have no slash."""
    path = target.split(b"?", 1)[0].lower()
    if b"%2f" in path or b"%5c" in path:
        return "an encoded slash (%2F or %5C) in the path is not served: write the path as is"
    return None
