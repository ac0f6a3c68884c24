"""Translations on one node: a participant adds one to an object of a request's ledger it may
read, and reads those beside the originals (`cooperation.translations` holds the rules).

Each translation is a language-content object stored through intake like any ledger entry:
signed for its translator's node, marked as the object it translates, filed with the request's
ledger, and so pushed to the peer whose party may read it at the next sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, select, true

from accord.cooperation.bounds import within_ledger
from accord.cooperation.desk import Actor, CooperationError, Desk, First, NoSuchRequest
from accord.cooperation.ledger import RequestView
from accord.cooperation.model import Request
from accord.cooperation.receipts import marked
from accord.cooperation.translations import (
    MAX_PER_REQUEST,
    Original,
    Rendition,
    Translation,
    TranslationError,
    first_of_each_translator,
    from_stix,
    is_translation,
    missing_languages,
    original_of,
    renditions,
    to_stix,
    translate,
)
from accord.i18n import N_
from accord.store.reads import entitled
from accord.store.schema import collections, ledger, objects, permissions


class LanguagesMissing(CooperationError):
    """The guidelines require the request in languages it is neither written in nor
    translated into."""

    def __init__(self, missing: list[str], fields: Iterable[str], version: int) -> None:
        names = ", ".join(fields)
        super().__init__(
            f"the guidelines (version {version}) require this request in "
            f"{', '.join(missing)} too: add a translation of its {names} into "
            f"{' and '.join(missing)}", about=("translations",))
        self.missing = tuple(missing)


@dataclass(frozen=True, slots=True)
class Ledgered:
    """What an actor may read of one request's ledger, as stored: the objects that carry text
    a party may translate, and the translations of them."""

    originals: tuple[Original, ...]
    translations: tuple[Translation, ...]  # every version, oldest first
    markings: Mapping[str, tuple[str, ...]]  # object id -> its object_marking_refs


def _new_id() -> str:
    return f"language-content--{uuid.uuid4()}"


def _marked_as(obj: dict[str, Any], translator: str, request: Request,
               markings: tuple[str, ...]) -> dict[str, Any]:
    """Marked as the object it translates, addressed to the request's participants."""
    obj = marked(obj, translator, request)
    if markings:
        obj["object_marking_refs"] = list(markings)
    return obj


def sent_with(request_obj: dict[str, Any], request: Request, translator: str,
              given: Mapping[str, Mapping[str, str]], required: tuple[str, ...],
              version: int, now: datetime) -> list[dict[str, Any]]:
    """The translations sent with a new request, as STIX objects to store with it; raises
    `LanguagesMissing` when the guidelines require a language neither covers."""
    original = original_of(request_obj)
    if original is None:  # a request always has a summary
        raise CooperationError(N_("the request has no text to translate"))
    made: Translation | None = None
    for lang, texts in given.items():  # a TranslationError is said as the desk's refusals
        try:
            one = translate(original, request.id, translator, lang, texts, now, _new_id())
        except TranslationError as refused:  # of one of the translations sent
            raise refused.within(lang=f"translations.{lang}",
                                 texts=f"translations.{lang}") from None
        made = one if made is None else Translation(
            made.id, made.request_id, made.object_ref, made.object_modified, translator,
            now, now, {**made.contents, **one.contents})
    found = [made] if made is not None else []
    missing = missing_languages(original, found, required)
    if missing:
        raise LanguagesMissing(missing, original.texts, version)
    return [_marked_as(to_stix(t), translator, request,
                       tuple(request_obj.get("object_marking_refs") or ())) for t in found]


