"""Translations of what parties write in a request's ledger, as STIX 2.1 language-content
objects (STIX 2.1 §7.1), and which of them a page may show beside their originals.

The original stays authoritative: a translation names the exact version it translates
(`object_modified`), is made by one of the request's participants, carries the markings of the
object it translates, and is versioned only by its own maker (each version kept: append-only).
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accord.cooperation.objects import TRANSLATABLE
from accord.cooperation.refusals import Code, Codes, CooperationError
from accord.cooperation.timeline import automatic_note
from accord.i18n import N_
from accord.stix.identifiers import identifier_type
from accord.stix.properties import LANGUAGE_CODE, show
from accord.stix.timestamps import format_timestamp, is_timestamp, parse_timestamp, sort_key
from accord.trust.markings import Tlp, tlp_of

LANGUAGE_CONTENT = "language-content"
# STIX 2.1 §11.1 custom property: the request whose ledger the translation belongs to, so a
# node files it with that ledger without looking up what it translates.
REQUEST_REF = "x_accord_request_ref"

# Bounds (docs/limits.md): a translation is about as long as what it translates.
MAX_TEXT = 20_000  # characters in one translated property
MAX_LANGUAGES = 8  # languages in one party's translation of one object
MAX_PER_REQUEST = 200  # translation versions one party makes in one request's ledger


class TranslationError(CooperationError):
    """A translation Accord does not take, in words for the person who tried: said in the
    reader's language on a page, as the desk's refusals are."""


@dataclass(frozen=True, slots=True)
class Translation:
    """One version of a party's translations of one object of a request's ledger."""

    id: str  # language-content--UUID
    request_id: str
    object_ref: str
    object_modified: datetime  # the version of the original it translates
    translator: str  # identity id (created_by_ref)
    created: datetime
    modified: datetime
    contents: Mapping[str, Mapping[str, str]]  # language -> property -> text


@dataclass(frozen=True, slots=True)
class Rendition:
    """A translation as a page shows it beside the original."""

    lang: str
    translator: str
    translated: datetime  # when this version was made
    texts: Mapping[str, str]  # property -> translated text
    translation_id: str
    version: int  # 1 for the first version of the translator's translation


@dataclass(frozen=True, slots=True)
class Original:
    """What a translation may translate: a text-bearing object of the ledger, as it stands."""

    id: str
    type: str
    modified: datetime
    lang: str
    texts: Mapping[str, str]  # its translatable properties that hold text
    markings: tuple[str, ...] = ()


def is_language(tag: object) -> bool:
    return isinstance(tag, str) and LANGUAGE_CODE.match(tag) is not None


def same_language(a: str, b: str) -> bool:
    """RFC 5646 §2.1.1: tags are case-insensitive."""
    return a.lower() == b.lower()


def for_reader(originals: Mapping[str, Original], shown: Mapping[str, list[Rendition]],
               reader: str) -> dict[str, dict[str, Rendition]]:
    """By original id and property, the translation a reader of `reader`'s language reads
    beside the original, where the original is in another language: the newest in that very
    language, else the newest in a variant of it (zh-CN for a zh-Hans reader)."""
    chosen: dict[str, dict[str, Rendition]] = {}
    for oid, renditions in shown.items():
        original = originals.get(oid)
        if original is None:
            continue
        for rendition in _ranked(original.lang, renditions, reader):  # the best last: it wins
            for name in rendition.texts:
                chosen.setdefault(oid, {})[name] = rendition
    return chosen


def best_for_reader(lang: str, renditions: Iterable[Rendition], reader: str,
                    name: str) -> Rendition | None:
    """The translation of property `name` of an original in `lang` that `for_reader` would
    show a reader of `reader`'s language; None where it would show none."""
    found = [r for r in _ranked(lang, renditions, reader) if r.texts.get(name)]
    return found[-1] if found else None


def _ranked(lang: str, renditions: Iterable[Rendition], reader: str) -> list[Rendition]:
    """The renditions in the reader's language, the best last; none where the original is in
    it already."""
    primary = reader.split("-")[0].lower()
    if lang.split("-")[0].lower() == primary:
        return []
    return sorted((r for r in renditions if r.lang.split("-")[0].lower() == primary),
                  key=lambda r: (same_language(r.lang, reader), r.translated))


def original_of(obj: Mapping[str, Any]) -> Original | None:
    """`obj` (a stored cooperation object) as an `Original`, or None when it carries no text
    a party may translate."""
    fields = TRANSLATABLE.get(str(obj.get("type")))
    if fields is None or not is_timestamp(obj.get("modified")):
        return None
    texts = {name: obj[name] for name in fields if isinstance(obj.get(name), str) and obj[name]}
    if obj.get("type") == "x-accord-escalation" and obj.get("reason") != "manual" \
            and texts.get("note") == automatic_note(str(obj.get("reason"))):
        # The deadline watcher's own words, which every page says in its reader's language
        # from the reason: nothing a person wrote, nothing to translate.
        del texts["note"]
    if not texts:
        return None
    return Original(obj["id"], obj["type"], parse_timestamp(obj["modified"]),
                    str(obj.get("lang") or "en"), texts,
                    tuple(obj.get("object_marking_refs") or ()))


