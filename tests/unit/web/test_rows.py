"""What a request's row on the dashboard says I should do, and which acts its page offers;
what a search of the list finds a request by, and what its row shows of a translation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accord.cooperation.ledger import derive
from accord.cooperation.model import (
    Acknowledgement,
    Escalation,
    Ledger,
    Rating,
    Receipt,
    Request,
    Response,
    Withdrawal,
)
from accord.cooperation.translations import Rendition
from accord.store.summary_reads import Words
from accord.web.request_page import allowed_acts
from accord.web.rows import Translated, by_urgency_of_action, mentions, row, translation_found

US = "identity--00000000-0000-4000-8000-0000000000a1"
CN = "identity--00000000-0000-4000-8000-0000000000c1"
NAMES = {US: "United States", CN: "China"}
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REQUEST = Request(id="x-accord-request--1", created=RECEIVED, requester=US, addressee=CN,
                  kind="information", category="intrusion", urgency="priority",
                  summary="who is behind 198.51.100.7")
RECEIPT = Receipt("x-accord-receipt--1", REQUEST.id, CN, RECEIVED, received=RECEIVED,
                  acknowledge_by=RECEIVED + timedelta(days=2),
                  respond_by=RECEIVED + timedelta(days=10), guidelines_version=0)
ACK = Acknowledgement("x-accord-ack--1", REQUEST.id, CN, RECEIVED + timedelta(hours=1))
RESPONSE = Response("x-accord-response--1", REQUEST.id, CN, RECEIVED + timedelta(days=1),
                    outcome="information-provided")
RATING = Rating("x-accord-rating--1", REQUEST.id, US, RECEIVED + timedelta(days=2),
                response_id=RESPONSE.id, score=4)


def view(*entries, at=RECEIVED + timedelta(hours=2)):
    return derive(Ledger(REQUEST, (RECEIPT, *entries)), at)


def test_the_addressee_acknowledges_then_responds_and_the_requester_rates():
    fresh = view()
    assert row(fresh, CN, NAMES).action == "Acknowledge"
    assert row(fresh, CN, NAMES).deadline == RECEIPT.acknowledge_by
    assert row(fresh, US, NAMES).action == ""  # the requester waits
    acknowledged = view(ACK)
    assert row(acknowledged, CN, NAMES).action == "Respond"
    assert row(acknowledged, CN, NAMES).deadline_of == "respond"
    answered = view(ACK, RESPONSE, at=RECEIVED + timedelta(days=1, hours=1))
    assert row(answered, US, NAMES).action == "Rate the response"
    assert row(answered, US, NAMES).deadline is None
    closed = view(ACK, RESPONSE, RATING, at=RECEIVED + timedelta(days=3))
    assert row(closed, US, NAMES).action == "" and row(closed, CN, NAMES).action == ""
    assert row(closed, CN, NAMES).other == "United States"


def test_overdue_and_escalated_come_first_then_the_nearest_deadline():
    overdue = view(at=RECEIVED + timedelta(days=3))
    later = derive(Ledger(REQUEST, (RECEIPT, ACK)), RECEIVED + timedelta(hours=2))
    assert row(overdue, CN, NAMES).is_overdue
    ordered = by_urgency_of_action([row(later, CN, NAMES), row(overdue, CN, NAMES)])
    assert ordered[0].is_overdue


def test_the_acts_offered_follow_the_side_the_role_and_the_state():
    fresh = view()
    assert allowed_acts(fresh, CN, True) == {"acknowledge", "report", "respond", "escalate"}
    assert allowed_acts(fresh, US, True) == {"withdraw", "escalate"}
    assert allowed_acts(fresh, CN, False) == set()  # a reader or analyst only reads
    escalated = view(Escalation("x-accord-escalation--1", REQUEST.id, US,
                                RECEIVED + timedelta(hours=1), reason="manual"))
    # Only the party that raised it ends it by hand; the other side, by answering.
    assert "de-escalate" in allowed_acts(escalated, US, True)
    assert "de-escalate" not in allowed_acts(escalated, CN, True)
    answered = view(ACK, RESPONSE, at=RECEIVED + timedelta(days=1, hours=1))
    assert allowed_acts(answered, US, True) == {"rate"}
    assert allowed_acts(answered, CN, True) == set()
    withdrawn = view(Withdrawal("x-accord-withdrawal--1", REQUEST.id, US,
                                RECEIVED + timedelta(hours=1)))
    assert allowed_acts(withdrawn, US, True) == set() == allowed_acts(withdrawn, CN, True)


def test_a_row_is_found_by_words_of_its_request_or_its_other_party():
    from dataclasses import replace

    from accord.store.summary_reads import Words
    from accord.web.rows import mentions

    r = row(derive(Ledger(replace(REQUEST, id="x-accord-request--7f0b6c1e-2d3a-4b5c-9d8e-"
                                              "000000000001", description="Beacons from OPM"),
                          (RECEIPT,)), RECEIVED), US, NAMES)
    assert r.sent == RECEIVED and r.short_id == "7f0b6c1e" and r.category == "intrusion"
    # What the list's search reads of each request: its texts, and who its parties are.
    words = Words(r.id, r.summary, r.description, requester=CN, addressee=US)
    for found in ("198.51.100.7", "WHO IS", "opm", "7f0b6c1e", "chin", CN):
        assert mentions(words, US, NAMES, found), found
    for missed in ("united states", US, "ransomware", "c2 server"):
        assert not mentions(words, US, NAMES, missed), missed


def words(*translations: Rendition) -> Words:
    return Words(REQUEST.id, "Phishing from a spoofed ministry", "Mails since Monday", US, CN,
                 tuple(text for r in translations for text in r.texts.values()))


def rendition(lang: str, summary: str | None, description: str = "", *, by: str = CN,
              hours: int = 0) -> Rendition:
    texts = {name: text for name, text in (("summary", summary),
                                           ("description", description)) if text}
    return Rendition(lang, by, RECEIVED + timedelta(hours=hours), texts,
                     f"language-content--{lang}-{hours}", 1)


def found(*translations: Rendition, text: str, reader: str) -> Translated | None:
    return translation_found(words(*translations), translations, US, NAMES, text, reader)


def test_a_search_finds_a_request_by_the_words_of_a_translation_it_is_given() -> None:
    chinese = rendition("zh-Hans", "冒充部委的钓鱼邮件", "自周一起的邮件")
    assert mentions(words(chinese), US, NAMES, "钓鱼")
    assert mentions(words(chinese), US, NAMES, "周一")  # the translated description
    assert not mentions(words(), US, NAMES, "钓鱼")
    assert not mentions(words(chinese), US, NAMES, "勒索")


def test_a_row_found_only_in_a_translation_shows_its_summary_in_the_readers_language() -> None:
    chinese = rendition("zh-Hans", "冒充部委的钓鱼邮件", by=CN)
    taiwanese = rendition("zh-TW", "冒充部會的釣魚郵件 钓鱼", by=US, hours=2)
    french = rendition("fr", "Hameçonnage 钓鱼", by=US, hours=3)
    unrelated = rendition("zh-Hans", "另一个译文", by=US, hours=4)
    assert found(french, chinese, taiwanese, unrelated, text="钓鱼", reader="zh-Hans") == \
        Translated("zh-Hans", "冒充部委的钓鱼邮件", "China")
    # No translation in the reader's language holds the words: the newest that does.
    assert found(french, taiwanese, text="钓鱼", reader="en") == Translated(
        "fr", "Hameçonnage 钓鱼", "United States")


def test_a_row_found_in_its_own_words_or_in_no_translated_summary_shows_none() -> None:
    chinese = rendition("zh-Hans", "冒充部委的钓鱼邮件 Phishing", "自周一起的邮件")
    assert found(chinese, text="phishing", reader="zh-Hans") is None
    assert found(chinese, text="China", reader="zh-Hans") is None  # the other party
    only_description = rendition("zh-Hans", None, "冒充部委的钓鱼邮件")
    assert found(only_description, text="钓鱼", reader="zh-Hans") is None
