"""What one STIX object may cost to take in: how deep it nests, how large and costly its
indicator pattern is. One limit for every path that parses, checks and stores.

JSON allows any depth and orjson parses 1,024 levels, but storing (orjson writes 254 levels),
signing (RFC 8785, recursive) and rendering are recursive: an object deeper than they reach
would fail half-way, after the objects beside it were read. No real STIX object comes near the
limit (ATT&CK's deepest is 4 levels), so it can be low and the same everywhere.

STIX patterns are parsed by an ANTLR grammar at about 0.1-0.25 ms a token (docs/limits.md has
the measurements), so a pattern's cost is bounded by counting its tokens first, in one linear
scan (`accord.stix.patterns.size_of`).
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # levels of JSON objects and arrays, the STIX object itself being the first
# A whole document, as orjson parses it (a TAXII envelope) and as `accord import` streams it: an
# object deeper than MAX_DEPTH is refused alone, wherever it is in the file; only nesting past
# this stops reading the file, as it stops a TAXII request.
MAX_DOCUMENT_DEPTH = 1024
# One object in a document read as a stream: as much as a TAXII request may carry by default
# (the node's max_content_length), so that no file makes `accord import` hold what a peer
# could not send. Parsed, an object takes about seven times its size in memory.
MAX_OBJECT_BYTES = 64 << 20

# One indicator pattern. The largest real ones seen (OASIS examples) are 452 characters and 11
# comparisons; an OR of 500 SHA-256 hashes is 47,000 characters and 4,001 tokens.
MAX_PATTERN_LENGTH = 65_536  # characters
MAX_PATTERN_TOKENS = 6_000  # words, literals and signs: `[file:name = 'x']` has 7
MAX_PATTERN_COMPARISONS = 500  # `=`, `!=`, `<`, `IN`, `LIKE`, `MATCHES`, … (and IN's values)
MAX_PATTERN_NESTING = 16  # brackets and parentheses inside one another (real: at most 4)
# All the patterns of one request (a TAXII envelope, a page of a peer's objects): 10 tokens
# per object the request may hold, and never less than one largest pattern. 10,000
# single-comparison indicators (an envelope of the default size) hold 70,000-90,000 tokens.
PATTERN_TOKENS_PER_OBJECT = 10
# JSON objects and arrays parsed per STIX object a request may hold (a TAXII envelope, a page
# of a peer's): what memory a body costs to parse is set by how many containers it holds, not
# by its size in bytes (a megabyte of `{},` is 300,000 dictionaries). Real objects hold a few
# (ATT&CK's hold 5-20), so this bounds the hostile, not the large.
CONTAINERS_PER_OBJECT = 50
MAX_PATTERN_TOKENS_PER_REQUEST = 100_000  # for the default 10,000 objects per envelope


def pattern_budget(max_objects: int) -> int:
    """How many pattern tokens one request of at most `max_objects` objects may have parsed."""
    return max(PATTERN_TOKENS_PER_OBJECT * max_objects, MAX_PATTERN_TOKENS)


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
