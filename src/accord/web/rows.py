"""A request as one row of a list: what it is, who with, and what it waits for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from accord.cooperation.ledger import RequestView
from accord.cooperation.summary import (
    OPEN_STATES,
    Summary,
    action_for,
    is_overdue_at,
    state_at,
    summarise,
)
from accord.cooperation.translations import Rendition, best_for_reader, same_language
from accord.store.summary_reads import Words

__all__ = ["OPEN_STATES", "Row", "Translated", "by_urgency_of_action", "in_reader_language",
           "mentions", "named_by", "row", "short_id", "summary_row", "translation_found"]


@dataclass(frozen=True, slots=True)
class Translated:
    """A translation of a request's summary, as its row shows it under the original."""

    lang: str
    summary: str
    translator: str  # the translator's name


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    summary: str
    other: str  # the other party's name
    incoming: bool  # addressed to the viewer's party
    urgency: str
    kind: str
    state: str
    deadline: datetime | None  # the next deadline that still counts
    deadline_of: str  # "acknowledge" or "respond"
    is_overdue: bool
    is_escalated: bool
    is_exercise: bool
    action: str  # what the viewer's party should do next ("" when nothing)
    received: datetime | None
    sent: datetime | None = None  # when the requester made it (the request's `created`)
    description: str = ""
    other_id: str = ""  # the other party's identity id
    category: str = ""
    shared: bool = False  # the viewer's party is neither side: the request is shared with it
    # A translation of its summary, shown under the original's: the one found by a search
    # that found the request only in a translation, else one in the reader's language.
    translated: Translated | None = None

    @property
    def short_id(self) -> str:
        """The first 8 hex digits of the UUID: enough to tell a party's requests apart, and
        what the requests page's search finds the request by."""
        return short_id(self.id)


def short_id(request_id: str) -> str:
    return request_id.rpartition("--")[2][:8]


def row(view: RequestView, me: str, names: Mapping[str, str]) -> Row:
    return summary_row(summarise(view), me, names, view.as_of)


def summary_row(s: Summary, me: str, names: Mapping[str, str], now: datetime) -> Row:
    """The row of a request's summary for party `me`, with its state at `now`."""
    incoming = s.addressee == me
    other = s.requester if incoming else s.addressee
    shared = me not in (s.requester, s.addressee)
    # Shared with the viewer: neither side is "the other party"; both are named.
    shown = (f"{names.get(s.requester, s.requester)} → {names.get(s.addressee, s.addressee)}"
             if shared else names.get(other, other))
    deadline, of = s.deadline
    return Row(s.request_id, s.summary, shown, incoming, s.urgency, s.kind,
               state_at(s, now), deadline, of, is_overdue_at(s, now), s.is_escalated,
               s.is_exercise, action_for(s, me), s.received, s.created, s.description, other,
               s.category, shared)


def mentions(words: Words, me: str, names: Mapping[str, str], text: str) -> bool:
    """The request holds `text` (case aside) in its summary, description or id, or in the
    name or identity id of its other party (for `me`), or in a translation of its summary or
    description that `me` reads."""
    needle = text.casefold()
    return _says(words, me, names, needle) or bool(words.translated) and any(
        needle in said.casefold() for said in words.translated)


def named_by(names: Mapping[str, str], text: str) -> frozenset[str]:
    """The parties whose names hold `text` (case aside), as `mentions` reads a name: a request
    whose other party is one of them mentions it."""
    needle = text.casefold()
    return frozenset(party for party, name in names.items() if needle in name.casefold())


def _says(words: Words, me: str, names: Mapping[str, str], needle: str) -> bool:
    other = words.requester if words.addressee == me else words.addressee
    return any(needle in field.casefold() for field in (
        words.summary, words.description, words.request_id, names.get(other, other), other))


def translation_found(words: Words, translations: Iterable[Rendition], me: str,
                      names: Mapping[str, str], text: str, reader: str) -> Translated | None:
    """Where the request holds `text` only in translations (of those the reader's party
    reads, `translations`): the translated summary its row shows, so that the reader sees
    what was found, and in which words — of a translation that holds the text, in
    `reader`'s language if one is (its exact tag first, as the request page chooses), else
    the newest. None where its own words hold the text, or no such translation translates
    the summary."""
    needle = text.casefold()
    if _says(words, me, names, needle):
        return None
    primary = reader.split("-")[0].lower()
    best = max((r for r in translations if r.texts.get("summary")
                and any(needle in said.casefold() for said in r.texts.values())),
               key=lambda r: (r.lang.split("-")[0].lower() == primary,
                              same_language(r.lang, reader), r.translated),
               default=None)
    return None if best is None else Translated(
        best.lang, best.texts["summary"], names.get(best.translator, best.translator))


def in_reader_language(lang: str, translations: Iterable[Rendition],
                       names: Mapping[str, str], reader: str) -> Translated | None:
    """The translation of a summary written in `lang` that its row shows a reader of
    `reader`'s language, as the request page would show it: None where the summary is in
    that language already, or no translation the reader's party reads gives it."""
    best = best_for_reader(lang, translations, reader, "summary")
    return None if best is None else Translated(
        best.lang, best.texts["summary"], names.get(best.translator, best.translator))


def by_urgency_of_action(rows: list[Row]) -> list[Row]:
    """What needs the viewer first: overdue and escalated, then nearest deadline, then the rest."""
    far = datetime.max.replace(tzinfo=None)

    def key(r: Row) -> tuple[int, datetime]:
        moment = r.deadline.replace(tzinfo=None) if r.deadline else far
        return (0 if (r.is_overdue or r.is_escalated) else 1, moment)

    return sorted(rows, key=key)
