"""The guidelines: the policy parties agree on — what a request must contain, how fast each
urgency must be acknowledged and answered, and the escalation ladder (the Dec 2015 dialogue's
"common understanding and expectations").

Versions are written as TOML and never edited: a new version comes into force at its
`effective` time, and the receipt of a request fixes its deadlines from the version then in
force, so a change of guidelines moves no running deadline.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce
from types import MappingProxyType
from typing import Any

from accord.cooperation.model import (
    CONTENT_FIELDS,
    KINDS,
    URGENCIES,
    Deadlines,
    Kind,
    Request,
    Urgency,
)
from accord.durations import DurationError, parse_duration
from accord.i18n import N_, Refusal
from accord.stix.identifiers import identifier_type
from accord.stix.properties import LANGUAGE_CODE
from accord.stix.timestamps import format_timestamp
from accord.words import a_or_an

SECTIONS = ("urgency", "required", "escalation", "languages")
DEADLINE_KEYS = ("acknowledge", "respond")
ALWAYS_REQUIRED = "summary"


class GuidelinesError(Refusal):
    """The guidelines cannot be used; `problems` names each, with its place in the TOML, in
    words the administration page says in its reader's language."""

    def __init__(self, problems: Sequence[Refusal]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.refusals = tuple(problems)
        self.problems = tuple(map(str, problems))  # in English

    def words(self, gettext: Callable[[str], str]) -> str:
        said = [p.words(gettext) for p in self.refusals]
        return reduce(lambda earlier, later: gettext(N_("{earlier}; {later}")).format(
            earlier=earlier, later=later), said) if said else ""


class RequestIncomplete(Refusal):
    """A request lacks content its guidelines require: it is about the fields missing."""

    def __init__(self, kind: Kind, missing: Sequence[str], version: int | str,
                 party: str = "") -> None:
        """`party`: the addressee whose node's guidelines require it, where they are not this
        node's."""
        whose = f"the guidelines of {party}'s node, version" if party else "guidelines version"
        super().__init__(f"{a_or_an(kind)} request must carry: {', '.join(missing)} "
                         f"({whose} {version})", about=missing)
        self.kind = kind
        self.missing = tuple(missing)
        self.version = version
        self.party = party


@dataclass(frozen=True, slots=True)
class Guidelines:
    version: int
    effective: datetime  # UTC: when this version came into force
    pair: frozenset[str] | None  # the two identity ids it is agreed between; None: node-wide
    deadlines: Mapping[Urgency, Deadlines] = field(hash=False)
    required: Mapping[Kind, tuple[str, ...]] = field(hash=False)  # CONTENT_FIELDS names
    ladder: tuple[str, ...]  # the escalation ladder, level 1 first
    # The languages every request must carry, written in or translated into (RFC 5646 tags):
    # the two sides of an exchange that do not share one. Empty: any one language will do.
    languages: tuple[str, ...] = ()


DEFAULT = Guidelines(
    version=0,
    effective=datetime(1970, 1, 1, tzinfo=UTC),
    pair=None,
    deadlines=MappingProxyType({
        "urgent": Deadlines(timedelta(hours=24), timedelta(days=3)),
        "priority": Deadlines(timedelta(days=2), timedelta(days=10)),
        "routine": Deadlines(timedelta(days=7), timedelta(days=30)),
    }),
    required=MappingProxyType({
        "information": ("summary", "evidence"),
        "preservation": ("summary", "legal_basis", "evidence"),
        "investigation": ("summary", "activity", "evidence"),
        "mitigation": ("summary", "activity", "evidence"),
        "prosecution": ("summary", "victims", "impact", "legal_basis", "evidence"),
    }),
    ladder=("liaison officers", "hotline", "senior officials"),
)


def parse_guidelines(text: str, *, version: int, effective: datetime,
                     pair: frozenset[str] | None = None) -> Guidelines:
    """The guidelines `text` (TOML) states; what it leaves out is taken from `DEFAULT`.

    Raises `GuidelinesError` naming every problem and where it is."""
    problems: list[Refusal] = []
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message gives the line and column
        raise GuidelinesError([Refusal(N_("the guidelines are not valid TOML: {error}"),
                                       error=str(error))]) from error
    _check_identity(version, effective, pair, problems)
    for key in document:
        if key not in SECTIONS:
            problems.append(Refusal(N_("{where}: unknown section (one of {known})"),
                                    where=key, known=", ".join(SECTIONS)))
    deadlines = _deadlines(_table(document, "urgency", problems), problems)
    required = _required(_table(document, "required", problems), problems)
    ladder = _ladder(_table(document, "escalation", problems), problems)
    languages = _languages(_table(document, "languages", problems), problems)
    if problems:
        raise GuidelinesError(problems)
    return Guidelines(version, effective.astimezone(UTC), pair, deadlines, required, ladder,
                      languages)


def _check_identity(version: int, effective: datetime, pair: frozenset[str] | None,
                    problems: list[Refusal]) -> None:
    if type(version) is not int or version < 0:
        problems.append(Refusal(N_("version: {version} is not a whole number 0 or more"),
                                version=repr(version)))
    if effective.tzinfo is None:
        problems.append(Refusal(N_("effective: {effective} has no time zone (give it in UTC)"),
                                effective=effective.isoformat()))
    if pair is not None and (len(pair) != 2 or any(identifier_type(p) != "identity"
                                                   for p in pair)):
        problems.append(Refusal(N_("pair: {pair} is not two different identity ids"),
                                pair=str(sorted(pair))))


def _table(document: Mapping[str, Any], key: str, problems: list[Refusal]
           ) -> Mapping[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        problems.append(Refusal(N_("{where}: {value} is not a table (write it as [{where}])"),
                                where=key, value=_show(value)))
        return {}
    return value


def _deadlines(table: Mapping[str, Any], problems: list[Refusal]
               ) -> Mapping[Urgency, Deadlines]:
    deadlines = dict(DEFAULT.deadlines)
    for urgency, given in table.items():
        where = f"urgency.{urgency}"
        if urgency not in URGENCIES:
            problems.append(Refusal(N_("{where}: unknown urgency (one of {known})"),
                                    where=where, known=", ".join(URGENCIES)))
            continue
        if not isinstance(given, dict):
            problems.append(Refusal(N_("{where}: {value} is not a table (write acknowledge and "
                                       "respond under [{where}])"),
                                    where=where, value=_show(given)))
            continue
        default = DEFAULT.deadlines[urgency]
        durations = {"acknowledge": default.acknowledge, "respond": default.respond}
        for key, value in given.items():
            if key not in DEADLINE_KEYS:
                problems.append(Refusal(N_("{where}: unknown key (one of {known})"),
                                        where=f"{where}.{key}", known=", ".join(DEADLINE_KEYS)))
                continue
            duration = _duration(value, f"{where}.{key}", problems)
            if duration is not None:
                durations[key] = duration
        acknowledge, respond = durations["acknowledge"], durations["respond"]
        if respond < acknowledge:
            problems.append(Refusal(
                N_("{where}: respond ({respond}) is shorter than acknowledge ({acknowledge})")
                if "respond" in given and "acknowledge" in given else
                N_("{where}: respond ({respond}, the default) is shorter than acknowledge "
                   "({acknowledge})") if "acknowledge" in given else
                N_("{where}: respond ({respond}) is shorter than acknowledge ({acknowledge}, "
                   "the default)"),
                where=where, respond=format_duration(respond),
                acknowledge=format_duration(acknowledge)))
        deadlines[urgency] = Deadlines(acknowledge, respond)
    return MappingProxyType(deadlines)


def _duration(value: Any, where: str, problems: list[Refusal]) -> timedelta | None:
    try:
        if not isinstance(value, str):
            raise DurationError(value)
        duration = parse_duration(value)
    except (DurationError, OverflowError):  # OverflowError: more days than timedelta holds
        problems.append(Refusal(N_("{where}: {value} is not a duration (write ISO 8601 such "
                                   "as P3D or PT24H, or 90s, 12h, 3d)"),
                                where=where, value=_show(value)))
        return None
    if duration <= timedelta(0):
        problems.append(Refusal(N_("{where}: {value} is not longer than zero"), where=where,
                                value=_show(value)))
        return None
    return duration


def _required(table: Mapping[str, Any], problems: list[Refusal]
              ) -> Mapping[Kind, tuple[str, ...]]:
    required = dict(DEFAULT.required)
    for kind, names in table.items():
        where = f"required.{kind}"
        if kind not in KINDS:
            problems.append(Refusal(N_("{where}: unknown kind of request (one of {known})"),
                                    where=where, known=", ".join(KINDS)))
            continue
        if not isinstance(names, list):
            problems.append(Refusal(N_("{where}: {value} is not a list of request fields"),
                                    where=where, value=_show(names)))
            continue
        chosen = {ALWAYS_REQUIRED}
        for name in names:
            if name in CONTENT_FIELDS:
                chosen.add(name)
            else:
                problems.append(Refusal(N_("{where}: {value} is not a request field (one of "
                                           "{known})"), where=where, value=_show(name),
                                        known=", ".join(CONTENT_FIELDS)))
        required[kind] = tuple(name for name in CONTENT_FIELDS if name in chosen)
    return MappingProxyType(required)


def _ladder(table: Mapping[str, Any], problems: list[Refusal]) -> tuple[str, ...]:
    for key in table:
        if key != "ladder":
            problems.append(Refusal(N_("{where}: unknown key (only {known})"),
                                    where=f"escalation.{key}", known="ladder"))
    if "ladder" not in table:
        return DEFAULT.ladder
    ladder = table["ladder"]
    if not isinstance(ladder, list) or not ladder:
        problems.append(Refusal(N_("{where}: {value} is not a non-empty list of names"),
                                where="escalation.ladder", value=_show(ladder)))
        return DEFAULT.ladder
    for level, name in enumerate(ladder, start=1):
        if not isinstance(name, str) or not name.strip():
            problems.append(Refusal(N_("{where}: level {level}, {value}, is not a name"),
                                    where="escalation.ladder", level=level, value=_show(name)))
        elif ladder.index(name) != level - 1:
            problems.append(Refusal(N_("{where}: {value} is on the ladder twice"),
                                    where="escalation.ladder", value=_show(name)))
    return tuple(ladder)


def _languages(table: Mapping[str, Any], problems: list[Refusal]) -> tuple[str, ...]:
    for key in table:
        if key != "required":
            problems.append(Refusal(N_("{where}: unknown key (only {known})"),
                                    where=f"languages.{key}", known="required"))
    tags = table.get("required", [])
    if not isinstance(tags, list):
        problems.append(Refusal(N_("{where}: {value} is not a list of language codes"),
                                where="languages.required", value=_show(tags)))
        return ()
    chosen: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not LANGUAGE_CODE.match(tag):
            problems.append(Refusal(N_("{where}: {value} is not an RFC 5646 language code "
                                       "(such as en or zh-Hans)"),
                                    where="languages.required", value=_show(tag)))
        elif tag.lower() in (c.lower() for c in chosen):
            problems.append(Refusal(N_("{where}: {value} is listed twice"),
                                    where="languages.required", value=_show(tag)))
        else:
            chosen.append(tag)
    return tuple(chosen)


def _show(value: Any) -> str:
    """`value` as TOML (and JSON) write it, shortened for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # TOML dates and times
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_duration(duration: timedelta) -> str:
    """`duration` in ISO 8601 (P3D, PT24H, P1DT0.5S), as `parse_duration` reads it back."""
    days, rest = duration.days, duration.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds or duration.microseconds:
        fraction = f".{duration.microseconds:06d}".rstrip("0").rstrip(".")
        time += f"{seconds}{fraction}S"
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"


def _toml_string(text: str) -> str:
    # TOML 1.0 basic strings: escape the quote, the backslash and control characters.
    escaped = "".join(
        f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else "\\" + c if c in '"\\' else c
        for c in text
    )
    return f'"{escaped}"'


def to_toml(guidelines: Guidelines) -> str:
    """The policy of `guidelines` as TOML that `parse_guidelines` reads back equal (version,
    effective and pair are stored beside the text, not in it)."""
    lines: list[str] = []
    for urgency in URGENCIES:
        deadlines = guidelines.deadlines[urgency]
        lines += [f"[urgency.{urgency}]",
                  f'acknowledge = "{format_duration(deadlines.acknowledge)}"',
                  f'respond = "{format_duration(deadlines.respond)}"', ""]
    lines.append("[required]")
    for kind in KINDS:
        names = ", ".join(_toml_string(name) for name in guidelines.required[kind])
        lines.append(f"{kind} = [{names}]")
    ladder = ", ".join(_toml_string(name) for name in guidelines.ladder)
    lines += ["", "[escalation]", f"ladder = [{ladder}]"]
    if guidelines.languages:
        tags = ", ".join(_toml_string(tag) for tag in guidelines.languages)
        lines += ["", "[languages]", f"required = [{tags}]"]
    return "\n".join(lines) + "\n"


def to_dict(guidelines: Guidelines) -> dict[str, Any]:
    """`guidelines` for JSON output: the TOML's structure, with version, effective and pair."""
    return {
        "version": guidelines.version,
        "effective": format_timestamp(guidelines.effective),
        "pair": sorted(guidelines.pair) if guidelines.pair is not None else None,
        "urgency": {
            urgency: {"acknowledge": format_duration(d.acknowledge),
                      "respond": format_duration(d.respond)}
            for urgency, d in ((u, guidelines.deadlines[u]) for u in URGENCIES)
        },
        "required": {kind: list(guidelines.required[kind]) for kind in KINDS},
        "escalation": {"ladder": list(guidelines.ladder)},
        "languages": {"required": list(guidelines.languages)},
    }


def in_force(versions: Sequence[Guidelines], at: datetime, requester: str,
             addressee: str) -> Guidelines:
    """The guidelines governing a request between the two parties at `at`: the latest version
    agreed for the pair, else the latest node-wide one, else `DEFAULT`. Of versions effective
    at the same instant, the highest version number wins."""
    pair = frozenset({requester, addressee})
    effective = [g for g in versions if g.effective <= at]
    for candidates in ([g for g in effective if g.pair == pair],
                       [g for g in effective if g.pair is None]):
        if candidates:
            return max(candidates, key=lambda g: (g.effective, g.version))
    return DEFAULT


def missing_content(request: Request, guidelines: Guidelines) -> list[str]:
    """The content fields `guidelines` require of a request of its kind that it lacks, in
    `CONTENT_FIELDS` order ("summary" is always required)."""
    required = {ALWAYS_REQUIRED, *guidelines.required.get(request.kind, ())}
    return [name for name in CONTENT_FIELDS if name in required and not _has(request, name)]


def published_required(body: Mapping[str, Any]) -> dict[Kind, tuple[str, ...]]:
    """What a peer's node requires of each kind of request, from the guidelines it publishes
    (GET /api/v1/guidelines, read at each sync round): the fields this node knows, and none
    where it does not say them plainly (its node still checks what it stores)."""
    required = body.get("required")
    if not isinstance(required, dict):
        return {}
    return {kind: tuple(name for name in CONTENT_FIELDS if name in names)
            for kind in KINDS if isinstance(names := required.get(kind), list)}


def missing_required(request: Request, required: Mapping[Kind, tuple[str, ...]]) -> list[str]:
    """The fields of `required` (published_required) that `request` lacks."""
    wanted = required.get(request.kind, ())
    return [name for name in CONTENT_FIELDS if name in wanted and not _has(request, name)]


def require_content(request: Request, guidelines: Guidelines) -> None:
    """Raises `RequestIncomplete` when `request` lacks content `guidelines` require."""
    missing = missing_content(request, guidelines)
    if missing:
        raise RequestIncomplete(request.kind, missing, guidelines.version)


def _has(request: Request, name: str) -> bool:
    if name == "activity":
        return request.activity_start is not None
    value = getattr(request, name)
    if isinstance(value, str):
        return bool(value.strip())
    return any(item.strip() for item in value)  # victims, evidence


def deadlines_for(request: Request, guidelines: Guidelines,
                  received: datetime) -> tuple[datetime, datetime]:
    """(acknowledge_by, respond_by) for `request`, received by its addressee's node at
    `received`."""
    deadlines = guidelines.deadlines.get(request.urgency, DEFAULT.deadlines[request.urgency])
    return received + deadlines.acknowledge, received + deadlines.respond
