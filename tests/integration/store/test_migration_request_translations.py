"""Migration 0041: what each reader reads of the translations of a request's texts is kept for
a search of its list; the requests a node already holds with translations are derived again
when it migrates, so that a search finds them at once."""

from sqlalchemy import func, inspect, select
from tests.integration.store.migrating import downgrade

from accord.clock import now
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.summary import Filters
from accord.cooperation.translating import Translations
from accord.store.engine import migrate
from accord.store.guidelines import GuidelinesStore
from accord.store.summaries import check
from accord.store.summary_reads import SummaryReads
from accord.store.summary_tables import request_figures


def test_the_translations_already_held_are_found_once_migrated(world):
    engine = world.node.engine
    GuidelinesStore(engine).add('[required]\ninformation = []\n', "2000-01-01T00:00:00.000000Z")
    desk = Desk(world.node)
    translated, _plain = (desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", summary)).request.id
        for summary in ("Phishing from a fake ministry", "Who runs 198.51.100.7?"))
    Translations(desk).add(Actor(world.other), translated, translated, "zh-Hans",
                           {"summary": "冒充部委的钓鱼邮件"})
    downgrade(engine, "0040")  # a node from before: no table, the translation in the ledger
    assert "request_translations" not in inspect(engine).get_table_names()
    migrate(engine)
    assert check(engine) == []
    for party in (world.own.id, world.other.id):
        found = SummaryReads(engine).searched(
            party, Filters(), now(), lambda words: any("钓鱼" in said
                                                       for said in words.translated))
        assert [item.summary.request_id for item in found.rows] == [translated]
    with engine.connect() as conn:  # every request's figures derived, as before
        assert conn.execute(select(func.count()).select_from(request_figures).where(
            request_figures.c.counted_at.is_(None))).scalar_one() == 0
