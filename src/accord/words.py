"""Numbers, and others' text, as the commands and reports say them."""

from __future__ import annotations

import re
import unicodedata


def how_many(count: int, thing: str, plural: str | None = None) -> str:
    """'1 record', '2,000 records': the count with thousands marked, the noun agreeing
    (`plural` where adding an s will not do: 'indexes')."""
    return f"{count:,} {thing if count == 1 else plural or thing + 's'}"


def a_or_an(word: str) -> str:
    """'an analyst', 'a liaison': the English article before WORD (roles, types)."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def how_large(size: int) -> str:
    """'512 B', '340.0 KiB', '1.2 GiB': a size as people read it, in binary units (the same
    in every language)."""
    for unit, factor in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(size) >= factor:
            return f"{size / factor:,.1f} {unit}"
    return f"{size:,} B"


def printable(text: str) -> str:
    """`text` with what a terminal would act on rather than show (escape sequences, carriage
    returns, bidirectional overrides, any other control or format character) written out as
    `\\x1b`, `\\u202e`: for what another party chose (a peer's titles, ids, messages) before
    a command prints it. Letters of every script stay as they are."""
    if text.isprintable():
        return text
    # Spaces of every width (U+3000 between Chinese words, no-break spaces) are spaces.
    return "".join(c if c.isprintable() or unicodedata.category(c) == "Zs" else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
                   for c in text)


# Directional formatting characters: the embeddings and overrides (U+202A-U+202E) and the
# isolates (U+2066-U+2069). One in a name another party posted turns the rest of its line
# around where it is shown (a title read backwards, a notice saying the opposite of itself).
_DIRECTIONAL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_directions(text: str) -> str:
    """`text` with its directional formatting characters written out (`\\u202e`), and all
    else as it is (line breaks, tabs, joiners): what a web page shows of a value."""
    if text.isascii() or _DIRECTIONAL.search(text) is None:  # (isascii: a flag, no scan)
        return text
    return _DIRECTIONAL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
