"""One-letter typos: the keys that find them in an index, and the check — pure, no I/O.

A typo is one letter left out, added, changed, or two neighbours swapped (the optimal string
alignment distance is 1); but never one that touches a digit, since a number names one thing
and the next another (APT19 is not APT10, nor APT1; Chengdu 404 is not 405) — save a digit
drawn like the letter it stands for, amid letters (0 for o, 1 for l or i, 3 for e, 4 for a, 5
for s, 7 for t, 8 for b: "UglyG0rilla", "Si1ence" are disguises; "Group5", "TeamT5" names).
In a word that holds a number, a code (APT36, TA505, FIN7), a letter changed, or one left out or
added that is not its neighbour's double, makes another code: APT-C-36 is not APT36, FIM7 not
FIN7; "APTT19" is APT19 typed with a key held, and two letters swapped a slip too.
Every pair of words one typo apart shares a word made by deleting one letter from each (or from
neither), which is what the index keys on.
"""

from __future__ import annotations

# Digits drawn like letters: a word that has one where the other has the letter is disguised.
LOOK_ALIKE_DIGITS = {"0": "o", "1": "li", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"}


def deletions(word: str) -> set[str]:
    """The word and every word made from it by leaving one letter out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_typo_apart(a: str, b: str) -> bool:
    """Whether b is a one typo apart from a (never true of equal words)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    digits = _digits(a)
    if digits != _digits(b):
        return _disguised(a, b) or _disguised(b, a)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:
            return not digits  # one letter changed (in a code: another code)
        return (  # two neighbours swapped
            start + 1 < len(a)
            and a[start] == b[start + 1]
            and a[start + 1] == b[start]
            and a[start + 2 :] == b[start + 2 :]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if longer[start + 1 :] != shorter[start:]:
        return False
    if not digits:
        return True  # one letter left out or added
    extra = longer[start]  # in a code, only a letter typed twice (or once for twice)
    return longer[start - 1 : start] == extra or longer[start + 1 : start + 2] == extra


def first_difference(a: str, b: str) -> int:
    """Where two words first differ."""
    at = 0
    while at < min(len(a), len(b)) and a[at] == b[at]:
        at += 1
    return at


def _digits(word: str) -> str:
    return "".join(c for c in word if c.isdigit())


def _disguised(a: str, b: str) -> bool:
    """Whether A is B with one letter written as a digit drawn like it, amid letters
    ("g0rilla", "si1ence"): a digit at a word's end or beside another digit is a number
    (Group5, TeamT5, APT28 are names of their own)."""
    if len(a) != len(b):
        return False
    at = first_difference(a, b)
    return (0 < at < len(a) - 1 and a[at + 1:] == b[at + 1:]
            and a[at - 1].isalpha() and a[at + 1].isalpha()
            and b[at] in LOOK_ALIKE_DIGITS.get(a[at], ""))
