"""Time zones people read times in: which names are zones (IANA, as zoneinfo knows them), a
zone's offset at a moment ("UTC+8", "UTC−5"), the place a zone stands for ("Shanghai", 上海)
and the days that are its weekend. Pure: no clock, no I/O beyond the system's zone database
and Babel's CLDR data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from accord.i18n.catalogue import catalogue

DEFAULT_ZONE = "UTC"
MINUS = "\u2212"  # the minus sign, not a hyphen: "UTC−5" reads as a negative offset


def _(message: str) -> str:
    """Marks a place name for the catalogue (Babel extracts `_`); translated when shown."""
    return message


# The places of common zones, named as a reader knows them; the catalogue translates them. A
# zone not listed is named by its IANA city in English, and by its offset in other languages.
PLACES: dict[str, str] = {
    "America/New_York": _("New York"), "America/Chicago": _("Chicago"),
    "America/Denver": _("Denver"), "America/Los_Angeles": _("Los Angeles"),
    "America/Toronto": _("Toronto"), "America/Sao_Paulo": _("São Paulo"),
    "America/Mexico_City": _("Mexico City"), "Europe/London": _("London"),
    "Europe/Paris": _("Paris"), "Europe/Berlin": _("Berlin"), "Europe/Brussels": _("Brussels"),
    # Geneva keeps Zurich's time: the IANA database has no zone of its own for it.
    "Europe/Zurich": _("Geneva, Zurich"), "Europe/Moscow": _("Moscow"),
    "Asia/Shanghai": _("Shanghai"), "Asia/Hong_Kong": _("Hong Kong"),
    "Asia/Taipei": _("Taipei"), "Asia/Tokyo": _("Tokyo"), "Asia/Seoul": _("Seoul"),
    "Asia/Singapore": _("Singapore"), "Asia/Kolkata": _("Kolkata"), "Asia/Dubai": _("Dubai"),
    "Australia/Sydney": _("Sydney"), "Africa/Johannesburg": _("Johannesburg"),
}


class UnknownZone(ValueError):
    """A name that is not an IANA time zone known to this system."""


# What the system's zone files hold that is no place's time: the machine's own setting, a
# placeholder, the rules' template, and the same zones again under other trees.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def zone_names() -> frozenset[str]:
    return frozenset(name for name in available_timezones()
                     if name not in _NOT_ZONES
                     and not name.startswith(("posix/", "right/"))) | {DEFAULT_ZONE}


def is_zone(name: str) -> bool:
    return name in zone_names()


@cache
def zone(name: str) -> tzinfo:
    """The zone called `name` ("Asia/Shanghai"); UnknownZone, saying what a zone looks like,
    for anything else (checked against the zone list: no file path reaches zoneinfo)."""
    if name == DEFAULT_ZONE:
        return UTC
    if not is_zone(name):
        raise UnknownZone(f"{name!r} is not a time zone: give an IANA name such as "
                          "Asia/Shanghai, America/New_York or UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(f"{name!r} is not a time zone on this system") from None


def zone_or_utc(name: str | None) -> str:
    """`name` when it is a zone, else UTC: what a stored or guessed value is read as."""
    return name if name and is_zone(name) else DEFAULT_ZONE


def offset_label(offset: timedelta | None) -> str:
    """UTC+8, UTC−5, UTC+5:30, UTC (no offset)."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else MINUS
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def offset_at(name: str, when: datetime | None = None) -> str:
    """The offset of zone `name` at `when` (now-independent callers pass the moment)."""
    moment = (when or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(zone(name))
    return offset_label(moment.utcoffset())


def place(name: str, language: str, when: datetime | None = None) -> str:
    """The place zone `name` stands for, in `language`: a listed city, translated; else the
    IANA city in English, the CLDR's name of it in another language; else (UTC, Etc/…, or a
    city with no name in that language) the offset."""
    listed = PLACES.get(name)
    if listed is not None:
        return catalogue(language).gettext(listed)
    if "/" not in name or name.startswith("Etc/"):
        return offset_at(name, when)
    if language == "en":
        return name.rsplit("/", 1)[-1].replace("_", " ")
    return _city(name, language) or offset_at(name, when)


@cache
def _city(name: str, language: str) -> str | None:
    """The zone's city as the Unicode CLDR names it in `language` (加德满都 for Kathmandu)."""
    from babel import UnknownLocaleError
    from babel.dates import get_timezone, get_timezone_location

    from accord.i18n.languages import LANGUAGES

    known = LANGUAGES.get(language)
    if known is None:
        return None
    try:
        return str(get_timezone_location(get_timezone(name), locale=known.babel,
                                         return_city=True)) or None
    except (LookupError, UnknownLocaleError, ValueError):
        return None


class NoSuchLocalTime(ValueError):
    """A wall-clock time the zone skips (clocks go forward: 02:30 on a spring night)."""


class AmbiguousLocalTime(ValueError):
    """A wall-clock time the zone has twice (clocks go back); `offsets` are its two."""

    def __init__(self, text: str, offsets: tuple[str, str]) -> None:
        super().__init__(f"{text!r} happens twice where clocks go back: give its offset "
                         f"({offsets[0]} or {offsets[1]})")
        self.offsets = offsets


@cache
def weekend(name: str) -> frozenset[int]:
    """The days (Monday 0 to Sunday 6) that are the weekend where zone `name` keeps time, as
    the Unicode CLDR has it for the zone's country (Friday and Saturday in Riyadh, Friday in
    Tehran); Saturday and Sunday for a zone of no country (UTC)."""
    from babel.core import Locale, UnknownLocaleError, get_global

    # Browsers still name some zones by an old alias (Asia/Calcutta): read as the zone it is.
    name = get_global("zone_aliases").get(name, name)
    territory = get_global("zone_territories").get(name)
    try:
        locale = Locale.parse(f"und_{territory}") if territory not in (None, "001", "ZZ") \
            else None
    except (UnknownLocaleError, ValueError):
        locale = None
    if locale is None:
        return frozenset({5, 6})
    first, last = locale.weekend_start, locale.weekend_end
    return frozenset((first + n) % 7 for n in range((last - first) % 7 + 1))


def instant_in(text: str, name: str) -> datetime:
    """A date or date and time as typed in a form (2026-01-01, 2026-01-01T10:00) read in zone
    `name`, as an aware UTC datetime; one that carries its own offset (Z, +08:00) keeps it.
    ValueError when it is not a date; NoSuchLocalTime or AmbiguousLocalTime for a time the
    zone's clock change skips or repeats (rather than moving it silently by an hour)."""
    typed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if typed.tzinfo is None:
        typed = typed.replace(tzinfo=zone(name))
        try:
            back = typed.astimezone(UTC).astimezone(typed.tzinfo)
        except OverflowError:
            raise ValueError(f"{text!r} is beyond the calendar in UTC") from None
        if back.replace(tzinfo=None) != typed.replace(tzinfo=None):
            raise NoSuchLocalTime(f"{text!r} does not exist in {name}: the clocks skip it")
        first, second = typed.utcoffset(), typed.replace(fold=1).utcoffset()
        if first != second and first is not None and second is not None:
            raise AmbiguousLocalTime(text, (offset_iso(first), offset_iso(second)))
    try:
        return typed.astimezone(UTC)
    except OverflowError:  # the calendar's first or last hours, in a zone off UTC
        raise ValueError(f"{text!r} is beyond the calendar in UTC") from None


def offset_iso(offset: timedelta) -> str:
    """+08:00, -05:00: an offset as ISO 8601 writes it after a time."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def midnight_in(day: date, name: str) -> datetime:
    """The instant (UTC) day `day` begins in zone `name`."""
    return datetime.combine(day, time.min, tzinfo=zone(name)).astimezone(UTC)
