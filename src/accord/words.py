"""Numbers as the commands and reports say them."""

from __future__ import annotations


def how_many(count: int, thing: str, plural: str | None = None) -> str:
    """'1 record', '2,000 records': the count with thousands marked, the noun agreeing
    (`plural` where adding an s will not do: 'indexes')."""
    return f"{count:,} {thing if count == 1 else plural or thing + 's'}"


def how_large(size: int) -> str:
    """'512 B', '340.0 KiB', '1.2 GiB': a size as people read it, in binary units (the same
    in every language)."""
    for unit, factor in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(size) >= factor:
            return f"{size / factor:,.1f} {unit}"
    return f"{size:,} B"
