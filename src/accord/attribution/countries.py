"""Which two-letter codes name a state: ISO 3166-1 alpha-2 as CLDR (through Babel) knows its
territories. "XX" has the code's shape and names nothing; a claim that a state sponsored an
activity must name one."""

from __future__ import annotations

from functools import cache

# Codes CLDR lists that name no state: unknown, groupings, pseudo-locales.
_NOT_STATES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})


@cache
def states() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories
                     if isinstance(code, str) and len(code) == 2 and code.isalpha()
                     and code not in _NOT_STATES)


def is_state(code: str) -> bool:
    """Whether `code` (upper case) is the ISO 3166-1 alpha-2 code of a state or territory."""
    return code in states()
