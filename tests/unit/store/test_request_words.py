"""The rows of the index of the requests' words (store.request_words): whatever a request's
texts and a needle, a request the list's search keeps (web.rows.mentions) is one the index
finds, by its own words, the words of a translation its reader reads, or its other party's
name; and the index keeps a request's words folded as Python folds them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.store.request_words import OWN, Sought, rows_of
from accord.store.summary_reads import Words
from accord.web.rows import mentions, named_by

US, CN, JP = (f"identity--00000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
NAMES = {US: "United States (US-CERT)", CN: "China (CNCERT/CC)", JP: "Japan (JPCERT/CC)"}
RID = "x-accord-request--7f0b6c1e-2d3a-4b5c-9d8e-000000000001"
# Letters that fold to others (ß → ss, İ → i̇, ﬁ → fi), LIKE's and FTS5's signs, Chinese.
ALPHABET = st.sampled_from(list("aAsSßẞİıiﬁfΣσς%_\\\"' -钓鱼邮件") + ["\n"])
TEXT = st.text(ALPHABET, max_size=12)


def found_by_index(rows: list[dict[str, str]], sought: Sought, reader: str,
                   requester: str, addressee: str) -> bool:
    """Whether the index finds the request for `reader`: a row of its own words or of the
    reader's translations holds the folded needle, or its other party's name holds it."""
    needle = sought.text.casefold()
    other = requester if addressee == reader else addressee
    return any(needle in row["text"] for row in rows if row["party_id"] in (OWN, reader)) \
        or other in sought.named


@given(summary=TEXT, description=TEXT, translated=st.lists(st.tuples(TEXT, TEXT), max_size=2),
       needle=TEXT.filter(bool), reader=st.sampled_from([US, CN, JP]))
def test_every_request_the_search_keeps_is_one_the_index_finds(
        summary: str, description: str, translated: list[tuple[str, str]], needle: str,
        reader: str) -> None:
    summaries = [{"request_id": RID, "summary": summary, "description": description,
                  "requester": US, "addressee": CN}]
    translations = [{"party_id": reader, "request_id": RID, "translation_id":
                     f"language-content--{n}", "lang": "zh-Hans", "summary": s or None,
                     "description": d or None} for n, (s, d) in enumerate(translated)]
    words = Words(RID, summary, description, US, CN,
                  tuple(text for pair in translated for text in pair))
    sought = Sought(needle, named_by(NAMES, needle))
    if mentions(words, reader, NAMES, needle):
        assert found_by_index(rows_of(summaries, translations), sought, reader, US, CN)


def test_a_readers_translations_are_one_row_in_the_same_order_however_read() -> None:
    rows = [{"party_id": JP, "request_id": RID, "translation_id": f"language-content--{n}",
             "lang": lang, "summary": summary, "description": None}
            for n, lang, summary in ((2, "zh-Hans", "钓鱼"), (1, "ja", "FISHING"),
                                     (1, "de", "Straße"))]
    made = rows_of([], rows)
    assert made == rows_of([], list(reversed(rows)))
    assert made == [{"request_id": RID, "party_id": JP, "text": "strasse\n\nfishing\n\n钓鱼\n"}]


def test_a_needle_shorter_than_a_trigram_once_folded_is_not_for_the_index() -> None:
    assert not Sought("钓鱼").is_indexed and Sought("钓鱼邮").is_indexed
    assert Sought("ßa").is_indexed  # "ssa"
    assert not Sought("ab").is_indexed
