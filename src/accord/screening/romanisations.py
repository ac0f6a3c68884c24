"""Chinese names written in Wade–Giles, read as pinyin — pure, no I/O.

Taiwan's passports, older records and many sanctions lists write Chinese names in Wade–Giles:
Teng Hsiao-p'ing is Deng Xiaoping, Mao Tse-tung Mao Zedong, Chang Wei Zhang Wei. A name is read
so only when every syllable of it is Wade–Giles and none is pinyin alone (pinyin's b, d, g, q,
x, z, c and zh do not occur in Wade–Giles: "Wang Dong" is pinyin). The apostrophe that marks an
aspirated consonant (ch', k', p', t', ts') is often dropped, so a syllable without it is also
read as if it had one ("Chang" is zhang, or chang with its apostrophe lost). Readings are
bounded: a name of many syllables reads at most MAX_READINGS ways.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import islice, product

MAX_READINGS = 8
# Syllables of one word (a given name is one or two; a hostile alias may be many).
MOST_SYLLABLES = 4

# Wade–Giles initials, the longest first, with their pinyin before other finals and before
# i or ü (ch is zh, but j before i: chi is ji).
_INITIALS: tuple[tuple[str, str, str], ...] = (
    ("ch'", "ch", "q"), ("ts'", "c", "c"), ("tz'", "c", "c"), ("ch", "zh", "j"),
    ("hs", "x", "x"), ("ts", "z", "z"), ("tz", "z", "z"), ("ss", "s", "s"), ("sz", "s", "s"),
    ("sh", "sh", "sh"), ("k'", "k", "k"), ("p'", "p", "p"), ("t'", "t", "t"), ("k", "g", "g"),
    ("p", "b", "b"), ("t", "d", "d"), ("j", "r", "r"), ("m", "m", "m"), ("n", "n", "n"),
    ("l", "l", "l"), ("f", "f", "f"), ("h", "h", "h"), ("s", "s", "s"), ("w", "w", "w"),
    ("y", "y", "y"), ("", "", ""),
)
# What each Wade–Giles initial loses when its apostrophe is dropped: read both ways.
_UNMARKED = {"ch": "ch'", "k": "k'", "p": "p'", "t": "t'", "ts": "ts'", "tz": "tz'"}
# Wade–Giles finals (ü written v here) and their pinyin.
_FINALS = {
    "a": "a", "ai": "ai", "an": "an", "ang": "ang", "ao": "ao", "e": "e", "ei": "ei",
    "en": "en", "eng": "eng", "erh": "er", "i": "i", "ia": "ia", "iang": "iang", "iao": "iao",
    "ieh": "ie", "ien": "ian", "ih": "i", "in": "in", "ing": "ing", "iu": "iu", "iung": "iong",
    "eh": "e", "o": "o", "ou": "ou", "u": "u", "ua": "ua", "uai": "uai", "uan": "uan",
    "uang": "uang",
    "ui": "ui", "uei": "ui", "un": "un", "ung": "ong", "uo": "uo", "v": "v", "van": "van",
    "veh": "ve", "vn": "vn", "ueh": "ve",
}
_HARD = ("k", "k'", "h", "")  # ko, k'o, ho, o are ge, ke, he, e
_ROUND = ("p", "p'", "m", "f", "w", "y")  # po, mo, fo, wo, yo keep their o
_SIBILANT_U = ("tz", "tz'", "ss", "sz")  # tzŭ is zi, ssŭ si (tsu is zu)
_APOSTROPHES = re.compile("[’ʼ`´‘]")
# Yü and chü as most write them, without the diaeresis (Chen-yu is zhenyu, not zhenyou): a
# syllable of y or ch and u also reads as one of ü.
_DIAERESIS_DROPPED = re.compile("^(y|ch'?)u")
_WORDS = re.compile(r"[^\w'-]+")


@lru_cache(maxsize=4096)
def syllable(wade_giles: str, *, aspirated: bool = False) -> str | None:
    """One Wade–Giles syllable (lower case, ü as v, an apostrophe after an aspirated initial)
    as pinyin (ü as v), None if it is not one. `aspirated`: read an unmarked ch, k, p, t, ts
    or tz as if its apostrophe had been dropped."""
    for initial, plain, before_i in _INITIALS:
        if not wade_giles.startswith(initial):
            continue
        final = wade_giles[len(initial):]
        if final not in _FINALS:
            continue
        if aspirated:
            if initial not in _UNMARKED:
                return None
            return syllable(_UNMARKED[initial] + final)
        return _joined(initial, plain, before_i, final)
    return None


def _joined(initial: str, plain: str, before_i: str, final: str) -> str | None:
    if final == "ih":
        return plain + "i" if initial in ("ch", "ch'", "sh", "j") else None
    if initial == "hs" and final[0] == "u":
        final = "v" + final[1:]  # hs is only ever before i or ü, and Hsü is written Hsu
        if final not in _FINALS:
            return None
    if initial == "y":  # yu is you, yü yu, yen yan, yung yong
        return "y" + {"u": "ou", "en": "an", "eh": "e", "ung": "ong", "v": "u", "van": "uan",
                      "veh": "ue", "vn": "un"}.get(final, _FINALS[final])
    if initial == "" and final == "i":
        return "yi"
    if final == "u" and initial in _SIBILANT_U:
        return plain + "i"
    if final == "o" and initial in _HARD:
        return plain + "e"
    if final == "o" and initial not in _ROUND:
        return plain + "uo"
    pinyin = _FINALS[final]
    if final[0] in "iv":
        if initial in ("ts", "ts'", "tz", "tz'", "ss", "sz", "j", "sh", "w", "k", "k'", "h",
                       "s", "f", ""):
            return None  # no such Wade–Giles syllable (ki, tsi, shi without h…)
        if plain in ("zh", "ch", "x") or before_i != plain:
            # j, q and x write ü as u
            return before_i + pinyin.replace("v", "u")
    elif initial == "hs":
        return None  # hs only before i or ü
    return plain + pinyin


def readings(text: str, is_pinyin: Callable[[str], bool]) -> list[list[str]]:
    """`text` (one name in Latin letters) read from Wade–Giles as pinyin words, a hyphenated
    given name joined ("Hsiao-p'ing": xiaoping), the likeliest reading first; none when a
    word is not Wade–Giles, or is pinyin that Wade–Giles cannot write (`is_pinyin`: a token
    that reads as pinyin) or reads only as written. At most MAX_READINGS."""
    words = [w for w in _WORDS.split(_lowered(text)) if w.strip("'-")]
    if not words:
        return []
    options: list[list[str]] = []
    for word in words:
        pieces = [p for p in word.split("-") if p]
        if not pieces or len(pieces) > MOST_SYLLABLES:
            return []
        each: list[list[str]] = []
        for piece in pieces:
            umlauted = _DIAERESIS_DROPPED.sub(r"\1v", piece)
            read = [s for spelt in dict.fromkeys((piece, umlauted))
                    for s in (syllable(spelt), syllable(spelt, aspirated=True))
                    if s and is_pinyin(s.replace("v", "u"))]
            if not read:
                return []
            each.append(list(dict.fromkeys(s.replace("v", "u") for s in read)))
        options.append(["".join(p) for p in islice(product(*each), MAX_READINGS)])
    plain = [w.replace("'", "").replace("-", "").replace("v", "u") for w in words]
    # What reads as written adds nothing (Wang Wei is spelt so in both).
    return [r for r in (list(r) for r in islice(product(*options), MAX_READINGS + 1))
            if r != plain][:MAX_READINGS]


def _lowered(text: str) -> str:
    """Case folded, ü as v, other diacritics (ê, ŭ) and every kind of apostrophe made plain."""
    text = _APOSTROPHES.sub("'", unicodedata.normalize("NFC", text.casefold()))
    text = text.replace("ü", "v")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_unmistakable(text: str, is_pinyin: Callable[[str], bool]) -> bool:
    """Whether `text` shows what only Wade–Giles writes: an aspirated consonant's apostrophe
    (`Hsiao-p'ing`), a syllable pinyin has not (`hsiao`, `tung`, `shih`, `chien`, `kuei`), or
    yü and chü. `Chang Wei`, `Li Ping` and `Chen Tao` are pinyin as written too: read from
    Wade–Giles (Zhang Wei, Li Bing, Zhen Dao) they may be other people."""
    lowered = _lowered(text)
    if re.search(r"(?:ch|k|p|t|ts|tz)'", lowered) or re.search(r"(?:^|[^a-z])(?:y|ch)v",
                                                               lowered):
        return True
    pieces = [p.replace("'", "").replace("v", "u") for w in _WORDS.split(lowered)
              for p in w.split("-") if p.strip("'")]
    return any(not is_pinyin(p) for p in pieces)
