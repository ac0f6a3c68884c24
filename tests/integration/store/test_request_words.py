"""The index of the requests' words (store.request_words) narrows a search of the list to the
requests that may hold its text, on both backends, and changes nothing of what it finds: the
same rows, the same total, the same pages as reading every request of the party; never a
request by the words of a translation the party may not read; kept in step with the summaries
and the translations, rebuilt and checked with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, select
from tests.integration.store.test_summary_translations import readers_of_requests

from accord.clock import now
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Request
from accord.cooperation.receipts import marked
from accord.cooperation.summary import Filters
from accord.cooperation.translating import Translations
from accord.cooperation.translations import Translation, to_stix
from accord.store import search_index, summary_reads
from accord.store.directory import Party
from accord.store.engine import writing
from accord.store.query import ALL, ObjectQuery
from accord.store.request_words import Sought, add, holding
from accord.store.summaries import check, rebuild
from accord.store.summary_reads import SummaryReads
from accord.store.summary_tables import request_words
from accord.trust.markings import MARKING_FOR, Tlp
from accord.web.rows import mentions, named_by

# (summary, description) of each request US-CERT sends CNCERT/CC, shared with JPCERT/CC.
TEXTS = {
    "street": ("Phishing from a fake ministry", "Mails since Monday from Hafenstraße 7"),
    "percent": ("50% off_sale lure", 'He said "urgent" twice, and it\'s 100\\200'),
    "chinese": ("冒充部委的钓鱼邮件", "自周一起的邮件"),
    "address": ("Who runs 198.51.100.7?", ""),
}
NEEDLES = ("STRASSE", "straße", "hafenstrasse", "50%", "f_s", "off_sale", "0%_", "%", "_",
           '"urgent"', '"', "it's", "100\\200", "\\", "钓鱼", "钓鱼邮件", "部委的", "周一",
           "谁在运营", "运营", "伪造的钓鱼", "CNCERT", "china (", "jpcert/cc", "Mallory",
           "United", "x-accord-request--", "identity--", "MINISTRY", "nothing like it", "y\nm")


@dataclass
class Requests:
    world: Any
    desk: Desk
    requests: dict[str, Request]
    japan: Party
    mallory: Party

    @property
    def ids(self) -> dict[str, str]:
        return {key: request.id for key, request in self.requests.items()}

    @property
    def everyone(self) -> tuple[str, ...]:
        return (self.world.own.id, self.world.other.id, self.japan.id, self.mallory.id)


@pytest.fixture
def requests(world) -> Requests:
    desk, japan, mallory = readers_of_requests(world)
    made = Requests(world, desk, {}, japan, mallory)
    for key, (summary, description) in TEXTS.items():
        made.requests[key] = desk.create(Actor(world.own), Draft(
            world.other.name, "information", "intrusion", "urgent", summary,
            description=description, shared_with=(japan.name,))).request
    translate(made, world.other, "address", summary="谁在运营 198.51.100.7？")
    # A translation of "street" addressed to US-CERT alone, TLP:RED: CNCERT/CC (its maker)
    # and US-CERT read it, JPCERT/CC does not.
    stored_raw(made, "street", {"summary": "伪造的钓鱼译文"}, to=[world.own.id])
    return made


def translate(made: Requests, actor: Party, key: str, **texts: str) -> Translation:
    rid = made.ids[key]
    return Translations(made.desk).add(Actor(actor), rid, rid, "zh-Hans", texts)


def stored_raw(made: Requests, key: str, texts: dict[str, str], *, to: list[str]) -> None:
    """A translation by CNCERT/CC, TLP:RED, addressed to `to`, stored without intake."""
    request = made.requests[key]
    maker = made.world.other.id
    version = Translation(f"language-content--{uuid.uuid4()}", request.id, request.id,
                          request.created, maker, now(), now(), {"zh-Hans": texts})
    obj = marked(to_stix(version), maker, request)
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.RED]]
    obj["extensions"][next(iter(obj["extensions"]))]["recipients"] = to
    made.world.node.objects.add(made.desk.collection().id, [obj], poster_id=maker)


def search(made: Requests, party: str, text: str, *, indexed: bool = True, limit: int = 200,
           after: str | None = None) -> tuple[list[str], int, str | None]:
    """What the list's search finds (ids newest first, the total, the next cursor), through
    the index or reading every request of the party."""
    names = made.world.node.directory.names()
    found = SummaryReads(made.world.node.engine).searched(
        party, Filters(), now(), lambda words: mentions(words, party, names, text),
        sought=Sought(text, named_by(names, text)) if indexed else None, limit=limit,
        after=after)
    return [item.summary.request_id for item in found.rows], found.total, found.after


def keys(made: Requests, found: list[str]) -> set[str]:
    return {key for key, rid in made.ids.items() if rid in found}


def candidates(made: Requests, party: str, text: str) -> set[str]:
    """The requests the index alone finds may hold `text` for `party`."""
    with made.world.node.engine.connect() as conn:
        return keys(made, list(conn.execute(holding(conn, Sought(text), party)).scalars()))


def test_every_search_finds_through_the_index_what_reading_every_request_finds(requests):
    for party in requests.everyone:
        for needle in NEEDLES:
            assert search(requests, party, needle) == search(
                requests, party, needle, indexed=False), (party, needle)


def test_words_are_found_case_folded_as_python_folds_them(requests):
    own = requests.world.own.id
    for needle in ("STRASSE", "straße", "hafenstrasse", "MINISTRY"):
        assert keys(requests, search(requests, own, needle)[0]) == {"street"}, needle
        assert candidates(requests, own, needle) == {"street"}, needle


def test_like_and_fts_signs_in_a_needle_are_its_own_characters(requests):
    own = requests.world.own.id
    for needle in ("50%", "f_s", "off_sale", '"urgent"', "it's", "100\\200"):
        assert candidates(requests, own, needle) == {"percent"}, needle
        assert keys(requests, search(requests, own, needle)[0]) == {"percent"}, needle
    for needle in ("0%_", "5_%", "%%%", "___", '"""', "\\\\\\"):
        assert candidates(requests, own, needle) == set(), needle
    # Shorter than a trigram: every request of the party is read, as before.
    assert keys(requests, search(requests, own, "%")[0]) == {"percent"}
    assert keys(requests, search(requests, own, "_")[0]) == {"percent"}


