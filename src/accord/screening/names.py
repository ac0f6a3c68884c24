"""Names in comparable forms — pure, no I/O.

A person's name becomes token lists (pinyin syllables of a given name joined, Chinese script
read as pinyin with surname readings, case, tone marks, hyphens and spacing folded) and the set
of its tokens joined in every order; an organisation's name becomes its distinctive words, its
context words (generic words and places) and its legal form, which is kept apart so that it
never makes a match on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import islice, permutations

from accord.screening import romanisations
from accord.screening.words import (
    CHINESE_ORG_WORDS,
    COMPOUND_SURNAMES,
    GENERIC_WORDS,
    LEGAL_FORMS,
    PLACES,
    STOP_WORDS,
    SURNAME_READINGS,
)

# One name's tokens joined in every order stop being worth it beyond four tokens (24 keys).
MAX_PERMUTED_TOKENS = 4
# Readings of one name kept: each character with two readings as a surname (单 shan/dan, 曾,
# 解, 仇, …) doubles them, so "单 单 单 …" written by a hostile party (as an alias on a
# designation, on every party's watch list) would read 2^n ways. A real name has one or two
# runs of Chinese script, so at most four readings; the first are the likeliest.
MAX_READINGS = 8

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_JOINERS = re.compile(r"['’ʼ`´\-‐‑‒–]")
# A hyphen between two words: it joins a name's syllables ("Kai-liang"), but a firm's words too
# ("Information-Technology", "Threat Group-0110"); a name that holds one is read both ways.
_HYPHEN = re.compile(r"(?<=\w)[\-‐‑‒–](?=\w)")
_SEPARATORS = re.compile(r"[\W_]+")

_LONGEST_CHINESE_WORD = max(map(len, CHINESE_ORG_WORDS))

# What sets apart the names one query may give for one person or firm: brackets, slashes, and
# "a.k.a." and its kin ("WANG Dong (a.k.a. UglyGorilla)", "Sun Kailiang / 孙凯亮"). Not a comma:
# "WANG, Dong" is one name, surname first.
_ALSO_KNOWN_AS = re.compile(
    r"[()\[\]（）【】/|;；]|(?<!\w)(?:a\.?\s?k\.?\s?a|f\.?\s?k\.?\s?a|also known as"
    r"|né|née)(?!\w)\.?|(?<!\w)alias(?:es)?\s*:", re.IGNORECASE)
# Titles before or after a person's name, which are not part of it.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir",
                        "madam", "mister", "先生", "女士", "小姐", "博士", "教授",
                        # and what follows a name: "Wang Dong Jr.", "John Smith III"
                        "jr", "sr", "ii", "iii", "iv"})
_HONORIFIC_HAN = re.compile("(?:先生|女士|小姐|博士|教授)$")
# Names one query may be read as: the whole, and each part of it (see name_variants).
MAX_VARIANTS = 8
# Cyrillic and Greek letters drawn like Latin ones: in a word that mixes them with Latin
# letters they are a disguise ("Wаng" with a Cyrillic а), read as the Latin letter.
_LOOK_ALIKES = str.maketrans("аеорсхуікмтнвјѕԁһԛԝαεικνορτυχ", "aeopcxyikmthbjsdhqwaeikvoptux")
_LATIN = re.compile("[a-z]")
# Pinyin with tones as numbers ("Wang2 Dong1", "kai3liang4"): the numbers go.
_NUMBERED_TONES = re.compile(r"^(?:[a-zü]+[1-5])+$")


# Small capitals, which Unicode does not fold to their letters (NFKC keeps "ᴡᴀɴɢ ᴅᴏɴɢ" as it
# is): a name written in them reads as the name to anyone, and must to the screening too.
_SMALL_CAPITALS = str.maketrans("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz")


def fold(text: str) -> str:
    """Compatibility forms, small capitals, case and diacritics (tone marks included) folded
    away."""
    decomposed = unicodedata.normalize(
        "NFKD", unicodedata.normalize("NFKC", text).casefold().translate(_SMALL_CAPITALS))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def han_alone(text: str) -> bool:
    """Whether a name is written in Chinese characters, without Latin letters ("王東先生", not
    "Wang 东")."""
    return has_han(text) and _LATIN.search(fold(text)) is None


def han_count(text: str) -> int:
    """How many Chinese characters `text` holds."""
    return sum(map(len, _HAN.findall(text)))


def _latin_tokens(text: str) -> list[str]:
    """Words of folded text: apostrophes and hyphens join ("Kai-liang" is "kailiang"); a
    Cyrillic or Greek look-alike amid Latin letters is read as the Latin letter, and pinyin
    tones written as numbers are dropped."""
    words = [_plain(t) for t in _SEPARATORS.split(_JOINERS.sub("", fold(text))) if t]
    return _untoned(words)


def _plain(token: str) -> str:
    if not token.isascii() and _LATIN.search(token):
        token = token.translate(_LOOK_ALIKES)
    # Lü and Nü as passports and keyboards write them (ü is folded to u).
    return _U_UMLAUT.get(token, token)


_U_UMLAUT = {"lyu": "lu", "lv": "lu", "nyu": "nu", "nv": "nu"}


def _untoned(words: list[str]) -> list[str]:
    """The words without their tone numbers, when they are pinyin with a number after every
    syllable ("Wang2 Dong1", "Kai3liang4"): at least two syllables in all, so that a single
    "Hong3" stays itself (its number may be what tells it from "Hong2")."""
    syllables = [[s for s in re.split("[1-5]", w) if s] for w in words]
    if (not words or not all(_NUMBERED_TONES.match(w) for w in words)
            or sum(map(len, syllables)) < 2
            or not all(pinyin_syllable_count(s) == 1 for each in syllables for s in each)):
        return words
    return ["".join(each) for each in syllables]


@dataclass(frozen=True, slots=True)
class Variant:
    """One name a query may give: `text`, read as a person's name only (`person_only`: a part
    without its titles, which a firm's name keeps: "Dr Martens") or as either kind."""

    text: str
    person_only: bool = False


