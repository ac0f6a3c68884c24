"""Why the mechanism refuses a request or an act, in words for the person who tried, in the
language they read: the message is English with {named} places, marked for the catalogue where
it is written (N_), so that the web UI says it in the reader's language; the command line and
the REST API say it in English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accord.i18n import N_, Refusal

# The acts a refusal may name ({act}), and the fields ({what}): words of the catalogue too.
ACTS = (N_("acknowledge"), N_("report on"), N_("respond to"), N_("escalate"), N_("withdraw"))
FIELDS = (N_("--to"), N_("--share-with"))


class CooperationError(Refusal):
    """A request or act the mechanism does not allow. `message` may hold {named} places that
    `values` fill; an {act} is one of ACTS, a {what} one of FIELDS."""

    TRANSLATED = ("act", "what")


class NoSuchRequest(CooperationError):
    """No request with that id that the party may see (the same answer whether it exists)."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A time a refusal names: said in UTC to the command line and the API, in the reader's
    zone on a page (web.refusals), where the form asked for it in that zone."""

    at: datetime

    def __format__(self, spec: str) -> str:
        return f"{self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True, slots=True)
class Code:
    """A code of one of the mechanism's vocabularies a refusal names ('declined'): said as the
    code to the command line and the API, in the reader's words on a page (web.refusals)."""

    vocabulary: str  # web.codes' name for it: "outcome", "kind", …
    code: str

    def __repr__(self) -> str:
        return repr(self.code)

    def __format__(self, spec: str) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Codes:
    """Several codes of one vocabulary a refusal names ("summary, description"): as codes to
    the command line and the API, in the reader's words on a page."""

    vocabulary: str
    codes: tuple[str, ...]

    def __format__(self, spec: str) -> str:
        return ", ".join(self.codes)


# A day's margin: the officer's clock, and a window typed in a zone ahead of the node's.
FUTURE_ALLOWANCE = timedelta(days=1)


def require_activity_order(start: datetime | None, end: datetime | None,
                           now: datetime | None = None) -> None:
    """Refuses an activity window that ends before it starts, or that starts after `now`
    (activity seen is in the past: a date in the future is a slip of the year or the zone),
    said before the STIX check, whose words name properties, not what the officer typed."""
    if start is not None and end is not None and end < start:
        raise CooperationError(N_("the activity ends ({end}) before it starts ({start})"),
                               end=Moment(end), start=Moment(start),
                               about=("activity_start", "activity_end"))
    if now is not None and start is not None and start > now + FUTURE_ALLOWANCE:
        raise CooperationError(N_("the activity starts ({start}) after now ({now}): activity "
                                  "seen is in the past"), start=Moment(start), now=Moment(now),
                               about=("activity_start",))
