"""The store's SQL entitlement filter, the correlation index's audiences and
trust.markings.may_read agree on every combination."""

from __future__ import annotations

import itertools

from accord.correlation.values import guess
from accord.store.correlations import Correlations
from accord.store.query import ALL, ObjectQuery, Reader
from accord.trust.markings import (
    ACCORD_MARKING_EXTENSION,
    MARKING_FOR,
    MarkedVersion,
    Tlp,
    may_read,
)


def test_sql_filter_matches_the_pure_rule(world):
    directory, store = world.node.directory, world.node.objects
    russia = directory.add_party("Russia")
    parties = [world.own.id, world.other.id, russia.id]
    for default in (Tlp.AMBER, Tlp.RED):
        collection = directory.create_collection(
            f"default {default.label}", read=[world.own, world.other, russia],
            write=[world.own], default_tlp=default)
        expected: dict[str, MarkedVersion] = {}
        combos = itertools.product([None, *Tlp], [parties[0], parties[1], None],
                                   parties[:2], [(), (parties[2],)])
        for n, (level, creator, poster, recipients) in enumerate(combos):
            obj = {"type": "indicator", "spec_version": "2.1",
                   "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
                   "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                   "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
                   "valid_from": "2020-01-01T00:00:00Z"}
            if level is not None:
                obj["object_marking_refs"] = [MARKING_FOR[level]]
            if creator is not None:
                obj["created_by_ref"] = creator
            if recipients:
                obj["extensions"] = {ACCORD_MARKING_EXTENSION: {
                    "extension_type": "property-extension", "recipients": list(recipients)}}
            assert store.add(collection.id, [obj], poster_id=poster)[0].added
            expected[obj["id"]] = MarkedVersion(level, creator, poster, frozenset(recipients))
        for reader in parties:
            query = ObjectQuery(versions=frozenset({ALL}), limit=1000,
                                reader=Reader(reader, int(default)))
            seen = {v.id for v in store.page(collection.id, query).items}
            allowed = {oid for oid, v in expected.items() if may_read(reader, v, default)}
            assert seen == allowed
            # The index a look-up seeks holds each version under the parties that may read it.
            found = Correlations(world.node.engine).lookup(reader, guess("203.0.113.9"), 1000)
            assert {m.id for m in found if m.collection_id == collection.id} == allowed
