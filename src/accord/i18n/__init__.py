"""The languages people read Accord in: which ones, how a reader's is chosen, and the message
catalogues (Babel's PO files under locales/, read when the node starts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it: for label tables kept in
    English at module level and translated when a page shows them (Babel finds only literal
    strings inside a keyword's call)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for the catalogue, untranslated: the two forms, to be
    said with `ngettext` when the count is known."""
    return singular, plural


class Refusal(ValueError):
    """What a user asked for that is refused, in words that may be said in the reader's
    language: `message` is English with {named} places (marked N_ where it is written, for
    the catalogue) that `values` fill. str() is the English, for the command line and the
    REST API; `words` says it in a catalogue's language, for the web UI. The values named in
    TRANSLATED are words of the catalogue too (a field's name, an act).

    `about` names the fields of what was asked that the refusal is about, as the raising code
    calls them ("summary", "shared_with", "texts.colour" for one key of `texts`), so that an
    edge locates them (the REST API in its body, api.refusals) without reading the words;
    none for a refusal of no one field ("it was withdrawn"). `conflict`: a refusal of the
    state of what the act is about (it was answered, withdrawn or lifted already), not of what
    was asked: an edge says so as such (the REST API: 409, not 400), whatever the words."""

    TRANSLATED: tuple[str, ...] = ()

    def __init__(self, message: str, *, about: Sequence[str] = (), conflict: bool = False,
                 **values: Any) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values
        self.about = tuple(about)
        self.conflict = conflict

    def within(self, **wholes: str) -> Refusal:
        """The refusal about the same fields, where what was asked is a part of a larger whole
        (`texts`, one translation of the several a request is sent with, is
        `translations.zh-Hans`): each field named first by a key of `wholes` is renamed, in
        this refusal, to raise again."""
        self.about = tuple(
            wholes[head] + name[len(head):] if (head := name.split(".", 1)[0]) in wholes
            else name for name in self.about)
        return self

    def words(self, gettext: Callable[[str], str]) -> str:
        """The refusal in the language `gettext` translates into."""
        values = {name: gettext(value) if name in self.TRANSLATED and isinstance(value, str)
                  else value
                  for name, value in self.values.items()}
        text = gettext(self.message)
        return text.format(**values) if values else text