def test_chinese_words_of_two_characters_and_more_are_found(requests):
    own = requests.world.own.id
    assert keys(requests, search(requests, own, "钓鱼")[0]) == {"chinese", "street"}
    assert keys(requests, search(requests, own, "钓鱼邮件")[0]) == {"chinese"}
    assert keys(requests, search(requests, own, "周一")[0]) == {"chinese"}
    assert keys(requests, search(requests, own, "谁在运营")[0]) == {"address"}
    assert candidates(requests, own, "钓鱼邮件") == {"chinese"}


def test_the_other_partys_name_finds_its_requests(requests):
    world = requests.world
    assert keys(requests, search(requests, world.own.id, "china (")[0]) == set(TEXTS)
    assert keys(requests, search(requests, world.other.id, "united")[0]) == set(TEXTS)
    # US-CERT's own name is not the other party's for it; JPCERT/CC is shared, no party.
    assert search(requests, world.own.id, "United")[0] == []
    assert search(requests, world.own.id, "jpcert/cc")[0] == []
    # Shared with JPCERT/CC: the other party is the addressee.
    assert keys(requests, search(requests, requests.japan.id, "CNCERT")[0]) == set(TEXTS)


def test_a_translation_the_party_may_not_read_is_not_found_through_the_index(requests):
    world = requests.world
    assert candidates(requests, world.own.id, "伪造的钓鱼") == {"street"}
    assert candidates(requests, world.other.id, "伪造的钓鱼") == {"street"}
    assert candidates(requests, requests.japan.id, "伪造的钓鱼") == set()
    assert candidates(requests, requests.mallory.id, "伪造的钓鱼") == set()
    assert search(requests, requests.japan.id, "伪造的钓鱼")[0] == []
    # Nor any request it is no party to, by its own words.
    assert search(requests, requests.mallory.id, "ministry") == ([], 0, None)


def test_pages_and_totals_through_the_index_are_those_of_reading_every_request(requests):
    world = requests.world
    for n in range(5):
        requests.desk.create(Actor(world.own), Draft(
            world.other.name, "information", "intrusion", "urgent", f"Beacon to host {n}"))
    for indexed in (True, False):
        seen, after, pages = [], None, 0
        while True:
            found, total, after = search(requests, world.own.id, "BEACON", indexed=indexed,
                                         limit=2, after=after)
            seen += found
            pages += 1
            assert total == 5
            if after is None:
                break
        assert (len(seen), len(set(seen)), pages) == (5, 5, 3)


def test_the_index_finds_only_the_partys_own_requests(requests, monkeypatch):
    """What others' requests hold costs a party's search nothing it could time: not a
    candidate of its own, nor a bound on them reached (past it, every request is read)."""
    mallory = requests.mallory.id  # party to no request, reading the requests collection
    for text in ("phishing", "straße", "钓鱼邮件", "x-accord-request--", "united"):
        assert candidates(requests, mallory, text) == set(), text
    assert candidates(requests, requests.japan.id, "phishing") == {"street"}
    monkeypatch.setattr(summary_reads, "_MOST_FOUND", 1)
    own = requests.desk.create(Actor(requests.mallory), Draft(
        requests.world.other.name, "information", "intrusion", "urgent",
        "Mallory's phishing", description="")).request
    with requests.world.node.engine.connect() as conn:
        assert list(conn.execute(holding(conn, Sought("phishing"), mallory)).scalars()) \
            == [own.id]
    assert search(requests, mallory, "phishing")[0] == [own.id]


