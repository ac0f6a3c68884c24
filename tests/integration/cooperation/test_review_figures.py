"""The review read from the figures kept beside the request summaries is the review derived from
the ledgers: for the node and for each party, on varied ledgers (acknowledgements and answers
on time and late, declines, withdrawals, escalations, ratings, backdated acts, exercises,
requests never received, requests overdue now), at several instants; a party that sees a
ledger only in part has it derived from what it sees; a database migrated from before the
figures is reviewed from its ledgers until the migration derives them."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from tests.integration.cooperation.test_desk import EVIDENCE, T0, Clock

from accord.cooperation.arrivals import act_receipt_id
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.guidelines import DEFAULT
from accord.cooperation.ledger import derive
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    OUTCOMES,
    URGENCIES,
    Acknowledgement,
    ActReceipt,
    DeEscalation,
    Entry,
    Escalation,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked, receipt_id
from accord.cooperation.review import review, to_dict
from accord.cooperation.reviewing import review_ledgers
from accord.intake import screen, store
from accord.store.engine import MIGRATIONS, migrate, upgrade_in, writing
from accord.store.review_reads import ReviewReads
from accord.store.summaries import check, mend_in
from accord.trust.access import Grant
from accord.trust.markings import MARKING_FOR, Tlp

H = timedelta(hours=1)
DAY = timedelta(days=1)
# The instants the reviews are compared at: while some requests run on time, and long after,
# when every unmet deadline has passed.
LATER = T0 + 120 * DAY


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def desk(world, clock):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    return Desk(world.node, clock)


class Varied:
    """A node holding varied ledgers, and who may look at them."""

    def __init__(self, world: Any, desk: Desk, clock: Clock) -> None:
        directory = world.node.directory
        self.world, self.desk, self.clock = world, desk, clock
        self.us, self.cn = Actor(world.own), Actor(world.other)
        self.france = Actor(directory.add_party("France"))
        self.russia = Actor(directory.add_party("Russia"))  # a party to none of them
        self.collection = desk.collection()
        desk.admit(self.collection, [p.party.id for p in self.parties])
        self.partial: dict[str, set[str]] = {}  # by party: what it sees only in part

    @property
    def parties(self) -> tuple[Actor, ...]:
        return self.us, self.cn, self.france, self.russia

    def ask(self, summary: str, **more: Any) -> str:
        return self.desk.create(self.us, Draft(
            self.cn.party.name, "information", "intrusion", more.pop("urgency", "urgent"),
            summary, evidence=(EVIDENCE["id"],), **more)).request.id

    def add(self, objs: list[dict[str, Any]], collection_id: str | None = None) -> None:
        """Stored as a peer's objects arrive at sync: no receipts made here."""
        self.world.node.objects.add(collection_id or self.collection.id, objs,
                                    default_tlp=self.collection.default_tlp)


def acted(varied: Varied) -> None:
    """Requests taken through the desk, act by act, as liaison officers would."""
    desk, clock, us, cn = varied.desk, varied.clock, varied.us, varied.cn
    on_time = varied.ask("Answered on time and rated")
    clock.advance(hours=1)
    desk.acknowledge(cn, on_time)
    clock.advance(hours=5)
    desk.respond(cn, on_time, "information-provided", text="A host in AS64500")
    desk.rate(us, on_time, 4)

    late = varied.ask("Acknowledged late, declined", urgency="priority")
    clock.advance(days=3)  # past the two days to acknowledge
    desk.acknowledge(cn, late)
    clock.advance(days=9)  # past the ten days to respond
    desk.respond(cn, late, "declined", reason="Not within our remit")
    desk.rate(us, late, 2)

    withdrawn = varied.ask("Withdrawn after its acknowledgement")
    clock.advance(hours=2)
    desk.acknowledge(cn, withdrawn)
    desk.withdraw(us, withdrawn, "Solved elsewhere")

    escalated = varied.ask("Escalated by hand, then by the watcher", urgency="routine")
    clock.advance(hours=3)
    desk.escalate(us, escalated, note="Nothing for hours")
    desk.de_escalate(us, escalated, "They are on it")
    desk.report(cn, escalated, "Looking at the logs")

    varied.ask("A drill", is_exercise=True)
    shared = varied.ask("France may see this", shared_with=(varied.france.party.name,))
    desk.acknowledge(cn, shared)

    # Acknowledged with a `created` a day early: timed by its arrival, and backdated.
    forged = varied.ask("Acknowledged with a forged date")
    request = desk.view(us, forged).request
    clock.advance(days=2)
    ack = Acknowledgement(f"x-accord-acknowledgement--{uuid.uuid4()}", forged, cn.party.id,
                          clock.now - 2 * DAY)
    report = store(varied.world.node.engine, varied.collection,
                   screen([marked(to_stix(ack), cn.party.id, request)]),
                   party_id=cn.party.id, clock=clock)
    assert [o.id for o in report.added] == [ack.id]
    clock.advance(days=40)  # the routine request's response deadline passes
    assert desk.watch()


