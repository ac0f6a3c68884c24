"""What each reader of a request reads of the translations of its summary and description
(`request_translations`): derived with the request's summary (store.summaries) and read by a
search of the reader's list, which finds a request by their words too.

A reader's rows are what the request page shows that party (cooperation.translating reads the
ledger, cooperation.translations.renditions chooses): the versions in the requests collection
it may read, made by a party to the request, of the version of the request held. Nothing else
is kept, so a search cannot tell a party of a translation it may not read, nor find a request
by the words of one its page would not show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from accord.cooperation.translations import (
    Original,
    Rendition,
    Translation,
    TranslationError,
    first_of_each_translator,
    from_stix,
    is_language,
    renditions,
)
from accord.stix.timestamps import format_timestamp, parse_timestamp
from accord.store.bulk import among
from accord.store.summary_tables import request_translations
from accord.trust.markings import MarkedVersion, Tlp, may_read

SEARCHED = ("summary", "description")  # the texts of a request a search of the list reads
_LONGEST_TAG = 100  # request_translations.lang


@dataclass(frozen=True, slots=True)
class Filed:
    """One version of a translation filed with a request's ledger, and how it is marked."""

    translation: Translation
    marking: MarkedVersion


def as_translation(body: bytes) -> Translation | None:
    """A stored translation's body as the model holds it; None for one the page skips too
    (stored before intake checked translations): a summary must derive whatever is held."""
    try:
        return from_stix(orjson.loads(body))
    except (TranslationError, ValueError, TypeError, KeyError, AttributeError):
        return None


def reader_rows(original: Original | None, participants: Sequence[str],
                readers: Iterable[str], filed: Sequence[Filed], default: Tlp
                ) -> list[dict[str, Any]]:
    """The rows of `request_translations` of one request: for each of its readers, the
    translations of the request (`original`, None when the page would not read it as held
    here) the request page shows that reader, from `filed` (in the order stored)."""
    if original is None or not filed:
        return []
    rows = []
    for reader in readers:
        read = first_of_each_translator(f.translation for f in filed
                                        if may_read(reader, f.marking, default))
        for shown in renditions([original], read, participants).get(original.id, []):
            texts = {name: shown.texts.get(name) for name in SEARCHED}
            if any(texts.values()) and is_language(shown.lang) \
                    and len(shown.lang) <= _LONGEST_TAG:
                rows.append({"party_id": reader, "request_id": original.id,
                             "translation_id": shown.translation_id, "lang": shown.lang,
                             "translator": shown.translator,
                             "translated": format_timestamp(shown.translated),
                             "version": shown.version, **texts})
    return rows


def translated_words(conn: Connection, party: str, request_ids: Sequence[str] | None = None
                     ) -> dict[str, tuple[str, ...]]:
    """By request id, the texts of the translations of its summary and description that
    `party` reads (its rows, by the primary key's index, as plain text), of these requests
    (None: of all): what a search of its list reads besides each request's own words. Lean:
    every request of the party may have some, where the guidelines require a second
    language."""
    t = request_translations.c
    found: dict[str, tuple[str, ...]] = {}
    read = select(t.request_id, t.summary, t.description).where(t.party_id == party)
    reads = [read] if request_ids is None else [
        read.where(condition) for condition in among(conn, t.request_id, list(request_ids))]
    for stmt in reads:
        for request_id, summary, description in conn.execute(stmt).all():
            found[request_id] = found.get(request_id, ()) + (summary or "", description or "")
    return found


def shown_to(conn: Connection, party: str, request_ids: Sequence[str]
             ) -> dict[str, tuple[Rendition, ...]]:
    """By request id, the translations of the summary and description of these requests
    that `party` reads, whole: what the rows of a page may show of them."""
    t = request_translations.c
    found: dict[str, list[Rendition]] = {}
    for condition in among(conn, t.request_id, sorted(set(request_ids))):
        for row in conn.execute(select(t.request_id, t.translation_id, t.lang, t.translator,
                                       t.translated, t.version, t.summary, t.description)
                                .where(t.party_id == party, condition)):
            texts = {name: text for name, text in (("summary", row.summary),
                                                   ("description", row.description)) if text}
            found.setdefault(row.request_id, []).append(Rendition(
                row.lang, row.translator, parse_timestamp(row.translated), texts,
                row.translation_id, row.version))
    return {request_id: tuple(shown) for request_id, shown in found.items()}
