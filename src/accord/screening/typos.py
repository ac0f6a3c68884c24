"""One-letter typos: the keys that find them in an index, and the check — pure, no I/O.

A typo is one letter left out, added, changed, or two neighbours swapped (the optimal string
alignment distance is 1); but never one that touches a digit, since a number names one thing
and the next another (APT19 is not APT10, nor APT1; Chengdu 404 is not 405). Every pair of
words one typo apart shares a word made by deleting one letter from each (or from neither),
which is what the index keys on.
"""

from __future__ import annotations


def deletions(word: str) -> set[str]:
    """The word and every word made from it by leaving one letter out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_typo_apart(a: str, b: str) -> bool:
    """Whether b is a one typo apart from a (never true of equal words)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if _digits(a) != _digits(b):
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:
            return True  # one letter changed
        return (  # two neighbours swapped
            start + 1 < len(a)
            and a[start] == b[start + 1]
            and a[start + 1] == b[start]
            and a[start + 2 :] == b[start + 2 :]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]


def first_difference(a: str, b: str) -> int:
    """Where two words first differ."""
    at = 0
    while at < min(len(a), len(b)) and a[at] == b[at]:
        at += 1
    return at


def _digits(word: str) -> str:
    return "".join(c for c in word if c.isdigit())
