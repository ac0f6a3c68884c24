"""Screening: is a name designated, or an alias of a listed actor? — pure, no I/O.

`Screener` indexes the listed names and aliases once; `screen` finds the few listed names that
share a word (or a word one typo away) with the query, scores each with the rules of
`accord.screening.rules`, and says why, best first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from accord.i18n import N_
from accord.screening.names import (
    OrgName,
    PersonName,
    Variant,
    han_alone,
    has_han,
    name_variants,
    org_name,
    person_name,
    pinyin_syllable_count,
    spaced,
    without_titles,
)
from accord.screening.reasons import Said, run, say
from accord.screening.rules import (
    TYPO_MIN_LENGTH,
    Verdict,
    other_characters,
    score_org,
    score_person,
)
from accord.screening.typos import deletions, one_typo_apart
from accord.screening.words import GENERIC_WORDS, LEGAL_FORMS, PLACES, STOP_WORDS

DEFAULT_THRESHOLD = 0.85
# Below this a candidate is not worth showing (a shared surname scores 0.30).
SHOWN_FROM = 0.40
# A word found in at most this many names leads to them on its own; a commoner one
# (a frequent surname) only together with another word of the query.
RARE_WORD = 300
# Words of firm names that do not name one (legal forms, generic words, places).
CONTEXT_WORDS = frozenset(
    {*LEGAL_FORMS, *STOP_WORDS, *PLACES, *GENERIC_WORDS, *" ".join(GENERIC_WORDS.values()).split()}
)


@dataclass(frozen=True)
class Listed:
    """A designated individual or organisation, with its published aliases."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "individual"  # or "organization"


@dataclass(frozen=True)
class Match:
    id: str
    name: str  # the designated name
    matched: str  # the name or alias that matched
    score: float
    match: bool  # score at or above the threshold
    why: str  # in English
    reason: Said | None = None  # `why`, for other languages (screening.reasons)


# What a result is to the name it met: (a match?, an alias?).
_FRAMES = {
    (True, False): N_("'{query}' matches the name '{text}'"),
    (True, True): N_("'{query}' matches the alias '{text}'"),
    (False, False): N_("'{query}' is close to, but no match for, the name '{text}'"),
    (False, True): N_("'{query}' is close to, but no match for, the alias '{text}'"),
}


@dataclass(frozen=True)
class _Name:
    """One name or alias of a listed entry, in comparable form."""

    listed: Listed
    text: str
    is_alias: bool
    person: PersonName | None
    org: OrgName | None
    # Read without the titles or suffix it is listed with ("John Smith" of "John Smith Jr."):
    # said with the reason.
    untitled: str | None = None


def _as_written(name: _Name, variant: str, asked: PersonName) -> bool:
    """Whether the listed name is written as the query asked (`asked`, the variant read as a
    person's name): the same text, or the same Chinese characters (王東 asked, 王东 listed)."""
    if name.text == variant:
        return True
    return name.person is not None and bool(asked.han) and name.person.han == asked.han \
        and han_alone(variant)


def _keys(name: _Name) -> Iterable[str]:
    if name.org is not None:
        return (name.org.joined,)
    assert name.person is not None
    return name.person.keys | name.person.romanised_keys


def _words(name: _Name) -> Iterable[str]:
    if name.org is not None:
        return (*name.org.distinctive, *name.org.context)
    assert name.person is not None
    return name.person.tokens


