"""A request that is likely a second copy of one just sent: the same addressee, summary,
description and evidence from the same party within a day. Sent twice by mistake (Back, then
Send again), it would cost the addressee twice the work and count twice in the review."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from accord.cooperation.model import Request

DUPLICATE_WINDOW = timedelta(days=1)


def _words(text: str) -> str:
    """Text as a reader compares it: case and spacing do not make another request."""
    return " ".join(text.split()).casefold()


def likely_duplicate(sent: Iterable[Request], requester: str, addressee: str, summary: str,
                     description: str, evidence: Sequence[str], now: datetime,
                     window: timedelta = DUPLICATE_WINDOW) -> Request | None:
    """The newest of `sent` that the new request would repeat, or None."""
    same = [r for r in sent
            if r.requester == requester and r.addressee == addressee
            and now - window <= r.created <= now
            and _words(r.summary) == _words(summary)
            and _words(r.description) == _words(description)
            and set(r.evidence) == set(evidence)]
    return max(same, key=lambda r: r.created, default=None)
