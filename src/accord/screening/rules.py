"""The rules that score a name against a listed name, each with its reason — pure, no I/O.

A person matches when every word of the name matches (in any order, spacing and script
folded), or when all do but one, which is one typo away and is not itself a pinyin name
("Kailaing" is a typo of "Kailiang"; "Xinyi" is another name than "Xinyu"). Sharing only a
surname is no match. An organisation matches on its distinctive words; generic words and places
add or take away a little, and a legal form nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from accord.i18n import N_
from accord.screening.names import (
    PLACES,
    OrgName,
    PersonName,
    han_alone,
    pinyin_syllable_count,
)
from accord.screening.reasons import AND, SEMICOLON, Said, quoted, run, say
from accord.screening.typos import one_typo_apart

# Words shorter than this must be spelt right: a typo in a short pinyin word is another name.
TYPO_MIN_LENGTH = 5
# A name of one word (a handle, an alias) tolerates a typo only from this length.
SINGLE_WORD_TYPO_MIN_LENGTH = 8

# Two pinyin words of up to two syllables one letter apart are two names ("Xinyi", "Xinyu"; a
# Chinese given name has one or two), longer ones ("Xiaoruizi", "Xiaoruizhi") a typo.
OTHER_PINYIN_NAME_SYLLABLES = 2

EXACTLY = N_("exactly")
ONE_LETTER = N_("one letter differs: '{typed}' for '{listed}'")

TYPO_SCORE = 0.90
# The same words in another romanisation (Wade–Giles read as pinyin): a match, below one
# written alike or with a typo, since some readings guess at a dropped apostrophe.
ROMANISED_SCORE = 0.88
# One letter away, but both spellings are pinyin: more likely another person than a typo.
OTHER_PINYIN_NAME_SCORE = 0.80
# Words written as initials, the others the same: shown, never a match.
INITIALS_SCORE = 0.70
# At most this for a person who shares some words of the name but not all.
PARTIAL_CEILING = 0.60
# An organisation whose distinctive words all match scores from here (up to 1 with its context).
IDENTIFYING_BASE = 0.90  # distinctive words of 10 letters or more together
DISTINCTIVE_BASE = 0.75  # shorter ("Silence", "404"): the context decides
# A place says more about which firm is meant than a generic word does.
PLACE_WEIGHT = 2.0
ORG_TYPO_PENALTY = 0.05
OTHER_PLACE_PENALTY = 0.15


@dataclass(frozen=True)
class Verdict:
    """A score and the rule that gave it, in words (the Match's `why` without its frame)."""

    score: float
    said: Said

    @property
    def rule(self) -> str:
        return self.said.english()


def _notes(notes: list[Said]) -> Said:
    """Several notes of one rule, said one after another."""
    return say("{notes}", notes=run(notes)) if len(notes) != 1 else notes[0]


def score_person(query: PersonName, listed: PersonName) -> Verdict | None:
    if query.keys & listed.keys:
        return other_characters(query, listed.han) or Verdict(
            1.0, _notes(_same_person_words(query, listed)))
    romanised = _romanised(query, listed)
    if romanised is not None:
        return romanised
    best: Verdict | None = None
    for asked in query.forms:
        for form in listed.forms:
            if len(asked) != len(form):
                continue
            for order in permutations(form) if len(form) <= 4 else [form]:
                verdict = _one_typo(asked, order)
                if verdict and (best is None or verdict.score > best.score):
                    best = verdict
    return (best or _initials(query, listed) or _initials(listed, query)
            or _shared_words(query, listed))


def other_characters(query: PersonName, listed_han: str) -> Verdict | None:
    """Names read alike but written in other characters, where both are written in them:
    汪东 and 王东 are both "wang dong", and two names; 东王 is not 王东 in another order (a
    Chinese name has one). Shown, below a match. None where that is not so."""
    if not query.han or not listed_han or query.han == listed_han:
        return None
    if sorted(query.han) == sorted(listed_han):
        return Verdict(PARTIAL_CEILING, say(N_(
            "the characters of '{listed}' in another order, '{query}': a name in Chinese "
            "characters has one order"), listed=listed_han, query=query.han))
    return Verdict(OTHER_PINYIN_NAME_SCORE, say(N_(
        "read alike as pinyin, but written '{query}' where the listed name is '{listed}': "
        "more likely another person"), query=query.han, listed=listed_han))


def _romanised(query: PersonName, listed: PersonName) -> Verdict | None:
    """The same words once one name, or both, is read from Wade–Giles as pinyin: the same
    name in another romanisation where what only Wade–Giles writes shows (an apostrophe,
    `hsiao`, `tung`); where the name is pinyin as written too (`Li Ping`, read `li bing`),
    more likely another person."""
    said: list[Said] = []
    sure = True
    for name, other in ((query, listed), (listed, query)):
        for reading, keys in name.romanised:
            if keys & (other.keys | other.romanised_keys):
                said.append(say(N_("'{name}' read from Wade–Giles as pinyin '{reading}'"),
                                name=name.text, reading=reading))
                sure = sure and name.unmistakable
                break
    if not said:
        return None
    if sure:
        return Verdict(ROMANISED_SCORE, say(N_(
            "the same name in another romanisation: {readings}"), readings=run(said, AND)))
    return Verdict(OTHER_PINYIN_NAME_SCORE, say(N_(
        "{readings}, but it is pinyin as written too: more likely another person"),
        readings=run(said, AND)))


def _same_person_words(query: PersonName, listed: PersonName) -> list[Said]:
    if query.text == listed.text:
        return [say(EXACTLY)]
    if query.han and query.han == listed.han and han_alone(query.text) \
            and han_alone(listed.text):
        return [say(N_("the same characters, once simplified"))]
    notes = []
    if query.reading or listed.reading:
        notes.append(_reading_note(query.reading, listed.reading))
    same_count = [(a, f) for a in query.forms for f in listed.forms if len(a) == len(f)]
    if not any(sorted(asked) == sorted(form) for asked, form in same_count):
        notes.append(say(N_("with other spacing")))
    # In order where some reading of each has the same words in the same order, spacing aside
    # ("WangDong" is "Wang Dong" in its order; "DongWang" is not).
    if not any(asked == form for asked, form in same_count) and not any(
            "".join(asked) == "".join(form) for asked in query.forms for form in listed.forms):
        notes.append(say(N_("in another order")))
    return notes or [say(N_("case, tone marks and hyphens aside"))]


def _reading_note(query_reading: str, listed_reading: str) -> Said:
    if query_reading and listed_reading:
        return say(N_("both read as pinyin '{reading}'"), reading=listed_reading)
    if query_reading:
        return say(N_("read as pinyin '{reading}'"), reading=query_reading)
    return say(N_("the listed Chinese read as pinyin '{reading}'"), reading=listed_reading)


def _initials(query: PersonName, listed: PersonName) -> Verdict | None:
    """Every word the same but some written as initials (`W. Dong`, `Dong W.`): perhaps the
    same person, never a match on its own (an initial stands for many names)."""
    for asked in query.forms:
        for form in listed.forms:
            if len(asked) != len(form) or len(form) > 4:
                continue
            for order in permutations(form):
                initials = [(a, w) for a, w in zip(asked, order, strict=True) if a != w]
                if (initials and len(initials) < len(asked)
                        and all(len(a) == 1 and w[0] == a for a, w in initials)):
                    return Verdict(INITIALS_SCORE, say(N_(
                        "{initials}, the other words the same: an initial stands for many "
                        "names"), initials=run([say(N_("'{initial}' the initial of '{word}'"),
                                                    initial=a.upper(), word=w)
                                                for a, w in initials])))
    return None


def _one_typo(asked: tuple[str, ...], order: tuple[str, ...]) -> Verdict | None:
    differing = [(a, b) for a, b in zip(asked, order, strict=True) if a != b]
    if len(differing) != 1:
        return None
    typed, listed = differing[0]
    shortest = SINGLE_WORD_TYPO_MIN_LENGTH if len(asked) == 1 else TYPO_MIN_LENGTH
    if len(listed) < shortest or not one_typo_apart(typed, listed):
        return None
    if _is_other_pinyin_name(typed, listed):
        return Verdict(OTHER_PINYIN_NAME_SCORE, say(N_(
            "one letter differs, '{typed}' for '{listed}', but both are pinyin names: more "
            "likely another person"), typed=typed, listed=listed))
    return Verdict(TYPO_SCORE, say(ONE_LETTER, typed=typed, listed=listed))


def _is_other_pinyin_name(typed: str, listed: str) -> bool:
    typed_count, listed_count = pinyin_syllable_count(typed), pinyin_syllable_count(listed)
    return (
        typed_count is not None
        and listed_count is not None
        and max(typed_count, listed_count) <= OTHER_PINYIN_NAME_SYLLABLES
    )


def _shared_words(query: PersonName, listed: PersonName) -> Verdict | None:
    best = (0.0, frozenset[str](), tuple[str, ...]())
    for asked in query.forms:
        for form in listed.forms:
            shared = frozenset(asked) & frozenset(form)
            share = len(shared) / max(len(asked), len(form))
            if share > best[0]:
                best = (share, shared, form)
    share, shared, form = best
    if not shared:
        return None
    missing = [w for w in form if w not in shared]
    if not missing:
        return Verdict(PARTIAL_CEILING * share, say(N_(
            "shares {shared} only, not the other words"), shared=quoted(sorted(shared))))
    return Verdict(PARTIAL_CEILING * share, say(N_("shares {shared} only, not {missing}"),
                                                shared=quoted(sorted(shared)),
                                                missing=quoted(missing)))


def score_org(query: OrgName, listed: OrgName) -> Verdict | None:
    if not query.distinctive or not listed.distinctive:
        return None  # a legal form alone, or nothing at all, never matches
    typos: list[tuple[str, str]] = []
    if query.joined == listed.joined or sorted(query.distinctive) == sorted(listed.distinctive):
        unmatched_query: list[str] = []
        unmatched_listed: list[str] = []
    else:
        unmatched_listed = list(listed.distinctive)
        unmatched_query = []
        for word in query.distinctive:
            if word in unmatched_listed:
                unmatched_listed.remove(word)
                continue
            near = [w for w in unmatched_listed if _org_typo(word, w)]
            if near:
                typos.append((word, near[0]))
                unmatched_listed.remove(near[0])
            else:
                unmatched_query.append(word)
        if (unmatched_query or unmatched_listed) and _org_typo(query.joined, listed.joined):
            typos, unmatched_query, unmatched_listed = [(query.joined, listed.joined)], [], []
    if unmatched_query or unmatched_listed:
        shared = len(query.distinctive) - len(unmatched_query) - len(typos)
        if shared <= 0:
            return None
        return Verdict(
            PARTIAL_CEILING * shared / (len(query.distinctive) + len(unmatched_listed)),
            say(N_("shares some distinctive words, not {words}"),
                words=quoted(unmatched_query + unmatched_listed)))
    return _org_verdict(query, listed, typos)


def _org_typo(typed: str, listed: str) -> bool:
    return (
        len(listed) >= TYPO_MIN_LENGTH
        and one_typo_apart(typed, listed)
        and not _is_other_pinyin_name(typed, listed)
    )


def _weight(words: frozenset[str]) -> float:
    return sum(PLACE_WEIGHT if w in PLACES else 1.0 for w in words)


def _org_verdict(query: OrgName, listed: OrgName, typos: list[tuple[str, str]]) -> Verdict:
    union = query.context | listed.context
    in_context = _weight(query.context & listed.context) / _weight(union) if union else 1.0
    identifying = len(listed.joined) >= 10
    base = IDENTIFYING_BASE if identifying else DISTINCTIVE_BASE
    score = base + (1 - base) * in_context - ORG_TYPO_PENALTY * len(typos)
    notes = [say(N_("on its distinctive words {words}"), words=quoted(listed.distinctive))]
    if query.text == listed.text:
        notes = [say(EXACTLY)]
    if typos:
        notes.append(say("{typos}", typos=run([say(ONE_LETTER, typed=a, listed=b)
                                               for a, b in typos], SEMICOLON)))
    if query.places and listed.places and not query.places & listed.places:
        score -= OTHER_PLACE_PENALTY
        notes.append(say(N_("but in another place ({places})"),
                         places=quoted(sorted(query.places))))
    if missing := sorted(listed.context - query.context):
        notes.append(say(N_("without {words}"), words=quoted(missing)))
    if extra := sorted(query.context - listed.context):
        notes.append(say(N_("with {words} besides"), words=quoted(extra)))
    if query.legal != listed.legal and listed.legal + query.legal:
        notes.append(say(N_("ignoring the legal form")))
    if query.reading or listed.reading:
        notes.append(_reading_note(query.reading, listed.reading))
    return Verdict(max(0.0, min(1.0, score)), _notes(notes))
