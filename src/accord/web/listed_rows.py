"""The rows of a list of requests as a page shows them: each with the translation of its
summary the reader reads under it, as the request's own page shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from accord.cooperation.translations import Rendition
from accord.store.summary_reads import SummaryReads
from accord.store.summary_rows import Listed
from accord.web.core import Ctx
from accord.web.rows import Row, Translated, in_reader_language, summary_row


def shown_rows(ctx: Ctx, reads: SummaryReads, listed: list[Listed], now: datetime,
               names: Mapping[str, str], found_in: Mapping[str, Translated] | None = None,
               translations: Mapping[str, Sequence[Rendition]] | None = None) -> list[Row]:
    """The rows of `listed`, each with the translation of its summary it shows: the one a
    search found it in (`found_in`), else one in the reader's language, as its request page
    shows. From `translations` where the caller read them already (a search reads every
    translation the party reads of the rows it keeps), else read in one statement, for the
    rows written in another language."""
    me, reader, found_in = ctx.viewer.party_id, ctx.language, found_in or {}
    if translations is None:
        primary = reader.split("-")[0].lower()
        translations = reads.translations(me, [
            item.summary.request_id for item in listed
            if item.summary.request_id not in found_in
            and item.summary.lang.split("-")[0].lower() != primary])
    rows = []
    for item in listed:
        shown = summary_row(item.summary, me, names, now)
        translated = found_in.get(shown.id) or in_reader_language(
            item.summary.lang, translations.get(shown.id, ()), names, reader)
        rows.append(replace(shown, translated=translated) if translated else shown)
    return rows
