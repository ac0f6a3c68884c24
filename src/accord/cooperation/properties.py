"""How each property of Accord's extension objects (cooperation and attribution) is written in
STIX and read back: the kinds of value, and the reading of a type's properties into the fields
of its model, every problem named with its path."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.stix.identifiers import identifier_type, is_uppercase_identifier
from accord.stix.properties import show
from accord.stix.timestamps import format_timestamp, is_timestamp, parse_timestamp

# How each kind of property value is written in STIX and read back. `read` returns the model's
# value, or None after adding a problem; only a problem-free object is ever built.

class Value(ABC):
    @abstractmethod
    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        """The model's value of `raw`, or None after adding what is wrong to `problems`."""

    def write(self, value: Any) -> Any:
        return value

    def over(self, raw: Any, path: str) -> str | None:
        """What of `raw` passes the bound of this kind of value, if any: checked where an
        object comes in (intake), never where a stored one is read back, so that what was
        stored before a bound was set stays readable."""
        return None

    def is_empty(self, value: Any) -> bool:
        """True when an optional property holding `value` is left out (STIX has no empty
        lists, and Accord writes no empty strings)."""
        return not value


# What one text may hold. Every view of a request reads its ledger whole, and every screening
# reads every designation's names: a party writing without end would make them slow, and
# heavy, for everyone (docs/limits.md).
MOST_TEXT = 20_000  # characters of a text: a long report, as a translation may be
MOST_LINE = 300  # characters of a line: a summary, a name, an alias, one item of a list
MOST_LISTED = 100  # items of a list of lines (aliases, victims)
MOST_SHARED = 100  # parties a request is shared with, beside its requester and addressee


@dataclass(frozen=True, slots=True)
class Text(Value):
    most: int = MOST_TEXT  # characters

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not str:
            problems.append(f"{path}: {show(raw)} is not a string")
        elif not raw:
            problems.append(f"{path}: must not be empty (leave out an optional property instead)")
        else:
            return raw
        return None

    def over(self, raw: Any, path: str) -> str | None:
        if type(raw) is str and len(raw) > self.most:
            return f"{path}: {len(raw):,} characters, more than the {self.most:,} it may hold"
        return None


@dataclass(frozen=True, slots=True)
class Texts(Value):
    most: int = MOST_LISTED  # items
    each: Text = Text(MOST_LINE)

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not list or not raw:
            problems.append(f"{path}: {show(raw)} is not a non-empty list of strings")
            return None
        count = len(problems)
        items = tuple(self.each.read(item, f"{path}[{n}]", problems)
                      for n, item in enumerate(raw))
        return items if len(problems) == count else None

    def over(self, raw: Any, path: str) -> str | None:
        if type(raw) is not list:
            return None
        if len(raw) > self.most:
            return f"{path}: {len(raw):,} items, more than the {self.most:,} it may hold"
        return next((problem for n, item in enumerate(raw)
                     if (problem := self.each.over(item, f"{path}[{n}]"))), None)

    def write(self, value: Any) -> Any:
        return list(value)


class Timestamp(Value):
    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not is_timestamp(raw):
            problems.append(f"{path}: {show(raw)} is not a STIX timestamp "
                            "(YYYY-MM-DDTHH:MM:SS[.s+]Z, STIX 2.1 §3.2)")
            return None
        return parse_timestamp(raw)

    def write(self, value: Any) -> Any:
        if value.tzinfo is None:  # astimezone would read it as the machine's local time
            raise ValueError(f"{value!r} has no time zone: the model's times are UTC")
        return format_timestamp(value)

    def is_empty(self, value: Any) -> bool:
        return value is None


@dataclass(frozen=True, slots=True)
class Ref(Value):
    """An identifier (§2.9) of one of `types`, or of any type when `types` is None."""

    types: tuple[str, ...] | None = None

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        named = identifier_type(raw)
        if is_uppercase_identifier(raw):
            problems.append(f"{path}: write {show(raw)} in lowercase, {show(str(raw).lower())}: "
                            "UUIDs compare regardless of case (RFC 4122 §3, STIX 2.1 §2.9)")
            return None
        if named is None or (self.types is not None and named not in self.types):
            problems.append(f"{path}: {show(raw)} is not {self.expected}")
            return None
        return raw

    @property
    def expected(self) -> str:
        if self.types is None:
            return "an identifier (<type>--<UUID>, STIX 2.1 §2.9)"
        return f"an identifier of type {' or '.join(self.types)}"


@dataclass(frozen=True, slots=True)
class Refs(Value):
    types: tuple[str, ...] | None = None
    most: int | None = None  # identifiers the list may hold
    distinct: bool = False  # each named once

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not list or not raw:
            problems.append(f"{path}: {show(raw)} is not a non-empty list of identifiers")
            return None
        if self.most is not None and len(raw) > self.most:
            problems.append(f"{path}: {len(raw):,} identifiers, more than the {self.most:,} "
                            "it may hold")
            return None
        single, count = Ref(self.types), len(problems)
        items = tuple(single.read(item, f"{path}[{n}]", problems) for n, item in enumerate(raw))
        if self.distinct and len(problems) == count:
            seen: set[str] = set()
            for n, item in enumerate(items):
                if item in seen:
                    problems.append(f"{path}[{n}]: {item} is named twice")
                seen.add(item)
        return items if len(problems) == count else None

    def write(self, value: Any) -> Any:
        return list(value)


@dataclass(frozen=True, slots=True)
class Choice(Value):
    vocabulary: tuple[str, ...]

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if raw not in self.vocabulary or type(raw) is not str:
            problems.append(f"{path}: {show(raw)} is not one of {', '.join(self.vocabulary)}")
            return None
        return raw


@dataclass(frozen=True, slots=True)
class Integer(Value):
    low: int
    high: int | None = None

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not int:  # JSON true/false are not numbers, though Python bools are
            problems.append(f"{path}: {show(raw)} is not an integer")
        elif self.high is not None and not self.low <= raw <= self.high:
            problems.append(f"{path}: {raw} is not between {self.low} and {self.high}")
        elif raw < self.low:
            problems.append(f"{path}: {raw} is less than {self.low}")
        else:
            return raw
        return None


class Flag(Value):
    """A boolean the model reads as false when absent; Accord writes it only when true."""

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not bool:
            problems.append(f"{path}: {show(raw)} is not true or false")
            return None
        return raw


@dataclass(frozen=True, slots=True)
class Property:
    name: str  # as STIX spells it
    field: str  # the model's field it holds
    value: Value
    required: bool = False



def read_properties(kind: str, properties: tuple[Property, ...], source: Mapping[str, Any],
                    fields: dict[str, Any], problems: list[str], *, bounded: bool = False
                    ) -> None:
    """Each property's value as the model holds it into `fields`; what is wrong, path first,
    into `problems` (also for Accord's attribution objects). `bounded`: what passes a bound
    (Value.over) is wrong too, as for an object coming in."""
    for prop in properties:
        path = f"{kind}.{prop.name}"
        if prop.name not in source:
            if prop.required:
                problems.append(f"{path}: required but missing")
            continue
        if bounded and (beyond := prop.value.over(source[prop.name], path)):
            problems.append(beyond)
            continue
        value = prop.value.read(source[prop.name], path, problems)
        if value is not None:
            fields[prop.field] = value
