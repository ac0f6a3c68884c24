"""Token look-ups kept for a moment (store.recent_tokens): a withdrawal made in this process
holds at once, one made by another process (another host, the CLI) within HELD_FOR; what
allows anew is seen at once everywhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from accord.node import Node, open_node
from accord.stix.timestamps import format_timestamp
from accord.store.recent_tokens import HELD_FOR
from accord.trust.access import Grant


@pytest.fixture
def elsewhere(world, db_url: str) -> Iterator[Node]:
    """The same database opened again: what another process or host sees and does."""
    other = open_node(db_url)
    try:
        yield other
    finally:
        other.engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


def test_a_token_revoked_here_is_refused_at_once(world):
    d = world.node.directory
    token = d.create_token(world.other, role="reader")
    holder = d.principal(token)
    assert holder is not None
    assert d.principal_and_collection(token, world.evidence.id)[0] == holder
    d.revoke_token(holder.token_id)
    assert d.principal(token) is None
    assert d.principal_and_collection(token, world.evidence.id) == (None, None)


def test_a_token_revoked_elsewhere_is_refused_here_within_held_for(world, elsewhere):
    here = world.node.directory
    clock = here.recent.clock = Clock()
    token = here.create_token(world.other, role="reader")
    holder = here.principal(token)
    assert holder is not None
    elsewhere.directory.revoke_token(holder.token_id)
    assert elsewhere.directory.principal(token) is None
    assert here.principal(token) == holder  # kept from a moment ago
    clock.now += HELD_FOR
    assert here.principal(token) is None


def test_a_grant_withdrawn_elsewhere_is_refused_here_within_held_for(world, elsewhere):
    here = world.node.directory
    clock = here.recent.clock = Clock()
    here.grant(world.evidence.id, world.other, Grant(can_read=True, can_write=False))
    principal, granted = here.principal_and_collection(world.other_token, world.evidence.id)
    assert granted is not None and granted[1].can_read
    elsewhere.directory.grant(world.evidence.id, elsewhere.directory.party(world.other.id),
                              Grant(can_read=False, can_write=False))
    clock.now += HELD_FOR / 2
    assert here.principal_and_collection(world.other_token, world.evidence.id)[1] == granted
    clock.now += HELD_FOR / 2
    assert here.principal_and_collection(world.other_token, world.evidence.id) == (
        principal, None)


def test_what_allows_anew_elsewhere_is_seen_here_at_once(world, elsewhere):
    here = world.node.directory
    here.recent.clock = Clock()  # frozen: nothing kept expires during the test
    assert here.principal_and_collection(world.other_token, world.evidence.id)[1] is None
    elsewhere.directory.grant(world.evidence.id, elsewhere.directory.party(world.other.id),
                              Grant(can_read=True, can_write=False))
    assert here.principal_and_collection(world.other_token, world.evidence.id)[1] is not None
    token = elsewhere.directory.create_token(elsewhere.directory.party(world.other.id))
    assert here.principal(token) is not None


def test_a_kept_token_is_refused_once_it_expires(world):
    d = world.node.directory
    d.recent.held_for = 60.0  # kept far longer than it lives
    d.grant(world.evidence.id, world.other, Grant(True, False))  # a grant that allows: kept
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    token = d.create_token(world.other, expires=format_timestamp(expires))
    assert d.principal(token) is not None
    assert d.principal_and_collection(token, world.evidence.id)[1] is not None
    assert len(d.recent._entries) == 2  # both look-ups kept
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    assert d.principal(token) is None
    assert d.principal_and_collection(token, world.evidence.id) == (None, None)