def is_translation(obj: object) -> bool:
    """A language-content object filed with a request's ledger (Accord's)."""
    return isinstance(obj, Mapping) and obj.get("type") == LANGUAGE_CONTENT \
        and REQUEST_REF in obj


def check(obj: Mapping[str, Any]) -> list[str]:
    """The problems of a translation beyond what the STIX validator checks (on intake); []
    for another object."""
    if not is_translation(obj):
        return []
    problems = _shape(obj)
    level = tlp_of(obj)
    if level is None or level < Tlp.AMBER_STRICT:
        # Under the markings of what it translates: every ledger is TLP:AMBER+STRICT for its
        # participants, and a translation must not carry the other party's words further.
        problems.append(f"{LANGUAGE_CONTENT}.object_marking_refs: a translation is marked as "
                        "the ledger entry it translates, TLP:AMBER+STRICT or TLP:RED (it is "
                        f"{'unmarked' if level is None else level.label})")
    return problems


def _shape(obj: Mapping[str, Any]) -> list[str]:
    where, problems = LANGUAGE_CONTENT, []
    if identifier_type(obj.get(REQUEST_REF)) != "x-accord-request":
        problems.append(f"{where}.{REQUEST_REF}: {show(obj.get(REQUEST_REF))} is not an "
                        "identifier x-accord-request--<UUID>")
    kind = identifier_type(obj.get("object_ref"))
    fields = TRANSLATABLE.get(kind or "")
    if fields is None:
        problems.append(f"{where}.object_ref: {show(obj.get('object_ref'))} is not an object "
                        f"Accord translates (one of {', '.join(TRANSLATABLE)})")
        fields = ()
    if "object_modified" not in obj:
        problems.append(f"{where}.object_modified: required: a translation names the version "
                        "it translates")
    if "created_by_ref" not in obj:
        problems.append(f"{where}.created_by_ref: required: a translation names its translator")
    contents = obj.get("contents")
    if not isinstance(contents, Mapping):
        return problems  # the STIX validator names it
    if len(contents) > MAX_LANGUAGES:
        problems.append(f"{where}.contents: {len(contents)} languages; at most "
                        f"{MAX_LANGUAGES} in one translation")
    for lang, texts in contents.items():
        path = f"{where}.contents.{lang}"
        if not isinstance(texts, Mapping) or not texts:
            problems.append(f"{path}: not a non-empty dictionary of translated properties")
            continue
        for name, text in texts.items():
            if fields and name not in fields:
                problems.append(f"{path}.{name}: not a translatable property of {kind} "
                                f"(one of {', '.join(fields)})")
            elif type(text) is not str or not text.strip():
                problems.append(f"{path}.{name}: {show(text)} is not a non-empty string")
            elif len(text) > MAX_TEXT:
                problems.append(f"{path}.{name}: {len(text):,} characters; at most "
                                f"{MAX_TEXT:,}")
    return problems


def to_stix(translation: Translation) -> dict[str, Any]:
    return {
        "type": LANGUAGE_CONTENT, "spec_version": "2.1", "id": translation.id,
        "created_by_ref": translation.translator,
        "created": format_timestamp(translation.created),
        "modified": format_timestamp(translation.modified),
        "object_ref": translation.object_ref,
        "object_modified": format_timestamp(translation.object_modified),
        "contents": {lang: dict(texts) for lang, texts in translation.contents.items()},
        REQUEST_REF: translation.request_id,
    }


def from_stix(obj: Mapping[str, Any]) -> Translation:
    """A stored translation (intake checked it) as the model holds it."""
    problems = _shape(obj) if is_translation(obj) else [f"{show(obj.get('type'))} is not an "
                                                        "Accord translation"]
    if problems:
        raise TranslationError("; ".join(problems))
    return Translation(
        obj["id"], obj[REQUEST_REF], obj["object_ref"], parse_timestamp(obj["object_modified"]),
        obj["created_by_ref"], parse_timestamp(obj["created"]), parse_timestamp(obj["modified"]),
        {str(lang): dict(texts) for lang, texts in obj["contents"].items()})


