"""The node's clock. `ACCORD_CLOCK_OFFSET` (seconds, may be negative) runs a node as if its
clock were that far off — for drills and for the tests that show two nodes whose clocks
disagree still derive the same deadlines (the addressee's receipt fixes them)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta


def _offset() -> timedelta:
    try:
        return timedelta(seconds=float(os.environ.get("ACCORD_CLOCK_OFFSET", "0")))
    except ValueError:
        return timedelta(0)


_OFFSET = _offset()


def now() -> datetime:
    """Now, in UTC, on this node's clock."""
    return datetime.now(UTC) + _OFFSET if _OFFSET else datetime.now(UTC)
