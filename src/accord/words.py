"""Numbers as the commands and reports say them."""

from __future__ import annotations


def how_many(count: int, thing: str, plural: str | None = None) -> str:
    """'1 record', '2,000 records': the count with thousands marked, the noun agreeing
    (`plural` where adding an s will not do: 'indexes')."""
    return f"{count:,} {thing if count == 1 else plural or thing + 's'}"
