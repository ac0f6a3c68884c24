"""Which messages the UI shows, found in the source by Babel's extractors, and which of them a
catalogue does not translate yet.

`python -m accord.i18n.extraction zh-Hans` prints the untranslated ones as PO entries, ready to
be translated and added to locales/zh_Hans/LC_MESSAGES/messages.po (any .po file there is
read; one file keeps a translator's work in one place).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_dir

from accord.i18n.catalogue import Catalogue, catalogue

PACKAGE = Path(__file__).resolve().parent.parent  # src/accord
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "n_": (1, 2), "N_": None, "Nn_": (1, 2)}
# Where words that reach a reader are written: the web UI's handlers and templates, the
# documents it renders (the review report), and the refusals it shows.
METHOD_MAP = [
    ("web/**.py", "python"),
    ("web/templates/**.html", "jinja2"),
    ("i18n/**.py", "python"),
    ("cooperation/report.py", "python"),
    # The refusals of the desk, said on the pages (web.request_page.said).
    ("cooperation/refusals.py", "python"),
    ("cooperation/desk.py", "python"),
    ("cooperation/bounds.py", "python"),
    ("cooperation/evidence.py", "python"),
    ("cooperation/translating.py", "python"),
    ("cooperation/translations.py", "python"),
    ("cooperation/review_*.py", "python"),
    ("cooperation/templates/**.html", "jinja2"),
    # How an attribution stands, and why (the attribution page).
    ("attribution/standing.py", "python"),
    ("attribution/reasons.py", "python"),
    # Its refusals of a claim or a position (web.attribution_page, through request_page.said).
    ("attribution/record.py", "python"),
    # Why a name matched a designation (screening flags on the object and admin pages).
    ("screening/reasons.py", "python"),
    ("screening/rules.py", "python"),
    ("screening/matcher.py", "python"),
    # The directory's refusals (a party, a collection, a token), said on the admin page.
    ("store/directory.py", "python"),
    ("store/names.py", "python"),
    ("federation/mirrors.py", "python"),
    ("cooperation/guidelines.py", "python"),
]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                     "lstrip_blocks": "true"},
           "cooperation/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                             "trim_blocks": "true", "lstrip_blocks": "true"}}


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    plural: str | None
    context: str | None
    where: str  # file:line of its first use


def source_messages() -> dict[tuple[str | None, str], Message]:
    found: dict[tuple[str | None, str], Message] = {}
    extracted: Iterator = extract_from_dir(str(PACKAGE), METHOD_MAP, OPTIONS, KEYWORDS,
                                           strip_comment_tags=True)
    for filename, line, message, _comments, context in extracted:
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else \
            (message, None)
        if singular:
            found.setdefault((context, singular),
                             Message(singular, plural, context, f"{filename}:{line}"))
    return found


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def untranslated(language: str) -> list[Message]:
    words: Catalogue = catalogue(language)
    return [message for key, message in source_messages().items()
            if key not in words.messages]


def _po_entry(message: Message) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    lines = [f"#: {message.where}"]
    if message.context:
        lines.append(f"msgctxt {quoted(message.context)}")
    lines.append(f"msgid {quoted(message.id)}")
    if message.plural:
        lines += [f"msgid_plural {quoted(message.plural)}", 'msgstr[0] ""']
    else:
        lines.append('msgstr ""')
    return "\n".join(lines)


if __name__ == "__main__":
    missing = untranslated(sys.argv[1] if len(sys.argv) > 1 else "zh-Hans")
    print("\n\n".join(_po_entry(message) for message in missing))
    print(f"# {len(missing)} untranslated", file=sys.stderr)