def name_variants(text: str) -> tuple[Variant, ...]:
    """The names a query may give for one person or firm, the whole first: each part set apart
    by brackets, slashes or "a.k.a."; a part in Latin letters and Chinese script, each script
    on its own ("Wang Dong 王东"); as a person's name, each without the titles around it
    ("Mr. Wang Dong"). At most MAX_VARIANTS."""
    found: dict[str, bool] = {}

    def add(variant: str) -> None:
        variant = variant.strip(" \t,.:;-–—")
        if variant and any(c.isalnum() for c in variant):
            found[variant] = False
            untitled = without_titles(variant)
            if untitled != variant and untitled:
                found.setdefault(untitled, True)

    add(text)
    for part in _ALSO_KNOWN_AS.split(text):
        add(part)
        han = _HAN.findall(part)
        latin = _HAN.sub(" ", part)
        if han and any(c.isalpha() for c in latin):
            add(latin)
            add(" ".join(han))
    read = list(found.items())[:MAX_VARIANTS]
    # Each reading with a hyphen between words is read again with a space there (its hyphens
    # joining a firm's words, not a name's syllables), after all the others and beyond their
    # cap: taken among them, such copies pushed a query's later parts (its Chinese name) out.
    # The whole of a query that has parts is not: each part is read again on its own.
    many = len(read) > 1
    apart = [(spaced_, person) for variant, person in read
             if not (many and variant == text.strip(" \t,.:;-–—"))
             and (spaced_ := spaced(variant)) is not None and spaced_ not in found]
    return tuple(Variant(v, person) for v, person in read + apart[:MAX_VARIANTS])


def spaced(text: str) -> str | None:
    """TEXT with each hyphen between two words read as a space ("Sichuan-Silence
    Information-Technology" as "Sichuan Silence Information Technology"), or None when it
    holds none."""
    return _HYPHEN.sub(" ", text) if _HYPHEN.search(text) else None


