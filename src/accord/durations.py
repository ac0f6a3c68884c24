"""Durations as users write them: ISO 8601 (P30D, PT12H, P1DT6H) or short forms (90d, 12h, 30m)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_ISO = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SHORT = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class DurationError(ValueError):
    """A duration refused; `kind` says why, for a page to say it in the reader's words:
    "not-a-duration", "not-positive" or "too-long"."""

    def __init__(self, message: str, kind: str = "not-a-duration") -> None:
        super().__init__(message)
        self.kind = kind


def parse_duration(text: str) -> timedelta:
    value = text.strip()
    short = _SHORT.match(value.lower())
    try:
        if short:
            return timedelta(**{_UNITS[short.group("unit")]: float(short.group("n"))})
        iso = _ISO.match(value.upper())
        if iso and value.upper() not in ("P", "PT") and not value.upper().endswith("T"):
            parts = {k: float(v) for k, v in iso.groupdict().items() if v is not None}
            return timedelta(**parts)
    except OverflowError:
        raise DurationError(f"{text!r} is longer than any calendar holds", "too-long") from None
    raise DurationError(f"{text!r} is not a duration: write e.g. 90d, 12h, P30D or PT12H")


def lifetime_end(text: str, start: datetime) -> datetime:
    """When something that lives for `text` from `start` (e.g. a token) ends; DurationError
    if that is not after `start` or lies beyond the calendar."""
    lifetime = parse_duration(text)
    if lifetime.total_seconds() <= 0:
        raise DurationError(f"{text!r}: it must live longer than that", "not-positive")
    try:
        return start + lifetime
    except OverflowError:
        raise DurationError(f"{text!r} ends beyond the calendar's last day", "too-long") from None
