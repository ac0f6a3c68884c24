"""The OASIS STIX 2 library's TAXII data store (stix2.TAXIICollectionSource and Sink) against a
running `accord serve`, whose ATT&CK data arrives through `accord import` while it runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stix2
from stix2 import Filter, TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import Collection

DEEP_PANDA = "intrusion-set--a653431d-6a5e-4600-8ad3-609b5af57064"
SAKULA = "malware--96b08451-b27a-4ff6-893f-790e26393a8e"


def as_json(obj: Any) -> dict[str, Any]:
    return dict(json.loads(obj.serialize()))


def parsed(original: dict[str, Any]) -> dict[str, Any]:
    """What stix2 makes of an object read straight from the file (it drops `revoked: false`)."""
    return as_json(stix2.parse(original, allow_custom=True))


@pytest.fixture(scope="module")
def imported(live_node, own_collection, accord, attack_sample):
    """The ATT&CK sample, imported with the CLI into a collection the server is serving."""
    done = accord("import", str(attack_sample), "--collection", own_collection, db=live_node.db)
    assert done.returncode == 0, done.stderr
    return own_collection


@pytest.fixture(scope="module")
def source(live_node, imported):
    collection = Collection(live_node.collection_url(imported), auth=live_node.auth())
    return TAXIICollectionSource(collection)


@pytest.fixture(scope="module")
def shared(live_node):
    return Collection(live_node.collection_url(live_node.shared_id), auth=live_node.auth())


def test_source_get_returns_the_parsed_object_with_its_custom_properties(source, attack_objects):
    original = next(o for o in attack_objects if o["id"] == DEEP_PANDA)
    got = source.get(DEEP_PANDA)
    assert isinstance(got, stix2.v21.IntrusionSet)
    assert got.name == "Deep Panda"
    assert as_json(got) == parsed(original)  # x_mitre_* included
    assert got["x_mitre_domains"] == original["x_mitre_domains"]


def test_source_get_of_an_unknown_id_is_none(source):
    assert source.get("malware--00000000-0000-4000-8000-000000000000") is None


def test_source_query_by_type_returns_every_intrusion_set(source, attack_objects):
    got = source.query([Filter("type", "=", "intrusion-set")])
    expected = {o["id"]: parsed(o) for o in attack_objects if o["type"] == "intrusion-set"}
    assert len(got) == len(expected) == 7
    assert {o.id: as_json(o) for o in got} == expected
    assert all(isinstance(o, stix2.v21.IntrusionSet) for o in got)


def test_source_query_pages_and_combines_server_and_local_filters(
    live_node, imported, attack_objects
):
    collection = Collection(live_node.collection_url(imported), auth=live_node.auth())
    small_pages = TAXIICollectionSource(collection, items_per_page=100)
    got = small_pages.query(
        [Filter("type", "=", "relationship"), Filter("target_ref", "=", SAKULA)]
    )
    expected = {
        o["id"] for o in attack_objects if o["type"] == "relationship" and o["target_ref"] == SAKULA
    }
    assert expected and {o.id for o in got} == expected
    assert DEEP_PANDA in {o.source_ref for o in got}  # "Deep Panda uses Sakula"


def test_sink_adds_indicator_malware_and_relationship_that_read_back_equal(shared):
    indicator = stix2.Indicator(
        name="Sakula C2 domain",
        pattern="[domain-name:value = 'c2.example.com']",
        pattern_type="stix",
        valid_from="2015-01-01T00:00:00Z",
        indicator_types=["malicious-activity"],
    )
    malware = stix2.Malware(
        name="Sakula (variant)", is_family=False, malware_types=["remote-access-trojan"]
    )
    relationship = stix2.Relationship(indicator, "indicates", malware)
    TAXIICollectionSink(shared).add([indicator, malware, relationship])

    source = TAXIICollectionSource(shared)
    for sent in (indicator, malware, relationship):
        got = source.get(sent.id)
        assert type(got) is type(sent)
        assert as_json(got) == as_json(sent)
    related = source.relationships(malware, "indicates", target_only=True)
    assert [r.source_ref for r in related] == [indicator.id]


def test_source_all_versions_returns_each_version_the_sink_added(shared):
    first = stix2.Indicator(
        name="C2 address",
        pattern="[ipv4-addr:value = '203.0.113.9']",
        pattern_type="stix",
        valid_from="2015-05-01T00:00:00Z",
        created="2015-05-01T00:00:00.000Z",
        modified="2015-05-01T00:00:00.000Z",
    )
    second = first.new_version(name="C2 address (confirmed)", modified="2015-06-01T00:00:00.000Z")
    sink = TAXIICollectionSink(shared)
    sink.add(first)
    sink.add(second)

    source = TAXIICollectionSource(shared)
    versions = source.all_versions(first.id)
    assert sorted((str(v.modified), v.name) for v in versions) == [
        ("2015-05-01 00:00:00+00:00", "C2 address"),
        ("2015-06-01 00:00:00+00:00", "C2 address (confirmed)"),
    ]
    assert source.get(first.id).name == "C2 address (confirmed)"  # the latest by default
