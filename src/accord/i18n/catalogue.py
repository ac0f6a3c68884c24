"""Translations from the PO catalogues kept beside this module.

Every .po file under locales/<language>/LC_MESSAGES/ is read when first needed (no compiled .mo
files to keep in step) and merged into one catalogue per language. A message without a
translation reads as its English original, so a missing entry never breaks a page — the test
suite is what makes sure there are none (tests/unit/i18n/test_catalogue_complete.py).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from accord.i18n.languages import DEFAULT, LANGUAGES

LOCALES = Path(__file__).parent / "locales"
DOMAIN_FILES = "LC_MESSAGES"


def _directory(tag: str) -> Path:
    return LOCALES / tag.replace("-", "_") / DOMAIN_FILES


class Catalogue(gettext.NullTranslations):
    """One language's messages: singular, plural (by Babel's plural rule) and with context."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag
        self.messages: dict[tuple[str | None, str], Any] = {}
        self.plural = lambda n: int(n != 1)
        for path in sorted(_directory(tag).glob("*.po")) if tag != DEFAULT else ():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=LANGUAGES[tag].babel)
            self.plural = _plural_function(catalog.plural_expr)
            for message in catalog:
                if not message.id or message.fuzzy:
                    continue
                key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
                if (isinstance(message.string, tuple) and any(message.string)) or \
                        (isinstance(message.string, str) and message.string):
                    self.messages[(message.context, key)] = message.string

    def gettext(self, message: str) -> str:
        found = self.messages.get((None, message))
        return found if isinstance(found, str) else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get((None, singular))
        if isinstance(found, tuple):
            return found[min(self.plural(n), len(found) - 1)]
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        found = self.messages.get((context, message))
        return found if isinstance(found, str) else message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        found = self.messages.get((context, singular))
        if isinstance(found, tuple):
            return found[min(self.plural(n), len(found) - 1)]
        return singular if n == 1 else plural


def _plural_function(expression: str) -> Any:
    """Babel's plural expression ("0" for Chinese, "(n != 1)" for English) as a function.
    Only the C-like expressions gettext itself accepts: gettext.c2py checks them."""
    return gettext.c2py(expression)


@cache
def catalogue(tag: str) -> Catalogue:
    return Catalogue(tag if tag in LANGUAGES else DEFAULT)
