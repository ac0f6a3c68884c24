"""The words a search of the requests list looks for, indexed (`request_words`, migration 0042),
so that a search reads the requests that may hold its needle, not every request of the party.

Each request has a row of its own words (party_id OWN: its summary, description, id, requester
and addressee), and a row for each reader that reads translations of its texts (the words of
those translations, store.summary_translations: that reader's alone). They are derived with the
summaries and the translations' rows, in their transaction (store.summaries), case-folded as
the list folds them (web.rows.mentions: str.casefold), and matched as a substring as a search by
name is (store.search_index): PostgreSQL through a GIN trigram index, SQLite through an FTS5
table with the trigram tokenizer. A needle shorter than a trigram can use neither; the caller
reads every request of the party then.

A prefilter, never the judge: a row's texts are joined in one, so a needle spanning two of them
finds a request that holds it in neither, and the list's own rule decides on the request's
words, as without the index. What it finds is still read through the party's request_readers
rows, and its translations' words are that party's alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    select,
    table,
)

from accord.store.bulk import among
from accord.store.name_plans import TRIGRAM, like
from accord.store.search_index import fill_fts, fold, fts_phrase, last_row_id
from accord.store.summary_tables import request_readers, request_words

OWN = ""  # the party_id of a request's own words, which every reader of it searches
_JOINED = "\n"  # between the texts of a row: a search's needle never holds a line break
_OWN_TEXTS = ("summary", "description", "request_id", "requester", "addressee")
_TRANSLATED_TEXTS = ("summary", "description")
_BATCH = 5000
_w = request_words.c
_fts = table("request_words_fts", column("rowid"))


@dataclass(frozen=True, slots=True)
class Sought:
    """What a search of the list looks for, as the index can narrow it: the text typed, and
    the parties whose names (in the directory) hold it, as web.rows.mentions reads them: a
    request whose other party is one of those holds the text too."""

    text: str
    named: frozenset[str] = frozenset()

    @property
    def is_indexed(self) -> bool:
        """Whether the index can find the text (a trigram or longer, once folded)."""
        return len(fold(self.text)) >= TRIGRAM


def rows_of(summaries: Iterable[Mapping[str, Any]], translated: Iterable[Mapping[str, Any]]
            ) -> list[dict[str, Any]]:
    """The rows of `request_words` of these summaries' rows (request_summaries) and
    translations' rows (request_translations): one of each request's own words, one for each
    reader's translations of a request (their texts in translation id and language order, so
    that the same rows make the same text however they were read)."""
    rows = [{"request_id": s["request_id"], "party_id": OWN,
             "text": _JOINED.join(fold(s[name]) for name in _OWN_TEXTS)} for s in summaries]
    by_reader: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for t in translated:
        by_reader.setdefault((t["request_id"], t["party_id"]), []).append(t)
    for (request_id, party), found in by_reader.items():
        found.sort(key=lambda t: (t["translation_id"], t["lang"]))
        rows.append({"request_id": request_id, "party_id": party,
                     "text": _JOINED.join(fold(t[name] or "") for t in found
                                          for name in _TRANSLATED_TEXTS)})
    return rows


def add(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write rows of words (their requests' old rows are gone: `forget`), and on SQLite put
    them in the FTS5 index (a trigger takes them out when they are deleted)."""
    if not rows:
        return
    last = last_row_id(conn, "request_words", "word_id")
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(request_words), list(rows[start:start + _BATCH]))
    if last is not None:
        fill_fts(conn, "request_words", "word_id", last)


def forget(conn: Connection, request_ids: Sequence[str] | None) -> None:
    """Delete the words of these requests (None: of every request)."""
    if request_ids is None:
        conn.execute(delete(request_words))
        return
    for condition in among(conn, _w.request_id, list(request_ids)):
        conn.execute(delete(request_words).where(condition))


def holding(conn: Connection, sought: Sought, party: str) -> Select[Any]:
    """The ids of the party's requests whose own words, or the words of the translations
    `party` reads of them, may hold the sought text (is_indexed): a superset of those that
    do. Only the party's: a bound on how many are read (store.summary_reads) that counted
    others' requests would time out, for the party, whether they hold its words."""
    folded = fold(sought.text)
    readers = and_(_w.party_id.in_([OWN, party]), exists().where(
        request_readers.c.party_id == party, request_readers.c.request_id == _w.request_id))
    if conn.dialect.name == "sqlite":
        return (select(_w.request_id)
                .select_from(_fts.join(request_words, _w.word_id == _fts.c.rowid))
                .where(column("request_words_fts").op("MATCH")(
                    bindparam("phrase", fts_phrase(folded))),
                       func.instr(_w.text, bindparam("needle", folded)) > 0, readers))
    # The stored text is folded: LIKE, not ILIKE, gives str.casefold's answer; the pattern in
    # the statement's text, so that the planner sees the needle (store.name_plans).
    return select(_w.request_id).where(
        _w.text.like(bindparam("pattern", like(folded), literal_execute=True), escape="\\"),
        readers)


def stored(conn: Connection) -> dict[tuple[str, str], str]:
    """Every row's text by (request id, party id): what `accord db check` compares."""
    return {(request_id, party): text for request_id, party, text in conn.execute(
        select(_w.request_id, _w.party_id, _w.text))}
