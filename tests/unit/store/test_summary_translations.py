"""What each reader of a request is kept of its translations, for a search of its list: what
its request page would show it (versions it may read, by a party to the request, of the
version held), and nothing of a translation it may not read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from accord.cooperation.model import Request
from accord.cooperation.objects import to_stix as request_to_stix
from accord.cooperation.translations import MAX_PER_REQUEST, Translation, original_of, to_stix
from accord.store.summary_translations import Filed, as_translation, reader_rows
from accord.trust.markings import MarkedVersion, Tlp

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
US = "identity--11111111-1111-4111-8111-111111111111"
CN = "identity--22222222-2222-4222-8222-222222222222"
JP = "identity--33333333-3333-4333-8333-333333333333"
MALLORY = "identity--44444444-4444-4444-8444-444444444444"
RID = "x-accord-request--55555555-5555-4555-8555-555555555555"
PARTIES = (US, CN, JP)
REQUEST = Request(RID, T0, US, CN, "information", "intrusion", "urgent", "Phishing wave",
                  description="Mails from a spoofed ministry", shared_with=(JP,))
ORIGINAL = original_of(request_to_stix(REQUEST))


def translation(by: str, n: int = 1, *, texts: dict[str, str] | None = None,
                of: datetime = T0, at: datetime = T0) -> Translation:
    return Translation(f"language-content--00000000-0000-4000-8000-{n:012d}", RID, RID, of,
                       by, at, at, {"zh-Hans": texts or {"summary": "钓鱼邮件",
                                                         "description": "冒充部委的邮件"}})


def to_all(by: str) -> MarkedVersion:
    """Marked as the desk marks a ledger entry: for the request's participants."""
    return MarkedVersion(Tlp.AMBER_STRICT, by, by, frozenset(PARTIES) - {by})


def kept(filed: list[Filed], readers=PARTIES) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    rows = reader_rows(ORIGINAL, PARTIES, readers, filed, Tlp.RED)
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["party_id"], set()).add(row["summary"] or row["description"])
    return found


def test_every_party_to_the_request_is_kept_a_translation_addressed_to_them_all() -> None:
    made = translation(CN)
    rows = reader_rows(ORIGINAL, PARTIES, PARTIES, [Filed(made, to_all(CN))], Tlp.RED)
    assert {r["party_id"] for r in rows} == set(PARTIES)
    assert rows[0] == {"party_id": US, "request_id": RID, "translation_id": made.id,
                       "lang": "zh-Hans", "translator": CN,
                       "translated": "2026-03-01T09:00:00.000000Z", "version": 1,
                       "summary": "钓鱼邮件", "description": "冒充部委的邮件"}


def test_a_party_that_may_not_read_a_translation_is_kept_nothing_of_it() -> None:
    # Addressed to the requester alone (TLP:RED): the addressee's page does not show it.
    only_us = MarkedVersion(Tlp.RED, CN, CN, frozenset({US}))
    assert kept([Filed(translation(CN), only_us)]) == {US: {"钓鱼邮件"}, CN: {"钓鱼邮件"}}
    assert kept([Filed(translation(CN), only_us)], readers=(JP,)) == {}


def test_a_translation_by_no_party_to_the_request_is_kept_for_no_one() -> None:
    # Addressed to everyone: the node refuses it on intake, and no page shows it.
    assert kept([Filed(translation(MALLORY), to_all(MALLORY))]) == {}


def test_a_translation_of_another_version_of_the_request_is_not_kept() -> None:
    earlier = translation(CN, of=T0 - timedelta(days=1))
    assert kept([Filed(earlier, to_all(CN))]) == {}
    assert reader_rows(None, PARTIES, PARTIES, [Filed(translation(CN), to_all(CN))],
                       Tlp.RED) == []  # the request not held as a page reads it


def test_a_reader_is_kept_the_newest_version_it_may_read() -> None:
    first = translation(CN, texts={"summary": "钓鱼"})
    second = translation(CN, texts={"summary": "网络钓鱼"}, at=T0 + timedelta(hours=1))
    tighter = MarkedVersion(Tlp.RED, CN, CN, frozenset({US}))  # JP may not read it
    found = kept([Filed(first, to_all(CN)), Filed(second, tighter)])
    assert found == {US: {"网络钓鱼"}, CN: {"网络钓鱼"}, JP: {"钓鱼"}}


def test_only_the_texts_a_search_reads_are_kept_and_only_where_one_is_translated() -> None:
    impact = Request(RID, T0, US, CN, "information", "intrusion", "urgent", "Phishing wave",
                     impact="Ministries' mail")
    original = original_of(request_to_stix(impact))
    only_impact = translation(CN, texts={"impact": "部委邮件"})
    assert reader_rows(original, PARTIES, PARTIES, [Filed(only_impact, to_all(CN))],
                       Tlp.RED) == []


def test_a_translators_flood_past_the_bound_is_read_as_its_page_reads_it() -> None:
    flood = [Filed(translation(CN, n, texts={"summary": f"第 {n} 版"}), to_all(CN))
             for n in range(1, MAX_PER_REQUEST + 2)]
    assert f"第 {MAX_PER_REQUEST + 1} 版" not in kept(flood)[US]
    assert len(kept(flood)[US]) == MAX_PER_REQUEST


def test_a_malformed_stored_translation_is_skipped_not_raised() -> None:
    good = to_stix(translation(CN))
    assert as_translation(orjson.dumps(good)) == translation(CN)
    for bad in ({**good, "object_modified": "yesterday"}, {**good, "contents": []},
                {"type": "language-content"}):
        assert as_translation(orjson.dumps(bad)) is None
    assert as_translation(b"not json") is None