def without_titles(name: str) -> str:
    """A person's name without the titles before it and the suffixes after it ("Mr.", "Dr.",
    先生; "Jr.", "III")."""
    words = name.split()
    while words and fold(words[0]).rstrip(".") in HONORIFICS:
        words = words[1:]
    while words and fold(words[-1]).rstrip(".") in HONORIFICS:
        words = words[:-1]
    return _HONORIFIC_HAN.sub("", " ".join(words)).strip()


@cache
def _pinyin_module():  # type: ignore[no-untyped-def]
    # Imported on first use: loading its phrase dictionary takes about 0.4 s.
    import pypinyin

    return pypinyin


@cache
def _to_simplified():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Chinese script in its simplified form (武漢 is 武汉): a firm's or a person's name is
    written either way, in Taiwan, Hong Kong and in older records, and read alike."""
    return _to_simplified().convert(text) if has_han(text) else text


def pinyin(han: str) -> list[str]:
    """Chinese characters as toneless pinyin syllables, phrases read in context (重庆 chongqing)."""
    pypinyin = _pinyin_module()
    return [fold(s) for s in pypinyin.lazy_pinyin(han, style=pypinyin.Style.NORMAL, v_to_u=True)]


def person_reading(han: str) -> list[list[str]]:
    """A name in Chinese script as [surname, given name] readings: the surname's own reading
    first (单 shan), then the character's common one when it differs."""
    if len(han) > 4:
        return [["".join(pinyin(han))]]
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        surnames, given = [COMPOUND_SURNAMES[han[:2]]], han[2:]
    else:
        common = "".join(pinyin(han[0]))
        surnames = list(dict.fromkeys([SURNAME_READINGS.get(han[0], common), common]))
        given = han[1:]
    given_reading = "".join(pinyin(given)) if given else ""
    return [[s, given_reading] if given_reading else [s] for s in surnames]


@cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable, from pypinyin's character dictionary."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            syllable = fold(reading)
            if syllable.isascii() and any(v in syllable for v in "aeiou"):
                found.add(syllable)
    return frozenset(found)


@cache
def pinyin_syllable_count(token: str) -> int | None:
    """How few pinyin syllables a token reads as ("kailiang": 2), None if it does not read as
    pinyin ("kailaing")."""
    syllables = _syllables()
    fewest: list[int | None] = [0] + [None] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 6), end):
            before = fewest[start]
            if (
                before is not None
                and token[start:end] in syllables
                # pinyin writes "xi'an": a syllable after another never starts with a, e or o
                and (start == 0 or token[start] not in "aeo")
            ):
                now = fewest[end]
                fewest[end] = before + 1 if now is None else min(now, before + 1)
    return fewest[-1]


@dataclass(frozen=True)
class PersonName:
    """A person's name as its comparable forms."""

    text: str
    forms: tuple[tuple[str, ...], ...]  # token lists: as written, given names joined, readings
    keys: frozenset[str]  # the tokens of a form joined in every order: spacing and order folded
    reading: str  # Chinese script read as pinyin ("wang dong"), "" when there is none
    # Read from Wade–Giles as pinyin (romanisations): each reading ("deng xiaoping") with its
    # keys, kept apart from `keys`: a match through them is scored and said as such.
    romanised: tuple[tuple[str, frozenset[str]], ...] = ()
    # What only Wade–Giles writes is in it (romanisations.is_unmistakable): the readings are
    # of this name, not guesses that pinyin as written would not make.
    unmistakable: bool = False
    # The name's Chinese characters, simplified, in their order ("王东"); "" when it has none.
    # Two names in characters are the same name only when these are the same: 汪东 and 王东
    # read alike, and are two names.
    han: str = ""

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(t for form in self.forms for t in form)

    @cached_property
    def romanised_keys(self) -> frozenset[str]:
        # Once a name: a listed name's are asked of it by every query it is a candidate for.
        return frozenset(k for _, keys in self.romanised for k in keys)


