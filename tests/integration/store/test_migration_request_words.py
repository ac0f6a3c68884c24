"""Migration 0042: the words of the requests a node already holds, and of the translations each
reader reads of them, are indexed when it migrates, as the summaries would index them."""

from sqlalchemy import inspect
from tests.integration.store.migrating import downgrade

from accord.clock import now
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.summary import Filters
from accord.cooperation.translating import Translations
from accord.store import search_index
from accord.store.engine import migrate
from accord.store.guidelines import GuidelinesStore
from accord.store.request_words import Sought
from accord.store.summaries import check
from accord.store.summary_reads import SummaryReads
from accord.web.rows import mentions, named_by


def test_the_words_already_held_are_found_through_the_index_once_migrated(world):
    engine = world.node.engine
    GuidelinesStore(engine).add('[required]\ninformation = []\n', "2000-01-01T00:00:00.000000Z")
    desk = Desk(world.node)
    street, plain = (desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", summary,
        description=description)).request.id
        for summary, description in (("Phishing from a fake ministry", "From Hafenstraße 7"),
                                     ("Who runs 198.51.100.7?", "")))
    # Two translations of one request, each read by both parties: one row of words each.
    Translations(desk).add(Actor(world.other), street, street, "zh-Hans",
                           {"summary": "冒充部委的钓鱼邮件"})
    Translations(desk).add(Actor(world.own), street, street, "ja",
                           {"summary": "偽の省庁からのフィッシング", "description": "港通り7番地"})
    downgrade(engine, "0041")  # a node from before: no index of words
    assert "request_words" not in inspect(engine).get_table_names()
    migrate(engine)
    assert check(engine) == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert search_index.fts_apart(conn, "request_words", "word_id") == (0, 0)
    names = world.node.directory.names()
    for party in (world.own.id, world.other.id):
        for text, expected in (("STRASSE", [street]), ("钓鱼邮件", [street]),
                               ("港通り", [street]), ("198.51.100", [plain]),
                               ("CNCERT" if party == world.own.id else "US-CERT",
                                [plain, street])):
            found = SummaryReads(engine).searched(
                party, Filters(), now(), lambda words, t=text, p=party: mentions(
                    words, p, names, t), sought=Sought(text, named_by(names, text)))
            assert sorted(item.summary.request_id for item in found.rows) == sorted(
                expected), (party, text)
