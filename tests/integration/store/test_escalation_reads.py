"""The hotline's requests come from indexes: for a small node, the very requests with
escalations that deriving every ledger finds; past the caps, those escalated most recently; and
never a request the party does not take part in or may not read."""

from __future__ import annotations

import pytest
from tests.integration.cooperation.test_desk import T0, Clock
from tests.integration.cooperation.test_summaries import EVIDENCE

from accord.cooperation.desk import Actor, Desk, Draft
from accord.store.escalation_reads import EscalationReads
from accord.trust.access import Grant


@pytest.fixture
def made(world):
    return escalations_made(world, Clock(T0))


def ask(desk, clock, sender, addressee, summary, **more):
    clock.advance(minutes=1)
    return desk.create(Actor(sender), Draft(addressee.name, "information", "intrusion",
                                            "urgent", summary, evidence=(EVIDENCE["id"],),
                                            **more)).request.id


def escalate(desk, clock, party, request_id):
    clock.advance(minutes=1)
    desk.escalate(Actor(party), request_id, "manual", "stalled")


def escalations_made(world, clock):
    """Between the two parties: requests never escalated, escalated and still open, ended by
    hand, ended by an answer, escalated twice (one ended, one open); and one the United States
    escalated with Russia, which China does not take part in."""
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    desk = Desk(world.node, clock)
    us, cn = world.own, world.other
    russia = world.node.directory.add_party("Russia")
    desk.admit(desk.collection(), [russia.id])  # it may read the collection, not the requests
    quiet = ask(desk, clock, us, cn, "Never escalated")
    open_ = [ask(desk, clock, us, cn, f"Open {n}") for n in range(3)]
    by_hand = ask(desk, clock, us, cn, "Ended by hand")
    answered = ask(desk, clock, cn, us, "Ended by an answer")
    twice = ask(desk, clock, us, cn, "Escalated twice")
    theirs = ask(desk, clock, us, russia, "Between the United States and Russia")
    for request_id in (*open_, by_hand, answered, twice, theirs):
        escalate(desk, clock, us, request_id)
    clock.advance(minutes=1)
    desk.de_escalate(Actor(us), by_hand, "They called back")
    clock.advance(minutes=1)
    desk.respond(Actor(us), answered, "information-provided", "Done")
    desk.de_escalate(Actor(us), twice, "Agreed on the phone")
    escalate(desk, clock, cn, twice)
    return {"quiet": quiet, "open": open_, "by_hand": by_hand, "answered": answered,
            "twice": twice, "theirs": theirs, "russia": russia, "desk": desk}


def as_before(desk, party):
    """What the hotline page showed before it read indexes: every ledger the party may see,
    derived, keeping those with escalations (open: any of them open)."""
    views = [v for v in desk.search(Actor(party)) if v.escalations]
    return ({v.request.id for v in views if any(e.is_open for e in v.escalations)},
            {v.request.id for v in views if not any(e.is_open for e in v.escalations)})


def test_a_small_node_gives_the_requests_that_deriving_every_ledger_gives(
        world, made):
    desk = made["desk"]
    reads = EscalationReads(world.node.engine)
    for party in (world.own, world.other, made["russia"]):
        found = reads.escalated(party.id, most_open=500, most_closed=50)
        assert (set(found.open), set(found.closed)) == as_before(desk, party)
        assert found.open_total == len(found.open)
    china = reads.escalated(world.other.id, most_open=500, most_closed=50)
    assert set(china.open) == {*made["open"], made["twice"]}
    assert china.closed == [made["answered"], made["by_hand"]]  # newest escalation first
    assert made["quiet"] not in china.open + china.closed


def test_past_the_caps_the_requests_escalated_most_recently_and_how_many_are_open(
        world, made):
    found = EscalationReads(world.node.engine).escalated(world.other.id, most_open=2,
                                                         most_closed=1)
    assert found.open == [made["twice"], made["open"][2]]
    assert found.open_total == 4
    assert found.closed == [made["answered"]]


def test_a_party_never_finds_escalations_of_requests_it_does_not_take_part_in(
        world, made):
    desk = made["desk"]
    reads = EscalationReads(world.node.engine)
    russia = reads.escalated(made["russia"].id, most_open=500, most_closed=50)
    assert (russia.open, russia.open_total, russia.closed) == ([made["theirs"]], 1, [])
    china = reads.escalated(world.other.id, most_open=500, most_closed=50)
    assert made["theirs"] not in china.open + china.closed
    # A party that may no longer read the requests collection finds nothing, not its own.
    world.node.directory.grant(desk.collection().id, world.other, Grant(False, True))
    nothing = reads.escalated(world.other.id, most_open=500, most_closed=50)
    assert (nothing.open, nothing.open_total, nothing.closed) == ([], 0, [])


def test_the_node_sees_the_requests_escalated_most_recently_first(world, made):
    """`accord hotline log` reads these: every escalated request of the node, latest escalation
    first (a request escalated again counts from its latest), never one without."""
    reads = EscalationReads(world.node.engine)
    everything, total = reads.escalated_lately(100)
    # Escalated in this order: the three open, by hand, answered, twice, theirs; twice again.
    assert everything == [made["twice"], made["theirs"], made["answered"], made["by_hand"],
                          *reversed(made["open"])]
    assert total == 7 and made["quiet"] not in everything
    assert reads.escalated_lately(2) == ([made["twice"], made["theirs"]], 7)