class Screener:
    def __init__(self, listed: Iterable[Listed], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._names: list[_Name] = []
        self._by_key: dict[str, set[int]] = defaultdict(set)
        self._by_word: dict[str, set[int]] = defaultdict(set)
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        self._of: dict[str, list[int]] = defaultdict(list)  # a listed id's names and aliases
        # A listed individual's names in Chinese characters: a query in other characters is
        # not that person through its Latin names either (汪东 is not Wang Dong, 王东).
        self._han: dict[str, set[str]] = defaultdict(set)
        self.removed = 0  # names taken out of the index since it was built
        pinyin_syllable_count("")  # reads pypinyin's dictionary now, not in the first screening
        self.add(listed)

    def add(self, listed: Iterable[Listed]) -> None:
        """Index more listed entries (an id already listed: `remove` it first)."""
        new_words: set[str] = set()
        for entry in listed:
            for text, is_alias in [(entry.name, False), *((a, True) for a in entry.aliases)]:
                new_words |= self._add(entry, text, is_alias)
                if (apart := spaced(text)) is not None:  # read both ways, shown as written
                    new_words |= self._add(entry, text, is_alias, read_as=apart)
                # A person listed with a title or a suffix ("John Smith Jr.") is found by the
                # name alone too, as a query's titles are left aside (name_variants).
                # (Not down to one word: "Dr. Wang" is no more than a surname.)
                if entry.kind != "organization" and (bare := without_titles(text)) != text \
                        and (len(bare.split()) > 1 or has_han(bare)):
                    new_words |= self._add(entry, text, is_alias, read_as=bare, untitled=True)
        for word in new_words:
            if len(word) >= TYPO_MIN_LENGTH:
                for deletion in deletions(word):
                    self._by_deletion[deletion].add(word)

    def remove(self, ids: Iterable[str]) -> None:
        """Take the names and aliases of these listed entries out of the index (what a
        listed word's typos lead to stays: it finds no name once none holds the word)."""
        for listed_id in ids:
            self._han.pop(listed_id, None)
            for at in self._of.pop(listed_id, ()):
                name = self._names[at]
                for key in _keys(name):
                    self._by_key[key].discard(at)
                for word in _words(name):
                    self._by_word[word].discard(at)
                self.removed += 1

    @property
    def held(self) -> int:
        """Names and aliases in the index."""
        return len(self._names) - self.removed

    def _add(self, entry: Listed, text: str, is_alias: bool,
             read_as: str | None = None, *, untitled: bool = False) -> set[str]:
        """Index one name or alias (as READ_AS, where given); the words it brought that the
        index did not hold."""
        at = len(self._names)
        read = text if read_as is None else read_as
        if entry.kind == "organization":
            name = _Name(entry, text, is_alias, None, org_name(read))
        else:
            name = _Name(entry, text, is_alias, person_name(read), None,
                         read if untitled else None)
            if name.person is not None and name.person.han:
                self._han[entry.id].add(name.person.han)
        self._names.append(name)
        self._of[entry.id].append(at)
        for key in _keys(name):
            self._by_key[key].add(at)
        new = set()
        for word in _words(name):
            if not self._by_word.get(word):
                new.add(word)
            self._by_word[word].add(at)
        return new

    def screen(self, query: str, *, limit: int = 10) -> list[Match]:
        """The listed entries worth showing for a name, best first, one per entry. A query
        may give several names for one person or firm ("WANG Dong (a.k.a. UglyGorilla)",
        "Mr. Wang Dong 王东"): each is screened (names.name_variants), the best kept."""
        # Each entry's best: its verdict, the name and the variant, and how it ranks.
        best: dict[str, tuple[Verdict, _Name, str, tuple[float, bool, bool, bool]]] = {}
        for each in name_variants(query) or (Variant(query),):
            variant = each.text
            as_person = person_name(variant)
            as_org: OrgName | None = None if each.person_only else org_name(variant)
            if as_org is not None and variant != query and all(
                    w in CONTEXT_WORDS for w in as_org.distinctive):
                # A part of a firm's name that names no firm by itself (a place in brackets:
                # 华为技术（深圳）有限公司) would match every firm named by places alone.
                as_org = None
            for at in self._candidates(as_person, as_org):
                name = self._names[at]
                if name.person is not None:
                    verdict = score_person(as_person, name.person)
                    written = self._han.get(name.listed.id, set())
                    if verdict is not None and as_person.han and not name.person.han \
                            and written and as_person.han not in written:
                        # Through its Latin name, a person listed in other characters.
                        other = min((c for n in sorted(written)
                                     if (c := other_characters(as_person, n)) is not None),
                                    key=lambda v: v.score, default=None)
                        if other is not None and other.score < verdict.score:
                            verdict = other
                elif as_org is None:
                    continue
                else:
                    assert name.org is not None
                    verdict = score_org(as_org, name.org)
                # Rounded as shown: 0.6 x 2/3 is 0.3999…, shown as 0.40.
                if verdict is None or round(verdict.score, 2) < SHOWN_FROM:
                    continue
                held = best.get(name.listed.id)
                # among equal scores, the name written as asked, the whole query, then the
                # designated name
                rank = (round(verdict.score, 2), _as_written(name, variant, as_person),
                        variant == query, not name.is_alias)
                if held is None or rank > held[3]:
                    best[name.listed.id] = (verdict, name, variant, rank)
        ranked = sorted(best.values(), key=lambda found: (-found[0].score, found[1].listed.name))
        return [self._match(query, verdict, name, variant)
                for verdict, name, variant, _ in ranked[:limit]]

    def _match(self, query: str, verdict: Verdict, name: _Name, variant: str) -> Match:
        score = round(verdict.score, 2)
        matches = score >= self.threshold
        notes = []
        if variant != query:
            notes.append(say(N_("as '{variant}'"), variant=variant))
        if name.untitled:
            notes.append(say(N_("the listed name read without its titles as '{name}'"),
                             name=name.untitled))
        reason = say(N_("{frame}: {notes} (score {score})"),
                     frame=run([say(_FRAMES[matches, name.is_alias], query=query,
                                    text=name.text)]),
                     notes=run([*notes, verdict.said]), score=f"{score:.2f}")
        return Match(id=name.listed.id, name=name.listed.name, matched=name.text, score=score,
                     match=matches, why=reason.english(), reason=reason)

    def _candidates(self, as_person: PersonName, as_org: OrgName | None) -> set[int]:
        found: set[int] = set()
        for key in as_person.keys | as_person.romanised_keys | (
                {as_org.joined} if as_org is not None else set()):
            found |= self._by_key.get(key, set())
        words = as_person.tokens | set(as_org.distinctive if as_org is not None else ())
        near = [(word in CONTEXT_WORDS, *self._near(word, words)) for word in words]
        naming = [(exact, typo) for is_context, exact, typo in near if not is_context]
        for exact, typo in naming:
            if len(exact) <= RARE_WORD:
                found |= exact
            if len(naming) == 1 and len(typo) <= RARE_WORD:
                found |= typo  # a typo alone leads to a name only when it is the only word
        for (one_is_context, *one), (other_is_context, *other) in combinations(near, 2):
            if one_is_context and other_is_context:
                continue  # two generic words ("network", "technology") name thousands of firms
            # both words, or one of them with a typo (a name has one typo at most)
            found |= one[0] & other[0]
            found |= one[0] & other[1]
            found |= one[1] & other[0]
        return found

    def _near(self, word: str, asked: frozenset[str]) -> tuple[set[int], set[int]]:
        """The names with this word, and those with a word one typo away from it (not one
        of the other words asked: "jiang" is no typo of "jian" in "Jiang Jian")."""
        exact = self._by_word.get(word, set())
        typo: set[int] = set()
        if len(word) >= TYPO_MIN_LENGTH - 1 and word not in CONTEXT_WORDS:
            for deletion in deletions(word):
                for listed_word in self._by_deletion.get(deletion, ()):
                    if listed_word not in asked and one_typo_apart(word, listed_word):
                        typo |= self._by_word[listed_word]
        return exact, typo