def person_name(text: str) -> PersonName:
    readings: list[list[str]] = [[]]
    for part in re.split(f"({_HAN.pattern})", simplified(text)):
        if not part:
            continue
        options = person_reading(part) if _HAN.fullmatch(part) else [_latin_tokens(part)]
        readings = list(islice((done + option for done in readings for option in options),
                               MAX_READINGS))
    forms = _forms(readings)
    reading = " ".join(readings[0]) if has_han(text) else ""
    romanised = () if has_han(text) else tuple(
        (" ".join(words), _keys(_forms([words])))
        for words in romanisations.readings(text, _is_pinyin))
    return PersonName(text, tuple(forms), _keys(forms), reading, romanised,
                      bool(romanised) and romanisations.is_unmistakable(text, _is_pinyin),
                      "".join(_HAN.findall(simplified(text))))


def _forms(readings: list[list[str]]) -> dict[tuple[str, ...], None]:
    forms: dict[tuple[str, ...], None] = {}
    for tokens in readings:
        if not tokens:
            continue
        forms[tuple(tokens)] = None
        if len(tokens) >= 3:  # "Sun Kai Liang": the given name joined, surname first or last
            forms[(tokens[0], "".join(tokens[1:]))] = None
            forms[("".join(tokens[:-1]), tokens[-1])] = None
    return forms


def _keys(forms: Iterable[tuple[str, ...]]) -> frozenset[str]:
    return frozenset(
        "".join(order)
        for form in forms
        for order in (permutations(form) if len(form) <= MAX_PERMUTED_TOKENS else [form])
    )


def _is_pinyin(token: str) -> bool:
    return pinyin_syllable_count(token) is not None


@dataclass(frozen=True)
class OrgName:
    """An organisation's name: what identifies it, its context, and its legal form."""

    text: str
    distinctive: tuple[str, ...]
    generic: frozenset[str]
    places: frozenset[str]
    legal: tuple[str, ...]
    reading: str  # Chinese script read as pinyin, "" when there is none
    joined: str  # the distinctive words without spaces: "Xiao Rui Zhi" is "Xiaoruizhi"

    @property
    def context(self) -> frozenset[str]:
        return self.generic | self.places


def _chinese_org_words(han: str) -> list[str]:
    """A firm's name in Chinese script as words: known words (legal forms, generic words,
    places) in English or pinyin, and what lies between them read as one pinyin word."""
    words: list[str] = []
    core = ""
    at = 0
    while at < len(han):
        for size in range(min(_LONGEST_CHINESE_WORD, len(han) - at), 0, -1):
            if han[at : at + size] in CHINESE_ORG_WORDS:
                if core:
                    words.append("".join(pinyin(core)))
                    core = ""
                words.extend(CHINESE_ORG_WORDS[han[at : at + size]].split())
                at += size
                break
        else:
            core += han[at]
            at += 1
    if core:
        words.append("".join(pinyin(core)))
    return words


def org_name(text: str) -> OrgName:
    words: list[str] = []
    for part in re.split(f"({_HAN.pattern})", simplified(text).replace("&", " and ")):
        if part:
            words += _chinese_org_words(part) if _HAN.fullmatch(part) else _latin_tokens(part)
    distinctive: list[str] = []
    generic: set[str] = set()
    places: set[str] = set()
    legal: list[str] = []
    for word in words:
        if word in LEGAL_FORMS:
            legal.append(word)
        elif word in GENERIC_WORDS:
            generic.update(GENERIC_WORDS[word].split())
        elif word in PLACES:
            places.add(word)
        elif word not in STOP_WORDS:
            distinctive.append(word)
    if not distinctive:  # a name made only of common words: they are what identifies it
        distinctive = sorted(generic | places)
        generic, places = set(), set()
    reading = " ".join(_chinese_org_words(simplified(text))) if has_han(text) else ""
    return OrgName(
        text,
        tuple(distinctive),
        frozenset(generic),
        frozenset(places),
        tuple(legal),
        reading,
        "".join(distinctive),
    )