def odd(varied: Varied) -> None:
    """Ledgers some party sees only in part, or that parties outside them may read."""
    desk, us, cn = varied.desk, varied.us, varied.cn
    # A rating marked for the requester's eyes alone: China's view has no rating.
    private = varied.ask("Rated in private")
    desk.respond(cn, private, "action-taken", text="Taken down")
    rating = to_stix(Rating(f"x-accord-rating--{uuid.uuid4()}", private, us.party.id,
                            varied.clock.now, response_id=desk.view(us, private).response.id,
                            score=5))
    rating["object_marking_refs"] = [MARKING_FOR[Tlp.RED]]
    varied.add([rating])
    # An acknowledgement held in another collection: the node's view counts it, a party's
    # read of the requests collection does not.
    elsewhere = varied.ask("Acknowledged elsewhere")
    other = desk.view(us, elsewhere).request
    ack = Acknowledgement(f"x-accord-acknowledgement--{uuid.uuid4()}", elsewhere, cn.party.id,
                          varied.clock.now)
    varied.add([marked(to_stix(ack), cn.party.id, other)], varied.world.evidence.id)
    # A request marked GREEN: every party that may read the requests collection sees it.
    green = Request(f"x-accord-request--{uuid.uuid4()}", varied.clock.now - 3 * DAY,
                    cn.party.id, us.party.id, "mitigation", "ddos", "priority", "Open to all",
                    evidence=(EVIDENCE["id"],))
    obj = to_stix(green)
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.GREEN]]
    varied.add([obj, marked(to_stix(_receipt(green, green.created + H)), us.party.id, green)])
    # The parties of the GREEN request see it whole; the others may see it too.
    varied.partial = {us.party.id: {elsewhere}, cn.party.id: {private, elsewhere},
                      varied.france.party.id: {green.id}, varied.russia.party.id: {green.id}}


def _receipt(request: Request, received: Any) -> Receipt:
    deadlines = DEFAULT.deadlines[request.urgency]
    return Receipt(receipt_id(request.id), request.id, request.addressee, received,
                   received=received, acknowledge_by=received + deadlines.acknowledge,
                   respond_by=received + deadlines.respond)


def _arrived(rnd: random.Random, act: Entry, receiver: str) -> list[Entry]:
    """The act, and sometimes the receipt of its arrival a minute to ten hours after its
    `created` (over five minutes: backdated)."""
    if rnd.random() >= 0.3:
        return [act]
    arrived = act.time + timedelta(minutes=rnd.choice([1, 5, 60, 600]))
    return [act, ActReceipt(act_receipt_id(act.id), act.request_id, receiver, arrived,
                            act_id=act.id, received=arrived)]


