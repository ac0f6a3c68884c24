"""Every word the UI shows is in the catalogue and translated: no half-translated page.

Three checks: each message the source asks for (Babel's extractors over the handlers and
templates) has a Chinese translation with the same placeholders; the templates hold no
visible English outside a translation call; and the catalogue holds nothing the source no
longer asks for, so it stays the true list of what a translator must look at."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from accord.i18n.catalogue import LOCALES, catalogue
from accord.i18n.extraction import PACKAGE, placeholders, source_messages

TEMPLATE_DIRS = [PACKAGE / "web" / "templates", PACKAGE / "cooperation" / "templates"]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS if folder.exists()
                   for path in folder.glob("*.html"))
# Words that are the same in every language: names of standards, products and formats.
SAME_IN_EVERY_LANGUAGE = {"Accord", "STIX", "TAXII", "REST", "TLP", "CSV", "JSON", "HTML",
                          "PDF", "UTC", "API", "ATT", "CK", "MITRE", "CLEAR", "GREEN", "AMBER",
                          "RED", "STRICT", "SVG", "PNG", "ID", "IPv4", "IPv6", "URL",
                          "accord"}  # as in a token's prefix, accord_…
# Whose words are not ours to translate: commands, code and what parties wrote.
VERBATIM = {"code", "kbd", "samp", "pre", "script", "style"}
SEEN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "summary"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")


def test_every_message_is_translated_into_chinese() -> None:
    words = catalogue("zh-Hans")
    missing = [f"{message.where}: {message.id!r}" for key, message in
               source_messages().items() if key not in words.messages]
    assert not missing, "untranslated (python -m accord.i18n.extraction zh-Hans):\n" + \
        "\n".join(missing)


def test_translations_keep_every_placeholder() -> None:
    words = catalogue("zh-Hans")
    wrong = []
    for key, message in source_messages().items():
        translated = words.messages.get(key)
        for text in translated if isinstance(translated, tuple) else (translated,):
            if text is not None and placeholders(text) != placeholders(message.id):
                wrong.append(f"{message.id!r} → {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_catalogue_holds_only_what_the_source_asks_for() -> None:
    asked = set(source_messages())
    stale = [key[1] for key in catalogue("zh-Hans").messages if key not in asked]
    assert not stale, "no longer in the source (remove from the .po files):\n" + \
        "\n".join(map(repr, stale))


class _Visible(HTMLParser):
    """The text and the seen attributes of a template's static HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"input", "br", "meta", "link", "img", "hr"}:
            self.open.append(tag)
        for name, value in attrs:
            if name in SEEN_ATTRIBUTES and value:
                self.found.append(value)
            if name == "value" and tag == "button" and value:
                pass  # a button's value is sent, not shown

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not VERBATIM.intersection(self.open):
            self.found.append(data)


def _static_html(path: Path) -> str:
    """The template with every Jinja tag and expression replaced by a blank."""
    environment = Environment(extensions=["jinja2.ext.i18n"])
    parts = []
    for _line, kind, value in environment.lex(path.read_text(encoding="utf-8")):
        parts.append(value if kind == "data" else " ")
    return "".join(parts)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_templates_show_no_word_outside_a_translation(path: Path) -> None:
    parser = _Visible()
    parser.feed(_static_html(path))
    english = [word for text in parser.found for word in WORD.findall(text)
               if word not in SAME_IN_EVERY_LANGUAGE]
    assert not english, f"{path.name}: words not in a translation call: {english}"


def test_po_files_are_where_the_loader_reads() -> None:
    assert list((LOCALES / "zh_Hans" / "LC_MESSAGES").glob("*.po"))