def test_the_search_reads_the_index(requests):
    """A request whose words the index lost is not found by a needle the index serves (which
    is how `accord db check` below finds it); one too short for it reads every request."""
    engine, own = requests.world.node.engine, requests.world.own.id
    with writing(engine) as conn:
        conn.execute(delete(request_words).where(
            request_words.c.request_id == requests.ids["street"]))
    assert search(requests, own, "straße")[0] == []
    assert keys(requests, search(requests, own, "straße", indexed=False)[0]) == {"street"}
    assert set(check(engine)) == {
        f"search words {requests.ids['street']}: missing (the ledger holds it)",
        f"search words of the translations read by {own} of {requests.ids['street']}: "
        "missing (the ledger holds it)",
        f"search words of the translations read by {requests.world.other.id} of "
        f"{requests.ids['street']}: missing (the ledger holds it)"}
    rebuild(engine)
    assert check(engine) == []
    assert keys(requests, search(requests, own, "straße")[0]) == {"street"}


def test_the_check_names_words_no_request_holds_and_a_rebuild_drops_them(requests):
    engine, japan = requests.world.node.engine, requests.japan.id
    with writing(engine) as conn:
        add(conn, [{"request_id": requests.ids["chinese"], "party_id": japan,
                    "text": "伪造的钓鱼"}])
    # A candidate, and no more: what the request holds decides.
    assert candidates(requests, japan, "伪造的钓鱼") == {"chinese"}
    assert search(requests, japan, "伪造的钓鱼")[0] == []
    assert check(engine) == [f"search words of the translations read by {japan} of "
                             f"{requests.ids['chinese']}: not in the ledger"]
    rebuild(engine)
    assert check(engine) == []
    assert candidates(requests, japan, "伪造的钓鱼") == set()


def test_the_index_follows_translations_added_versioned_and_deleted(requests):
    world, engine = requests.world, requests.world.node.engine
    everyone = {world.own.id, world.other.id, requests.japan.id}

    def finders(text: str) -> set[str]:
        return {p for p in requests.everyone if requests.ids["percent"] in search(
            requests, p, text)[0] and requests.ids["percent"] in candidates_of(p, text)}

    def candidates_of(party: str, text: str) -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(holding(conn, Sought(text), party)).scalars())

    assert finders("五折促销") == set()
    made = translate(requests, world.other, "percent", summary="五折促销诱饵")
    assert finders("五折促销") == everyone
    assert translate(requests, world.other, "percent", summary="半价促销诱饵").id == made.id
    assert finders("五折促销") == set()
    assert finders("半价促销") == everyone
    assert check(engine) == []
    assert world.node.objects.delete(requests.desk.collection().id, made.id,
                                     ObjectQuery(versions=frozenset({ALL}))) == 2
    assert finders("半价促销") == set()
    assert check(engine) == []


def test_a_deleted_request_leaves_no_words(requests):
    world, engine = requests.world, requests.world.node.engine
    rid = requests.ids["street"]
    assert world.node.objects.delete(requests.desk.collection().id, rid,
                                     ObjectQuery(versions=frozenset({ALL}))) == 1
    with engine.connect() as conn:
        assert conn.execute(select(request_words.c.party_id).where(
            request_words.c.request_id == rid)).all() == []
    assert check(engine) == []


def test_the_full_text_index_of_words_is_checked_and_rebuilt(requests):
    engine = requests.world.node.engine
    if engine.dialect.name != "sqlite":
        search_index.rebuild(engine)  # a REINDEX of both trigram indexes
        assert keys(requests, search(requests, requests.world.own.id, "straße")[0]) == {
            "street"}
        return
    with engine.connect() as conn:
        assert search_index.fts_apart(conn, "request_words", "word_id") == (0, 0)
    with writing(engine) as conn:
        conn.exec_driver_sql("DELETE FROM request_words_fts")
    with engine.connect() as conn:
        assert search_index.fts_apart(conn, "request_words", "word_id")[0] > 0
    search_index.rebuild(engine)
    with engine.connect() as conn:
        assert search_index.fts_apart(conn, "request_words", "word_id") == (0, 0)
    assert keys(requests, search(requests, requests.world.own.id, "straße")[0]) == {"street"}
