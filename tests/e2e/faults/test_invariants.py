"""The checks the suite relies on see what they look for: a version missing one of its rows,
two versions marked latest, an object stored but not recorded, or recorded twice."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, func, select, text, update
from tests.e2e.faults.invariants import problems
from tests.e2e.faults.stix_data import mixed

from accord.intake import screen, store
from accord.node import open_node
from accord.store.audit_log import AuditQuery
from accord.store.engine import writing
from accord.store.schema import objects, observables, recipients, sightings


@pytest.fixture
def stored(site):  # type: ignore[no-untyped-def]
    node = open_node(site.db)
    shared = node.directory.collection(site.shared_id)
    store(node.engine, shared, screen(mixed(random.Random(7), 20, site.partner_id)),
          party_id=site.own_id, operator=True)
    assert problems(site.db, command=False) == []
    yield node
    node.engine.dispose()


def _damage(node, db: str, statement) -> list[str]:  # type: ignore[no-untyped-def]
    with writing(node.engine) as conn:
        conn.execute(statement)
    return problems(db, command=False)


@pytest.mark.parametrize(("statement", "words"), [
    (delete(observables).where(  # the rows of one indexed version (only newest ones are)
        observables.c.seq == select(func.min(observables.c.seq)).scalar_subquery()),
     "correlation rows"),
    (delete(recipients), "recipient rows"),
    (delete(sightings), "sighting row"),
    (update(objects).values(is_latest=True), "marked latest"),
    (update(objects).where(objects.c.seq == 2).values(tlp=4), "stored TLP"),
    (delete(objects).where(objects.c.seq == 3), "recorded as added"),
    (text("UPDATE audit SET object_ids = '[]' WHERE seq = (SELECT max(seq) FROM audit)"),
     "audit"),
])
def test_each_kind_of_damage_is_seen(site, stored, statement, words):
    found = _damage(stored, site.db, statement)
    assert any(words in problem for problem in found), found


def test_an_object_recorded_twice_is_seen(site, stored):
    [last] = stored.audit.query(AuditQuery(action="objects.import", limit=1))
    stored.audit.append([last.event])  # the same import, recorded again
    found = problems(site.db, command=False)
    assert any("recorded as added" in problem for problem in found), found
