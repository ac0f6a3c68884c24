"""Why an attribution stands as it does, as words to be said in the reader's language: each
reason a phrase (an English message with {named} places, in the catalogue) and what fills it
(parties named as the reader may read their names, other phrases), put into words only when
shown. English, where no catalogue is asked for (the REST API, the command line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from accord.i18n import N_


@dataclass(frozen=True, slots=True)
class Parties:
    """Parties (or actors) named in a phrase: "A", "A and B", "A, B and C"."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Joined:
    """Phrases one after another, `separator` (itself translated) between them."""

    phrases: tuple[Phrase, ...]
    separator: str


@dataclass(frozen=True, slots=True)
class Phrase:
    singular: str
    plural: str | None = None  # with `count`: the form agrees with it
    count: int = 1
    values: tuple[tuple[str, Value], ...] = ()


Value = str | Parties | Joined | Phrase


class Words(Protocol):
    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class English:
    """The messages as written."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def said(phrase: Phrase, names: Mapping[str, str], words: Words | None = None) -> str:
    """`phrase` in words: in `words`' language (English when None), each party by the name
    in `names` (its id where it has none)."""
    words = words or English()
    text = (words.ngettext(phrase.singular, phrase.plural, phrase.count) if phrase.plural
            else words.gettext(phrase.singular))
    return text.format(**{key: _filled(value, names, words) for key, value in phrase.values})


def _filled(value: Value, names: Mapping[str, str], words: Words) -> str:
    if isinstance(value, Phrase):
        return said(value, names, words)
    if isinstance(value, Joined):
        return words.gettext(value.separator).join(said(p, names, words)
                                                   for p in value.phrases)
    if isinstance(value, Parties):
        named = [names.get(p, p) for p in value.ids]
        if len(named) <= 1:
            return "".join(named)
        return words.gettext(N_("{some} and {last}")).format(
            some=words.gettext(N_(", ")).join(named[:-1]), last=named[-1])
    return value
