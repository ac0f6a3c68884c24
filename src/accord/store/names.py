"""The names people give here: a party's, a person's, a collection's title. Every list,
message and page shows them whole, and a terminal would act on some characters rather than
show them, so a name is bounded and printable."""

from __future__ import annotations

import unicodedata
from typing import Any

from accord.i18n import N_
from accord.words import printable

MOST_NAME = 200  # characters
# Joiners some scripts write names with (Persian, the Indic scripts): format characters that
# are part of the name, unlike bidirectional overrides and the like.
_JOINERS = frozenset("\u200c\u200d")


def name_problem(name: str) -> tuple[str, dict[str, Any]] | None:
    """What is wrong with `name` (already stripped, not empty) as a name, as a message and its
    values; None if nothing is."""
    if len(name) > MOST_NAME:
        return (N_("a name of {length} characters is too long: at most {most}"),
                {"length": f"{len(name):,}", "most": MOST_NAME})
    hidden = [c for c in name if c not in _JOINERS
              and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if hidden:
        return (N_("a name may not hold control or formatting characters ({found}): write it "
                   "as it is printed"), {"found": printable("".join(dict.fromkeys(hidden)))})
    return None


def shown(asked: str) -> str:
    """What someone asked for, as a message repeats it: quoted, and cut if long."""
    return repr(asked if len(asked) <= 80 else asked[:80] + "…")