def stored(varied: Varied, count: int, seed: int) -> None:
    """`count` ledgers as a peer's sync would bring them, drawn at random: every kind of
    entry, on time and late, some acts stamped long before they arrived, some requests never
    received, some acts after a withdrawal."""
    rnd = random.Random(seed)
    us, cn, france = varied.us.party.id, varied.cn.party.id, varied.france.party.id

    def new_id(kind: str) -> str:
        return f"x-accord-{kind}--{uuid.UUID(int=rnd.getrandbits(128), version=4)}"

    def at(start: Any, span: timedelta) -> Any:
        return start + span * rnd.uniform(0.05, 1.6)

    objs: list[dict[str, Any]] = []
    for n in range(count):
        requester, addressee = rnd.choice([(us, cn), (cn, us)])
        request = Request(new_id("request"), T0 + DAY * rnd.uniform(-20, 70), requester,
                          addressee, rnd.choice(KINDS), rnd.choice(CATEGORIES),
                          rnd.choice(URGENCIES), f"Stored request {n}",
                          evidence=(EVIDENCE["id"],),
                          shared_with=(france,) if rnd.random() < 0.2 else (),
                          is_exercise=rnd.random() < 0.15)
        objs.append(marked(to_stix(request), requester, request))
        if rnd.random() < 0.1:
            continue  # never received
        receipt = _receipt(request, request.created + timedelta(minutes=rnd.randint(1, 900)))
        entries: list[Entry] = [receipt]
        received = receipt.received
        acknowledge, respond = receipt.acknowledge_by - received, receipt.respond_by - received

        if rnd.random() < 0.8:
            acknowledged = (receipt.acknowledge_by if rnd.random() < 0.1
                            else at(received, acknowledge))
            entries += _arrived(rnd, Acknowledgement(new_id("acknowledgement"), request.id,
                                                     addressee, acknowledged), requester)
        if rnd.random() < 0.3:
            entries += _arrived(rnd, StatusReport(new_id("status-report"), request.id, addressee,
                                                  at(received, respond), text="Working on it"),
                                requester)
        response = None
        if rnd.random() < 0.6:
            response = Response(new_id("response"), request.id, addressee,
                                at(received, respond), outcome=rnd.choice(OUTCOMES),
                                reason="Because")
            entries += _arrived(rnd, response, requester)
            for _ in range(rnd.choice([0, 1, 1, 2])):  # the latest rating counts
                entries.append(Rating(new_id("rating"), request.id, requester,
                                      response.time + DAY * rnd.uniform(0, 5),
                                      response_id=response.id, score=rnd.randint(1, 5)))
        for _ in range(rnd.choice([0, 0, 1, 2])):
            escalation = Escalation(new_id("escalation"), request.id,
                                    rnd.choice([requester, addressee]), at(received, respond),
                                    reason=rnd.choice(ESCALATION_REASONS))
            entries.append(escalation)
            if rnd.random() < 0.4:
                entries.append(DeEscalation(new_id("de-escalation"), request.id, addressee,
                                            escalation.time + H,
                                            escalation_id=escalation.id, reason="In hand"))
        if response is None and rnd.random() < 0.3:
            withdrawal = Withdrawal(new_id("withdrawal"), request.id, requester,
                                    at(received, respond))
            entries += _arrived(rnd, withdrawal, addressee)
            # A response after the withdrawal does not count.
            entries.append(Response(new_id("response"), request.id, addressee,
                                    withdrawal.time + H, outcome="information-provided"))
        objs += [marked(to_stix(e), e.party, request) for e in entries]
    varied.add(objs)


@pytest.fixture
def varied(world, desk, clock):
    node = Varied(world, desk, clock)
    acted(node)
    odd(node)
    stored(node, 60, seed=2015)
    return node


def reference(varied: Varied, actor: Actor | None, start: Any, end: Any,
              pair: tuple[str, str] | None = None) -> dict[str, Any]:
    """The review as the ledgers give it: every ledger the actor may see, derived."""
    now = varied.clock.now
    ledgers = [ledger for ledger in varied.desk.ledgers(actor, whole=False)
               if pair is None or {ledger.request.requester, ledger.request.addressee}
               == set(pair)]
    return to_dict(review([derive(ledger, now) for ledger in ledgers], start=start, end=end,
                          now=now, names=varied.world.node.directory.names()))


def reviewed(varied: Varied, actor: Actor | None, start: Any, end: Any,
             pair: tuple[str, str] | None = None) -> dict[str, Any]:
    return to_dict(review_ledgers(varied.desk, start, end, actor=actor, pair=pair,
                                  names=varied.world.node.directory.names()))


def periods(varied: Varied) -> list[tuple[Any, Any]]:
    """A period holding them all, one cutting through them, and one whose bounds are
    instants requests were received at (the first in the period, the second not)."""
    counted = sorted({view.received or view.request.created for view in (
        derive(ledger, T0) for ledger in varied.desk.ledgers(None, whole=False))})
    return [(T0 - 60 * DAY, T0 + 200 * DAY), (T0 + 5 * DAY, T0 + 35 * DAY),
            (counted[10], counted[-10])]


