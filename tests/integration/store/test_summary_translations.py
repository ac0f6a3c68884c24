"""A search of a party's list finds a request by the words of the translations of its texts
that the party reads on the request's page, on both backends: kept in the transaction that
stores, versions or deletes a translation, rebuilt and checked with the summaries; and by no
words of a translation the party may not read, nor of one no page shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from accord.clock import now
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Request
from accord.cooperation.receipts import marked
from accord.cooperation.summary import Filters
from accord.cooperation.translating import Translations
from accord.cooperation.translations import Translation, to_stix
from accord.store.directory import Party
from accord.store.engine import writing
from accord.store.guidelines import GuidelinesStore
from accord.store.query import ALL, ObjectQuery
from accord.store.summaries import check, rebuild
from accord.store.summary_reads import SummaryReads, Words
from accord.store.summary_tables import request_translations
from accord.trust.access import Grant
from accord.trust.markings import MARKING_FOR, Tlp


@dataclass
class Shared:
    """US-CERT's request to CNCERT/CC in English, shared with JPCERT/CC; and Mallory CERT,
    which reads the requests collection but is no party to the request."""

    world: Any
    desk: Desk
    request: Request
    japan: Party
    mallory: Party

    @property
    def everyone(self) -> tuple[str, ...]:
        world = self.world
        return (world.own.id, world.other.id, self.japan.id, self.mallory.id)


def readers_of_requests(world) -> tuple[Desk, Party, Party]:
    """A desk that needs nothing of a request, and two more parties that may read and write
    the requests collection: JPCERT/CC, which requests are shared with, and Mallory CERT,
    party to none."""
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")
    desk = Desk(world.node)
    japan = world.node.directory.add_party("Japan (JPCERT/CC)")
    mallory = world.node.directory.add_party("Mallory CERT")
    for party in (japan, mallory):
        world.node.directory.grant(desk.collection().id, party, Grant(True, True))
    return desk, japan, mallory


@pytest.fixture
def shared(world) -> Shared:
    desk, japan, mallory = readers_of_requests(world)
    view = desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", "Phishing from a fake ministry",
        description="Mails since Monday", shared_with=(japan.name,)))
    return Shared(world, desk, view.request, japan, mallory)


def in_translations(text: str):  # type: ignore[no-untyped-def]
    def keeps(words: Words) -> bool:
        return any(text in said for said in words.translated)
    return keeps


def finders(shared: Shared, text: str) -> set[str]:
    """The parties whose search of their list finds the request by `text` in a translation."""
    reads = SummaryReads(shared.world.node.engine)
    return {party for party in shared.everyone
            if shared.request.id in {item.summary.request_id for item in reads.searched(
                party, Filters(), now(), in_translations(text)).rows}}


def translate(shared: Shared, actor: Party, **texts: str) -> Translation:
    return Translations(shared.desk).add(Actor(actor), shared.request.id, shared.request.id,
                                         "zh-Hans", texts)


def stored_raw(shared: Shared, maker: str, *, to: list[str] | None = None,
               level: Tlp = Tlp.AMBER_STRICT) -> None:
    """A translation of the request stored without intake's checks (as one stored before
    them), addressed to its participants but `maker`, or to `to`."""
    request = shared.request
    made = Translation(f"language-content--{uuid.uuid4()}", request.id, request.id,
                       request.created, maker, now(), now(),
                       {"zh-Hans": {"summary": "伪造的钓鱼译文"}})
    obj = marked(to_stix(made), maker, request)
    obj["object_marking_refs"] = [MARKING_FOR[level]]
    if to is not None:
        obj["extensions"][next(iter(obj["extensions"]))]["recipients"] = to
    shared.world.node.objects.add(shared.desk.collection().id, [obj], poster_id=maker)


def test_a_translation_is_found_at_once_by_every_party_to_the_request_and_no_other(shared):
    world = shared.world
    assert finders(shared, "钓鱼") == set()
    translate(shared, world.other, summary="冒充部委的钓鱼邮件", description="自周一起的邮件")
    parties = {world.own.id, world.other.id, shared.japan.id}
    assert finders(shared, "钓鱼") == parties
    assert finders(shared, "周一") == parties  # its translated description too
    assert check(world.node.engine) == []


def test_a_new_version_of_a_translation_is_found_by_its_words_alone(shared):
    world = shared.world
    translate(shared, world.other, summary="冒充部委的钓鱼邮件")
    translate(shared, world.other, summary="冒充部委的恶意邮件")
    assert finders(shared, "钓鱼") == set()
    assert finders(shared, "恶意") == {world.own.id, world.other.id, shared.japan.id}
    assert check(world.node.engine) == []


def test_a_deleted_translation_is_found_no_more(shared):
    world = shared.world
    made = translate(shared, world.other, summary="冒充部委的钓鱼邮件")
    assert world.node.objects.delete(shared.desk.collection().id, made.id,
                                     ObjectQuery(versions=frozenset({ALL}))) == 1
    assert finders(shared, "钓鱼") == set()
    assert check(world.node.engine) == []


def test_a_translation_by_no_party_to_the_request_is_found_by_no_one(shared):
    # Addressed to every party to the request, readable by them all: no page shows it.
    stored_raw(shared, shared.mallory.id)
    assert finders(shared, "伪造") == set()
    assert check(shared.world.node.engine) == []


def test_a_translation_is_found_only_by_the_parties_that_may_read_it(shared):
    world = shared.world
    stored_raw(shared, world.other.id, to=[world.own.id], level=Tlp.RED)
    assert finders(shared, "伪造") == {world.own.id, world.other.id}  # not JPCERT/CC
    assert check(world.node.engine) == []


def test_a_party_that_may_no_longer_read_the_requests_finds_nothing_by_translations(shared):
    world = shared.world
    translate(shared, world.own, summary="冒充部委的钓鱼邮件")
    world.node.directory.grant(shared.desk.collection().id, shared.japan, Grant(False, False))
    assert finders(shared, "钓鱼") == {world.own.id, world.other.id}


def test_the_check_names_a_tampered_translation_and_a_rebuild_mends_it(shared):
    world = shared.world
    made = translate(shared, world.other, summary="冒充部委的钓鱼邮件")
    with writing(world.node.engine) as conn:
        conn.execute(update(request_translations)
                     .where(request_translations.c.party_id == shared.japan.id)
                     .values(summary="别的话"))
    assert check(world.node.engine) == [
        f"translation {made.id} in zh-Hans read by {shared.japan.id} of {shared.request.id}: "
        "summary is '别的话', the ledger says '冒充部委的钓鱼邮件'"]
    assert finders(shared, "别的话") == {shared.japan.id}
    rebuild(world.node.engine)
    assert check(world.node.engine) == []
    assert finders(shared, "钓鱼") == {world.own.id, world.other.id, shared.japan.id}
