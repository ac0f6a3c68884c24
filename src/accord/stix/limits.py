"""How deep a STIX object may nest: one limit for every path that parses, checks and stores.

JSON allows any depth and orjson parses 1,024 levels, but storing (orjson writes 254 levels),
signing (RFC 8785, recursive) and rendering are recursive: an object deeper than they reach
would fail half-way, after the objects beside it were read. No real STIX object comes near the
limit (ATT&CK's deepest is 4 levels), so it can be low and the same everywhere.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # levels of JSON objects and arrays, the STIX object itself being the first
# A document read as a stream (`accord import`): the objects' limit and room around them. An
# object too deep is refused alone; only nesting past this stops reading the file (orjson,
# which reads TAXII envelopes, stops at 1,024).
MAX_DOCUMENT_DEPTH = 100


def too_deep(obj: dict[str, Any], limit: int = MAX_DEPTH) -> str | None:
    """The first top-level property of `obj` that nests past `limit` levels, or None.

    Iterative: a recursive walk would itself run out of stack on the objects it is to refuse.
    """
    for name, value in obj.items():
        kind = type(value)
        if (kind is dict or kind is list) and _deeper_than(value, limit - 1):
            return str(name)
    return None


def _deeper_than(value: dict[str, Any] | list[Any], limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        for child in (container.values() if type(container) is dict else container):
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
    return False