def test_the_review_from_the_figures_is_the_review_from_the_ledgers(varied, monkeypatch):
    engine = varied.world.node.engine
    reads = ReviewReads(engine)
    assert check(engine) == [] and reads.is_derived()
    assert {p.party.id: reads.seen_in_part(p.party.id) for p in varied.parties} == \
        varied.partial
    read: list[tuple[str | None, tuple[str, ...]]] = []
    ledgers = Desk.ledgers

    def spied(desk: Desk, actor: Actor | None, request_ids: Any = None, **more: Any) -> Any:
        read.append((None if actor is None else actor.party.id, tuple(request_ids or ())))
        return ledgers(desk, actor, request_ids, **more)

    pair = (varied.us.party.id, varied.cn.party.id)
    for now in (varied.clock.now, LATER):
        varied.clock.now = now
        for start, end in periods(varied):
            for actor in (None, *varied.parties):
                for between in (None, pair):
                    expected = reference(varied, actor, start, end, between)
                    monkeypatch.setattr(Desk, "ledgers", spied)
                    assert reviewed(varied, actor, start, end, between) == expected
                    monkeypatch.setattr(Desk, "ledgers", ledgers)
                    # Only the ledgers the party sees in part are read, and the node's none.
                    party = None if actor is None else actor.party.id
                    assert {i for who, ids in read for i in ids if who == party} <= \
                        varied.partial.get(party or "", set())
                    assert all(who is not None for who, _ in read)
                    read.clear()

    # The ledgers are as varied as promised.
    whole = reference(varied, None, T0 - 60 * DAY, T0 + 200 * DAY)
    figures = [*whole["directions"].values(), *whole["exercises"].values()]
    assert whole["exercises"] and len(whole["directions"]) == 2
    for name in ("acknowledged_on_time", "answered_on_time", "withdrawn", "escalations",
                 "ratings", "backdated_acts", "open_now", "overdue_now"):
        assert sum(f[name] for f in figures) > 0, name
    assert any(f["acknowledged"] > f["acknowledged_on_time"] for f in figures)
    assert any(f["requests"] > f["acknowledged"] for f in figures)
    assert sum(f["outcomes"].get("declined", 0) for f in figures) > 0
    varied.clock.now = T0 + 8 * DAY  # some requests still run within their deadlines
    early = reference(varied, None, T0 - 60 * DAY, T0 + 200 * DAY)
    assert sum(f["open_now"] - f["overdue_now"]
               for f in [*early["directions"].values(), *early["exercises"].values()]) > 0


def test_a_party_that_may_not_read_the_requests_collection_reviews_nothing(varied):
    varied.world.node.directory.grant(varied.collection.id, varied.cn.party, Grant(False, True))
    start, end = T0 - 60 * DAY, T0 + 200 * DAY
    assert reviewed(varied, varied.cn, start, end) == reference(varied, varied.cn, start, end)
    assert reviewed(varied, varied.cn, start, end)["directions"] == {}


def test_a_database_from_before_the_figures_is_reviewed_from_its_ledgers_until_migrated(
        varied):
    engine = varied.world.node.engine
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")  # a node from before the figures
        upgrade_in(connection, "0020")  # their migration alone: figures not derived yet
    reads = ReviewReads(engine)
    assert not reads.is_derived()
    start, end = T0 - 60 * DAY, T0 + 200 * DAY
    for actor in (None, varied.us, varied.cn):
        assert reviewed(varied, actor, start, end) == reference(varied, actor, start, end)
    with writing(engine) as connection:
        # The migrations since, as the node's code derives into their tables (0040's
        # translations), the figures still not derived.
        upgrade_in(connection, "head")
        assert mend_in(connection) > 0
    assert reads.is_derived() and check(engine) == []
    for actor in (None, varied.us, varied.cn):
        assert reviewed(varied, actor, start, end) == reference(varied, actor, start, end)

    # As `accord db migrate` runs it: the migrations, then the figures derived.
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")
    migrate(engine)
    assert reads.is_derived() and check(engine) == []


def test_the_check_finds_figures_that_differ_from_the_ledger(varied):
    from sqlalchemy import update

    from accord.store.summary_tables import request_figures, request_readers

    engine = varied.world.node.engine
    with writing(engine) as conn:
        conn.execute(update(request_figures).values(rating=None))
        conn.execute(update(request_readers).where(
            request_readers.c.party_id == varied.cn.party.id).values(sees_ledger=True))
    problems = check(engine)
    assert any(p.startswith("review figures ") and ": rating is None, the ledger says "
               in p for p in problems)
    assert any(p.startswith(f"reader {varied.cn.party.id} of ") and "sees_ledger is True"
               in p for p in problems)

