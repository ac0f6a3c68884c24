"""How times, deadlines and states read on a page: in the reader's time zone and language, one
format everywhere ("Tue 1 Dec 2026 14:00 EST (UTC−5)", "2026年12月1日 周二 14:00（UTC+8）"), with
UTC on hover. Pure: the clock is passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from babel.dates import format_datetime
from markupsafe import Markup, escape

from accord.i18n.catalogue import catalogue
from accord.i18n.languages import DEFAULT, LANGUAGES
from accord.i18n.zones import DEFAULT_ZONE, offset_label, place, weekend, zone, zone_or_utc
from accord.stix.timestamps import parse_timestamp

STATE_LABELS = {
    "submitted": "Submitted", "acknowledged": "Acknowledged", "in-progress": "In progress",
    "answered": "Answered", "closed": "Closed", "declined": "Declined",
    "withdrawn": "Withdrawn", "overdue": "Overdue", "escalated": "Escalated",
}
NBSP = "\u00a0"  # a countdown is one unit of meaning: never broken across lines

# Babel (CLDR) patterns: the day of the week first, as people say a deadline.
# (a moment, a deadline for each party: with its date, since a deadline may be weeks away)
_PATTERNS = {"en": ("EEE d MMM y HH:mm", "EEE d MMM HH:mm"),
             "zh-Hans": ("y年M月d日 EEE HH:mm", "M月d日 EEE HH:mm")}


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)
def _text(zone_name: str, language: str, when: datetime) -> str:
    """Clockface.text of a time. Remembered: Babel takes ~0.1 ms a time, and a page shows the
    same deadlines at every view (the dashboard, 75 of them)."""
    try:
        local = when.astimezone(zone(zone_name))
    except OverflowError:  # the year 1 west of UTC, 9999 east of it: said in UTC
        zone_name, local = DEFAULT_ZONE, when.astimezone(UTC)
    shown = format_datetime(local, _PATTERNS.get(language, _PATTERNS["en"])[0],
                            locale=LANGUAGES[language].babel)
    offset = offset_label(local.utcoffset())
    if language != "en":
        return f"{shown}（{offset}）"
    abbreviation = local.tzname() or ""
    if zone_name == DEFAULT_ZONE:
        return f"{shown} UTC"
    # zoneinfo names some zones by their offset ("+08"): no abbreviation then.
    if abbreviation.isalpha() and abbreviation != "UTC":
        return f"{shown} {abbreviation} ({offset})"
    return f"{shown} ({offset})"


@lru_cache(maxsize=8192)
def _moment(zone_name: str, language: str, value: datetime | str | None) -> Markup:
    """Clockface.moment of a time. Remembered: a page shows hundreds (the attribution page of
    a subject, one per position; half its rendering time was spent here), the same at every
    view."""
    when = _as_datetime(value)
    if when is None:
        return escape(str(value) if value else "—")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc_attribute(when), utc_text(when), _text(zone_name, language, when))


def utc_text(when: datetime) -> str:
    """2026-12-01 19:00:00 UTC: what the hover shows, the same for every reader."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_attribute(when: datetime) -> str:
    """The machine-readable instant of <time datetime=…> (whole seconds, UTC)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Clockface:
    """Times as one reader reads them: their IANA zone and their language."""

    zone_name: str = DEFAULT_ZONE
    language: str = DEFAULT

    @classmethod
    def of(cls, zone_name: str | None, language: str) -> Clockface:
        return cls(zone_or_utc(zone_name), language if language in LANGUAGES else DEFAULT)

    def _(self, message: str, **values: Any) -> str:
        text = catalogue(self.language).gettext(message)
        return text.format(**values) if values else text

    @property
    def _babel(self) -> str:
        return LANGUAGES[self.language].babel

    def offset(self, when: datetime) -> str:
        return offset_label(when.astimezone(zone(self.zone_name)).utcoffset())

    def zone_label(self, now: datetime) -> str:
        """Asia/Shanghai (UTC+8): how a form says which zone its dates are in."""
        if self.zone_name == DEFAULT_ZONE:
            return "UTC"
        return f"{self.zone_name} ({self.offset(now)})"

    def dates_label(self, now: datetime) -> str:
        """How a form names the zone of the dates typed into it: with its offset only where
        the offset is the same all year (Asia/Shanghai (UTC+8)); America/New_York alone, for
        a July date typed in December is read at UTC−4, not at the UTC−5 of today."""
        if self.zone_name == DEFAULT_ZONE:
            return "UTC"
        return self.zone_label(now) if _steady(self.zone_name, now.date()) else self.zone_name

    def text(self, value: datetime | str | None) -> str:
        """Tue 1 Dec 2026 14:00 EST (UTC−5); a value that is not a timestamp as it is."""
        when = _as_datetime(value)
        if when is None:
            return str(value) if value else "—"
        return _text(self.zone_name, self.language, when)

    def moment(self, value: datetime | str | None) -> Markup:
        """<time datetime="…Z" title="… UTC">Tue 1 Dec 2026 14:00 EST (UTC−5)</time>."""
        return _moment(self.zone_name, self.language, value)

    def duration(self, delta: timedelta) -> str:
        """3 d 4 h, 5 h 12 min, 4 min 30 s, 12 s (6天23小时): the two largest units that
        are not zero."""
        seconds = int(abs(delta).total_seconds())
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        units = self._units()
        parts = list(zip((days, hours, minutes, secs), units, strict=True))
        while parts and parts[0][0] == 0:
            parts.pop(0)
        gap = " " if self.language == "en" else ""
        shown = [f"{n}{gap}{unit}" for n, unit in parts[:2] if n]
        return gap.join(shown) or f"0{gap}{units[3]}"

    def _units(self) -> tuple[str, str, str, str]:
        words = catalogue(self.language)
        return (words.pgettext("duration", "d"), words.pgettext("duration", "h"),
                words.pgettext("duration", "min"), words.pgettext("duration", "s"))

    def countdown(self, deadline: datetime | str | None, now: datetime) -> str:
        """"due in 3 h 12 min" or "overdue by 2 d 1 h" ("" when there is no deadline), its
        spaces non-breaking: a countdown is never cut across lines."""
        when = _as_datetime(deadline)
        if when is None:
            return ""
        left = when - now
        if left.total_seconds() >= 0:
            text = self._("due in {time}", time=self.duration(left))
        else:
            text = self._("overdue by {time}", time=self.duration(left))
        return text.replace(" ", NBSP)

    def countdown_tag(self, deadline: datetime | str | None, now: datetime,
                      label: str = "") -> Markup:
        """The countdown as the page shows it and the script keeps counting: its words for
        the script in data- attributes, the deadline in the reader's zone and UTC on hover."""
        when = _as_datetime(deadline)
        if when is None:
            return Markup('<span class="muted">—</span>')
        title = f"{label} {self.text(when)} · {utc_text(when)}".strip()
        # data-now: the node's clock as it counted, which the script counts on from, not the
        # browser's (a reader's computer may be hours wrong).
        return Markup(
            '<time class="countdown{}" datetime="{}" title="{}" data-countdown data-now="{}" '
            'data-due="{}" data-over="{}" data-units="{}" data-gap="{}">{}</time>').format(
            " late" if when < now else "", utc_attribute(when), title, utc_attribute(now),
            self._("due in {time}"), self._("overdue by {time}"), ",".join(self._units()),
            NBSP if self.language == "en" else "", self.countdown(when, now))

    def sides(self, deadline: datetime | str | None, zones: Iterable[str]) -> str:
        """When a deadline falls for each party: "Tue 6 Jan 14:00 New York · Wed 7 Jan 03:00
        Shanghai"
        (each zone once, in the order given; "" when no party's zone is known)."""
        when = _as_datetime(deadline)
        if when is None:
            return ""
        shown = []
        for name in dict.fromkeys(z for z in zones if z):
            local = when.astimezone(zone(zone_or_utc(name)))
            time = format_datetime(local, _PATTERNS.get(self.language, _PATTERNS["en"])[1],
                                   locale=self._babel)
            where = place(zone_or_utc(name), self.language, when)
            # Whether someone is at the desk then: a deadline at 03:00 or on a Sunday for the
            # other party is one it meets the day before. Office hours, not public holidays;
            # the weekend where that party is (Friday and Saturday in Riyadh).
            if local.weekday() in weekend(zone_or_utc(name)):
                shown.append(self._("{time} {place} (weekend)", time=time, place=where))
            elif not OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]:
                shown.append(self._("{time} {place} (outside office hours)", time=time,
                                    place=where))
            else:
                shown.append(self._("{time} {place}", time=time, place=where))
        return " · ".join(shown)


OFFICE_HOURS = (8, 18)  # local hours, Monday to Friday, when a liaison desk is staffed


_UTC = Clockface()


@lru_cache(maxsize=512)
def _steady(zone_name: str, day: date) -> bool:
    """Whether the zone keeps one offset every week of a year either side of `day` (asked
    once a day a zone: every page asks). Casablanca's is the same on 1 January and 1 July,
    and another during Ramadan."""
    noon = datetime.combine(day, time(12), UTC)
    return len({(noon + timedelta(weeks=week)).astimezone(zone(zone_name)).utcoffset()
                for week in range(-53, 54)}) == 1


def moment(value: datetime | str | None) -> str:
    """A time as a reader in UTC reading English sees it (outside a page: logs, tests)."""
    return _UTC.text(value)


def duration(delta: timedelta) -> str:
    return _UTC.duration(delta)


def countdown(deadline: datetime | str | None, now: datetime) -> str:
    return _UTC.countdown(deadline, now).replace(NBSP, " ")


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)
