"""What a party that is not a party to a request may do to its ledger over TAXII: nothing. It
files no translation there, and whatever it posts is refused in the same words whether the
node holds the request or not, so that no refusal tells it the request exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from tests.integration.cooperation.test_ledger_over_taxii import failures, post, taxii

from accord.clock import now as utc_now
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Acknowledgement, Escalation, Request
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.cooperation.translations import Translation
from accord.cooperation.translations import to_stix as translation_to_stix
from accord.store.directory import Party
from accord.store.guidelines import GuidelinesStore
from accord.store.schema import objects
from accord.trust.access import Grant


@dataclass
class Hidden:
    """CNCERT/CC's request to US-CERT, and Mallory CERT, a party of the same node that may
    write the requests collection but is no party to that request."""

    world: Any
    desk: Desk
    request: Request
    mallory: Party
    mallory_token: str

    def unheld(self) -> Request:
        """The same request under an id this node does not hold."""
        return replace(self.request, id=f"x-accord-request--{uuid.uuid4()}")


@pytest.fixture
def hidden(world) -> Hidden:
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")
    desk = Desk(world.node)
    view = desk.create(Actor(world.other), Draft(world.own.name, "information", "intrusion",
                                                 "urgent", "Who runs the C2 server?",
                                                 description="Beacons every minute"))
    mallory = world.node.directory.add_party("Mallory CERT")
    world.node.directory.grant(desk.collection().id, mallory, Grant(can_read=True,
                                                                    can_write=True))
    return Hidden(world, desk, view.request, mallory,
                  world.node.directory.create_token(mallory, role="liaison"))


def translation(request: Request, translator: str) -> dict[str, Any]:
    """`translator`'s translation of the request's summary, marked as the request is (for
    its participants)."""
    made = Translation(f"language-content--{uuid.uuid4()}", request.id, request.id,
                       request.created, translator, utc_now(), utc_now(),
                       {"zh-Hans": {"summary": "谁在运行 C2 服务器？"}})
    return marked(translation_to_stix(made), translator, request)


def stored(world, oid: str) -> list[dict[str, Any]]:
    with world.node.engine.connect() as conn:
        return [orjson.loads(b) for b in conn.execute(
            select(objects.c.body).where(objects.c.id == oid)).scalars()]


def said(status: dict[str, Any], obj: dict[str, Any], request: Request) -> str:
    """The refusal of `obj`, its ids taken out: what tells one request from another."""
    return failures(status)[obj["id"]].replace(obj["id"], "ID").replace(request.id, "REQUEST")


@pytest.mark.parametrize("poster", ["the poster", "a party of the request"])
def test_a_translation_by_no_party_to_the_request_is_refused_and_nothing_of_it_stored(
        hidden, poster):
    """Mallory's translation, addressed to both sides of the request, was stored in its
    ledger, where both read it over TAXII; so was one named as made by a stranger."""
    world, request = hidden.world, hidden.request
    if poster == "the poster":
        token, maker = hidden.mallory_token, hidden.mallory.id
    else:
        token, maker = world.other_token, "identity--00000000-0000-4000-8000-00000000beef"
    forged = translation(request, maker)
    with taxii(world, token) as client:
        status = post(client, [forged])
    assert status.get("success_count", 0) == 0
    assert forged["id"] in failures(status)
    assert stored(world, forged["id"]) == []
    with taxii(world, world.other_token) as client:
        read = client.get("/taxii2/accord/collections/requests/objects/",
                          params={"match[type]": "language-content"})
    assert forged["id"] not in read.text


def test_a_translation_on_a_request_this_node_does_not_hold_is_refused(hidden):
    world = hidden.world
    elsewhere = hidden.unheld()
    forged = translation(elsewhere, world.other.id)
    with taxii(world, world.other_token) as client:
        status = post(client, [forged])
    assert "which this node does not hold" in failures(status)[forged["id"]]
    assert stored(world, forged["id"]) == []


def test_a_party_to_the_request_translates_it_over_taxii_addressed_to_the_others(hidden):
    world, request = hidden.world, hidden.request
    theirs = translation(request, world.own.id)
    to_itself = translation(request, world.own.id)
    del to_itself["extensions"]  # its maker alone would read it
    with taxii(world, world.admin_token) as client:
        status = post(client, [theirs, to_itself])
    assert status["success_count"] == 1 and set(failures(status)) == {to_itself["id"]}
    assert f"not addressed to {world.other.id}" in failures(status)[to_itself["id"]]
    assert len(stored(world, theirs["id"])) == 1


def test_a_non_party_s_translation_is_refused_in_the_words_of_an_act_on_no_request(hidden):
    world = hidden.world
    held = translation(hidden.request, hidden.mallory.id)
    elsewhere = hidden.unheld()
    unheld = translation(elsewhere, hidden.mallory.id)
    with taxii(world, hidden.mallory_token) as client:
        status = post(client, [held, unheld])
    assert said(status, held, hidden.request) == said(status, unheld, elsewhere)
    assert "which this node does not hold" in failures(status)[held["id"]]


def _acts(hidden: Hidden, request: Request) -> list[dict[str, Any]]:
    """Mallory's acknowledgement of the request, and her escalation of it for lateness
    stamped a day ahead of the node's clock, both addressed to its parties."""
    maker = hidden.mallory.id
    ack = Acknowledgement(f"x-accord-acknowledgement--{uuid.uuid4()}", request.id, maker,
                          utc_now())
    early = Escalation(f"x-accord-escalation--{uuid.uuid4()}", request.id, maker,
                       utc_now() + timedelta(days=1), reason="response-overdue", level=1)
    return [marked(to_stix(act), maker, request) for act in (ack, early)]


def test_an_act_of_no_party_is_refused_alike_whether_the_request_is_held_or_not(hidden):
    """Mallory was told "made by the addressee of the request (x-accord-request--…)" for the
    request held, "which this node does not hold" for another id: she learnt which exist."""
    world, held = hidden.world, hidden.request
    elsewhere = hidden.unheld()
    on_held, on_unheld = _acts(hidden, held), _acts(hidden, elsewhere)
    with taxii(world, hidden.mallory_token) as client:
        status = post(client, on_held + on_unheld)
    assert status.get("success_count", 0) == 0
    for one, other in zip(on_held, on_unheld, strict=True):
        assert said(status, one, held) == said(status, other, elsewhere)
        assert "which this node does not hold" in failures(status)[one["id"]]


def test_a_party_to_the_request_is_still_told_whose_act_it_is(hidden):
    world, request = hidden.world, hidden.request
    ack = marked(to_stix(Acknowledgement(f"x-accord-acknowledgement--{uuid.uuid4()}",
                                         request.id, world.other.id, utc_now())),
                 world.other.id, request)
    with taxii(world, world.other_token) as client:
        status = post(client, [ack])
    assert f"made by the addressee of the request they belong to ({request.id})" in (
        failures(status)[ack["id"]])
