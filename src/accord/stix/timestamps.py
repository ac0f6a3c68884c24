"""STIX 2.1 timestamps (§3.2): syntax check and an order-preserving sort key.

STIX allows any sub-second precision, so "…:41Z" and "…:41.000Z" name the same instant but do not
compare correctly as strings. The store orders versions by `sort_key`, which pads the fraction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# §3.2: YYYY-MM-DDTHH:mm:ss[.s+]Z, always UTC, upper-case T and Z, ASCII digits only. Written
# so that JSON Schema (ECMA-262 regular expressions, where it is an OpenAPI `pattern`) reads it
# as Python does: [0-9], not \d, which is any Unicode digit elsewhere.
TIMESTAMP_SYNTAX = (r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
                    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z$")
# In Python nothing may follow the Z, not even the newline `$` would let through.
TIMESTAMP = re.compile(TIMESTAMP_SYNTAX.removesuffix("$") + r"\Z")

FRACTION_DIGITS = 9


def is_timestamp(value: object) -> bool:
    """True when `value` is a syntactically valid STIX timestamp naming a real calendar date."""
    if not isinstance(value, str) or TIMESTAMP.match(value) is None:
        return False
    if value.startswith("0000") or value[17:19] == "60":
        # RFC 3339 has a year 0 and leap seconds; Python's calendar, which this node computes
        # with, has neither (a designation dated so was a 500, and aborted an import).
        return False
    if value[8:10] > "28":  # the 29th to 31st: does this month have that day?
        try:
            datetime(int(value[:4]), int(value[5:7]), int(value[8:10]))
        except ValueError:
            return False
    return True


def sort_key(value: str) -> str:
    """A string that orders like the instant `value` names (fraction padded to nanoseconds)."""
    body = value[:-1]  # drop the Z
    if "." in body:
        seconds, fraction = body.split(".", 1)
    else:
        seconds, fraction = body, ""
    return f"{seconds}.{fraction.ljust(FRACTION_DIGITS, '0')}Z"


def microsecond_key(value: str) -> str:
    """`value` as the store writes date_added (exactly six fraction digits), for comparison."""
    return sort_key(value)[:26] + "Z"


def parse_timestamp(value: str) -> datetime:
    """The instant a valid STIX timestamp names, to the microsecond (finer digits dropped)."""
    # Exactly six fraction digits and 'Z': fromisoformat reads it as UTC, ten times faster
    # than strptime (a leap second, :60, is refused by both, as datetime has none).
    return datetime.fromisoformat(microsecond_key(value))


def format_timestamp(moment: datetime) -> str:
    """A STIX/TAXII timestamp with microsecond precision (TAXII 2.1 §3.2 date_added)."""
    # isoformat, not strftime: strftime runs Python code on every call (datetime imports the
    # time module anew), where the server's event loop may hand the GIL to another thread.
    # (The node's clock is UTC already: no conversion for it, as every read records when it
    # was served.)
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def now_timestamp() -> str:
    from accord import clock  # the node's clock (it may be set off for drills)

    return format_timestamp(clock.now())


def parse_instant(text: str) -> datetime:
    """A date or instant as people type it (2026-01-01, 2026-01-01T10:00, with Z or an offset)
    as an aware UTC datetime; without an offset it is taken as UTC. ValueError otherwise."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
