"""How times, deadlines and states read on a page. Pure: the clock is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accord.stix.timestamps import parse_timestamp

STATE_LABELS = {
    "submitted": "Submitted", "acknowledged": "Acknowledged", "in-progress": "In progress",
    "answered": "Answered", "closed": "Closed", "declined": "Declined",
    "withdrawn": "Withdrawn", "overdue": "Overdue", "escalated": "Escalated",
}


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def moment(value: datetime | str | None) -> str:
    """2026-11-27 05:40:01 UTC; a value that is not a timestamp is shown as it is."""
    when = _as_datetime(value)
    if when is None:
        return str(value) if value else "—"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(delta: timedelta) -> str:
    """3 d 4 h, 5 h 12 min, 4 min 30 s, 12 s: the two largest units that are not zero."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    shown = [f"{n} {unit}" for n, unit in parts[:2] if n]
    return " ".join(shown) or "0 s"


def countdown(deadline: datetime | str | None, now: datetime) -> str:
    """"due in 3 h 12 min" or "overdue by 2 d 1 h" ("" when there is no deadline)."""
    when = _as_datetime(deadline)
    if when is None:
        return ""
    left = when - now
    if left.total_seconds() >= 0:
        return f"due in {duration(left)}"
    return f"overdue by {duration(left)}"


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)