class Translations:
    """The use cases of translations on one node."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def ledgered(self, actor: Actor, request_id: str) -> Ledgered:
        """What `actor` may read of the request's ledger, for translating (as `Desk.ledgers`
        reads it: the same markings and permissions)."""
        o = objects.c
        collection = self.desk.collection()
        stmt = (select(o.body).select_from(ledger).join(objects, o.seq == ledger.c.seq)
                .join(collections, collections.c.id == o.collection_id)
                .join(permissions, and_(permissions.c.collection_id == o.collection_id,
                                        permissions.c.party_id == actor.party.id,
                                        permissions.c.can_read == true()))
                .where(o.collection_id == collection.id, ledger.c.request_id == request_id,
                       entitled(objects, collections.c.default_tlp))
                .order_by(ledger.c.time, ledger.c.seq))
        originals: list[Original] = []
        translations: list[Translation] = []
        markings: dict[str, tuple[str, ...]] = {}
        with self.desk.node.engine.connect() as conn:
            for (body,) in conn.execute(stmt, {"reader": actor.party.id}):
                obj = orjson.loads(body)
                if is_translation(obj):
                    # Intake checks them: one stored from before is skipped.
                    with suppress(TranslationError):
                        translations.append(from_stix(obj))
                    continue
                found = original_of(obj)
                if found is not None:
                    originals.append(found)
                    markings[found.id] = tuple(obj.get("object_marking_refs") or ())
        return Ledgered(tuple(originals), tuple(first_of_each_translator(translations)),
                        markings)

    def add(self, actor: Actor, request_id: str, object_id: str, lang: str,
            texts: Mapping[str, str], first: First | None = None) -> Translation:
        """`actor`'s translation of `object_id` (in the request's ledger) into `lang`: a new
        version of its own translation of that object, if it made one before. `first`: as
        the desk's acts take it."""
        view = self.desk.view(actor, request_id)  # NoSuchRequest for one it may not see
        if actor.party.id not in view.request.participants:
            raise NoSuchRequest(f"no request {request_id!r} that you may see")
        held = self.ledgered(actor, request_id)
        original = next((o for o in held.originals if o.id == object_id), None)
        if original is None:
            raise CooperationError(N_("{id} holds no object {object!r} with text you may "
                                      "read and translate"), id=request_id, object=object_id,
                                   about=("object_ref",))
        theirs = sum(1 for t in held.translations if t.translator == actor.party.id)
        if theirs >= MAX_PER_REQUEST:
            raise CooperationError(N_("{id} holds {count} translations of yours, the most a "
                                      "party may make in one request ({most})"),
                                   id=request_id, count=theirs, most=MAX_PER_REQUEST)
        mine = [t for t in held.translations
                if t.object_ref == object_id and t.translator == actor.party.id]
        previous = max(mine, key=lambda t: t.modified) if mine else None
        made = translate(original, request_id, actor.party.id, lang, texts, self.desk.clock(),
                         _new_id(), previous)
        obj = _marked_as(to_stix(made), actor.party.id, view.request,
                         held.markings.get(object_id, ()))
        within_ledger(self.desk.node.engine, actor.party, request_id, obj)
        self.desk._store(actor, self.desk.collection(), [obj],
                         before=None if first is None else lambda conn: first(conn, made.id))
        return made

    def shown(self, actor: Actor, view: RequestView) -> tuple[dict[str, Original],
                                                              dict[str, list[Rendition]]]:
        """The originals the actor may read, by id, and the translations shown beside each."""
        held = self.ledgered(actor, view.request.id)
        return ({o.id: o for o in held.originals},
                renditions(held.originals, held.translations, view.request.participants))


def renditions_json(found: Mapping[str, list[Rendition]], originals: Mapping[str, Original],
                    names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The translations of a request as JSON (REST, CLI): per original, its language and
    text, marked authoritative, and each translation with who made it and when."""
    from accord.stix.timestamps import format_timestamp

    return [{
        "object_ref": oid, "type": originals[oid].type,
        "original": {"lang": originals[oid].lang, "authoritative": True,
                     "texts": dict(originals[oid].texts)},
        "translations": [{
            "id": r.translation_id, "lang": r.lang, "version": r.version,
            "by": {"id": r.translator, "name": names.get(r.translator, r.translator)},
            "translated": format_timestamp(r.translated), "texts": dict(r.texts)}
            for r in shown],
    } for oid, shown in found.items() if oid in originals]