def translate(original: Original, request_id: str, translator: str, lang: str,
              texts: Mapping[str, str], now: datetime, new_id: str,
              previous: Translation | None = None) -> Translation:
    """The translator's translation of `original` into `lang`: a new object, or the next
    version of `previous` (the translator's own, kept with its other languages)."""
    # Said of the text, not by its id: on the new-request form the request has none yet.
    if not is_language(lang):
        raise TranslationError(N_("language {lang!r} is not an RFC 5646 language code (such as "
                                  "en or zh-Hans)"), lang=lang, about=("lang",))
    if same_language(lang, original.lang):
        raise TranslationError(N_("this text is written in {lang}: a translation is into "
                                  "another language"), lang=original.lang, about=("lang",))
    given = {name: text.strip() for name, text in texts.items() if text.strip()}
    if not given:
        raise TranslationError(N_("a translation needs the translated text of at least one "
                                  "of: {fields}"), fields=Codes("field", tuple(original.texts)),
                               about=("texts",))
    allowed = TRANSLATABLE[original.type]
    for name, text in given.items():
        if name not in allowed:
            raise TranslationError(N_("{field}: not a property a translation may hold (one of "
                                      "{fields})"), field=Code("field", name),
                                   fields=Codes("field", tuple(allowed)),
                                   about=(f"texts.{name}",))
        if name not in original.texts:
            raise TranslationError(N_("{field}: the text translated has none to translate"),
                                   field=Code("field", name), about=(f"texts.{name}",))
        if len(text) > MAX_TEXT:
            raise TranslationError(N_("{field}: {count:,} characters; a translation holds at "
                                      "most {most:,}"), field=Code("field", name),
                                   count=len(text), most=MAX_TEXT, about=(f"texts.{name}",))
    if previous is None:
        return Translation(new_id, request_id, original.id, original.modified, translator, now,
                           now, {lang: given})
    if previous.translator != translator:
        raise TranslationError(N_("{id} is another party's translation: only its translator "
                                  "may add a version"), id=previous.id)
    contents = {k: dict(v) for k, v in previous.contents.items() if not same_language(k, lang)}
    kept = next((dict(v) for k, v in previous.contents.items() if same_language(k, lang)), {})
    contents[lang] = {**kept, **given}
    if len(contents) > MAX_LANGUAGES:
        raise TranslationError(N_("a translation holds at most {most} languages"),
                               most=MAX_LANGUAGES)
    # A new version must be later than the last (STIX 2.1 §3.6), whatever the clocks say.
    modified = max(now, previous.modified + timedelta(milliseconds=1))
    return Translation(previous.id, request_id, original.id, original.modified, translator,
                       previous.created, modified, contents)


def first_of_each_translator(translations: Iterable[Translation]) -> list[Translation]:
    """The translations a page reads of one request's ledger, given in the order stored:
    bounded whatever a party sent, per party (the first MAX_PER_REQUEST of each translator's
    stand, and one party's flood, dated as it likes, pushes out no other's)."""
    kept: dict[str, int] = {}
    read = []
    for t in translations:
        if kept.get(t.translator, 0) < MAX_PER_REQUEST:
            kept[t.translator] = kept.get(t.translator, 0) + 1
            read.append(t)
    return read


def renditions(originals: Iterable[Original], translations: Iterable[Translation],
               participants: Iterable[str]) -> dict[str, list[Rendition]]:
    """By original id, the translations a page shows beside it: the newest version of each
    participant's translation of the version shown, each language apart, in order of
    language then time. A translation of another version, by someone outside the request, or
    of a property the original does not hold is left out (it cannot speak for the text)."""
    by_id = {o.id: o for o in originals}
    allowed = set(participants)
    newest: dict[str, Translation] = {}
    counts: dict[str, int] = {}
    for t in translations:
        original = by_id.get(t.object_ref)
        if original is None or t.translator not in allowed \
                or sort_key(format_timestamp(t.object_modified)) \
                != sort_key(format_timestamp(original.modified)):
            continue
        counts[t.id] = counts.get(t.id, 0) + 1
        if t.id not in newest or (t.modified, t.id) > (newest[t.id].modified, t.id):
            newest[t.id] = t
    shown: dict[str, list[Rendition]] = {}
    for t in newest.values():
        original = by_id[t.object_ref]
        for lang, texts in t.contents.items():
            kept = {n: text for n, text in texts.items() if n in original.texts}
            if kept and not same_language(lang, original.lang):
                shown.setdefault(t.object_ref, []).append(
                    Rendition(lang, t.translator, t.modified, kept, t.id, counts[t.id]))
    for found in shown.values():
        found.sort(key=lambda r: (r.lang.lower(), r.translated, r.translation_id))
    return shown


def missing_languages(original: Original, translations: Iterable[Translation],
                      required: Iterable[str]) -> list[str]:
    """The `required` languages `original` is neither written in nor wholly translated into
    (every property it holds) by the translations given."""
    covered = {original.lang.lower()}
    for t in translations:
        if t.object_ref != original.id:
            continue
        for lang, texts in t.contents.items():
            if all(name in texts for name in original.texts):
                covered.add(lang.lower())
    return [lang for lang in required if lang.lower() not in covered]
