"""Which languages Accord speaks and how a reader's is chosen. Pure.

A language is a BCP 47 tag ("en", "zh-Hans"). The reader's own choice, kept with the person,
wins; until there is one, the browser's Accept-Language is the first guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT = "en"


@dataclass(frozen=True, slots=True)
class Language:
    tag: str  # BCP 47, as in HTML lang= and STIX lang
    babel: str  # Babel's name for the locale ("zh_Hans_CN": numbers and dates as in China)
    own_name: str  # how the language names itself, for the switcher


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "en_GB", "English"),
    "zh-Hans": Language("zh-Hans", "zh_Hans_CN", "中文（简体）"),
}

# Tags a browser or a person may give for one of ours. Traditional Chinese is not one: a reader
# of zh-Hant is better served by English than by the wrong script, unless they choose.
_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans",
            "zh-hans-cn": "zh-Hans", "en": "en"}


def known(tag: str) -> str | None:
    """Our tag for `tag` ("zh-CN" → "zh-Hans", "en-US" → "en"), or None."""
    lowered = tag.strip().lower().replace("_", "-")
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    if lowered.startswith("en-"):
        return "en"
    if lowered.startswith("zh-hans-"):
        return "zh-Hans"
    return None


def from_accept_language(header: str | None) -> str:
    """The best of ours for an Accept-Language header (RFC 9110 §12.5.4), else English."""
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate((header or "").split(",")[:32]):
        tag, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ours = known(tag)
        # Earlier wins a tie: browsers list in preference order.
        if ours is not None and q > best_q and 0 < q <= 1:
            best, best_q = ours, q - position * 1e-6
    return best


def chosen(stored: str, header: str | None) -> str:
    """The reader's language: the stored choice if it is one of ours, else the browser's."""
    return (known(stored) if stored else None) or from_accept_language(header)


def language_name(tag: str, reader: str) -> str:
    """How `tag` (a BCP 47 tag a party wrote in, e.g. "zh-Hans") is named in the reader's
    language ("Chinese (Simplified)", "简体中文"); the tag itself when Babel does not know it."""
    from babel import Locale, UnknownLocaleError  # only pages that name a language need it

    try:
        named = Locale.parse(tag.replace("-", "_")).get_display_name(
            Locale.parse(LANGUAGES.get(reader, LANGUAGES[DEFAULT]).babel))
    except (ValueError, UnknownLocaleError):
        return tag
    if named and reader.startswith("zh"):
        # Babel's "中文 (简体)": Chinese sets its parentheses full width, as the language
        # chooser does ("中文（简体）").
        named = named.replace(" (", "（").replace("(", "（").replace(")", "）")
    return named or tag


def sentences(reader: str, parts: Sequence[str]) -> str:
    """Sentences said one after another, as the reader's language sets them: Chinese puts no
    space after its full stop (。), English one."""
    return ("" if reader.startswith("zh") else " ").join(p for p in parts if p)


def written_in(*texts: str) -> str:
    """The language a person most likely wrote `texts` in, for an act recorded without one
    said (the command line's --lang left out): Chinese when Chinese characters are at least as
    many as Latin letters (zh-Hant when they are traditional), else English."""
    from accord.screening.names import han_count, simplified

    text = "".join(texts)
    han = han_count(text)
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    if not han or han < latin:
        return DEFAULT

    return "zh-Hans" if simplified(text) == text else "zh-Hant"
