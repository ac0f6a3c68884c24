"""A code on a page reads as words in the reader's language, the code kept in a title."""

from __future__ import annotations

from accord.cooperation.model import CATEGORIES, ESCALATION_REASONS, KINDS, OUTCOMES, URGENCIES
from accord.correlation.values import Value, value_text
from accord.trust.tokens import ROLES
from accord.web.codes import vocabularies, word, word_html


def test_every_code_of_each_vocabulary_has_words():
    english = vocabularies("en")
    for vocabulary, codes in (("category", CATEGORIES), ("kind", KINDS),
                              ("urgency", URGENCIES), ("outcome", OUTCOMES),
                              ("reason", ESCALATION_REASONS), ("role", ROLES)):
        assert set(english[vocabulary]) == set(codes), vocabulary


def test_a_code_reads_as_words_with_the_code_in_a_title():
    assert word_html("en", "ip-theft", "category") == (
        '<span class="coded" title="ip-theft">Theft of intellectual property / trade secrets'
        '</span>')
    assert word("zh-Hans", "outcome", "information-provided") == "已提供信息"
    assert word("zh-Hans", "reason", "acknowledgement-overdue") == "确认收到逾期"


def test_an_unknown_code_is_shown_as_it_is_escaped():
    assert word_html("en", "<b>new</b>", "category") == "&lt;b&gt;new&lt;/b&gt;"


def test_an_address_reads_as_people_write_it():
    assert value_text(Value("ipv4", "c6336407/32")) == "198.51.100.7"
    assert value_text(Value("ipv4", "c0a80000/16")) == "192.168.0.0/16"
    assert value_text(Value("domain", "example.com")) == "example.com"
