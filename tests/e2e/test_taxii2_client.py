"""The OASIS TAXII 2.1 client (taxii2-client) against a running `accord serve`; httpx where a
client needs what taxii2-client does not expose."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

TAXII = "application/taxii+json;version=2.1"
FIXTURES = Path(__file__).parents[1] / "fixtures"
# OASIS CTI TC examples (reports, sightings, observed data, granular markings) and TLP 2.0.
OASIS_EXAMPLES = sorted((FIXTURES / "oasis").glob("*.json")) + sorted(
    (FIXTURES / "tlp2").glob("*.json")
)
V1, V2, V3 = "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"


def indicator(oid: str | None = None, modified: str = V1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid or f"indicator--{uuid.uuid4()}",
        "created": V1,
        "modified": modified,
        "name": f"C2 server ({modified[:7]})",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": V1,
        **extra,
    }


def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in objects}


@pytest.fixture(scope="module")
def attack(live_node, own_collection):
    return Collection(live_node.collection_url(own_collection), auth=live_node.auth())


@pytest.fixture(scope="module")
def shared(live_node):
    return Collection(live_node.collection_url(live_node.shared_id), auth=live_node.auth())


@pytest.fixture(scope="module")
def posted(attack, attack_objects):
    """The ATT&CK sample, POSTed in one envelope through taxii2-client."""
    return attack.add_objects({"objects": attack_objects})


def test_discovery_names_the_one_api_root(live_node):
    server = Server(live_node.discovery_url, auth=live_node.auth())
    assert server.title
    assert server.default.url == live_node.api_root_url
    assert [root.url for root in server.api_roots] == [live_node.api_root_url]


def test_api_root_declares_taxii_21_and_a_content_limit(live_node):
    root = ApiRoot(live_node.api_root_url, auth=live_node.auth())
    assert root.title
    assert root.versions == [TAXII]
    assert root.max_content_length >= 1024 * 1024


def test_collections_lists_own_collections_with_read_and_write(live_node, own_collection):
    root = ApiRoot(live_node.api_root_url, auth=live_node.auth())
    listed = {c.id: c for c in root.collections}
    assert {own_collection, live_node.shared_id} <= set(listed)
    assert "evidence" in {c.alias for c in root.collections}  # made by `accord init`
    attack = listed[own_collection]
    assert (attack.title, attack.alias) == ("Own data of test_taxii2_client", "test_taxii2_client")
    assert attack.can_read and attack.can_write
    assert attack.media_types == ["application/stix+json;version=2.1"]


def test_add_objects_accepts_every_attack_object(posted, attack_objects):
    assert posted.status == "complete"
    assert posted.total_count == posted.success_count == len(attack_objects)
    assert posted.failure_count == posted.pending_count == 0
    assert {s["id"] for s in posted.successes} == {o["id"] for o in attack_objects}


@pytest.mark.parametrize("path", OASIS_EXAMPLES, ids=lambda path: path.name)
def test_add_objects_accepts_each_oasis_example_and_returns_it_unchanged(shared, path):
    document = json.loads(path.read_text())
    objects = document.get("objects", [document])  # a bundle, or one bare object
    status = shared.add_objects({"objects": objects})
    assert status.failure_count == 0, status.failures
    assert status.success_count == len(objects)
    for sent in objects:
        assert sent in shared.get_object(sent["id"], version="all")["objects"]


def test_status_after_post_is_readable_and_lists_each_failure(live_node, shared):
    good = indicator()
    bad = indicator()
    del bad["pattern"]  # an indicator without its pattern is not STIX 2.1
    status = shared.add_objects({"objects": [good, bad]})
    assert (status.success_count, status.failure_count) == (1, 1)
    again = ApiRoot(live_node.api_root_url, auth=live_node.auth()).get_status(status.id)
    assert again.status == "complete"
    assert (again.total_count, again.success_count, again.failure_count) == (2, 1, 1)
    assert [s["id"] for s in again.successes] == [good["id"]]
    assert [f["id"] for f in again.failures] == [bad["id"]]
    assert "pattern" in again.failures[0]["message"]
    assert shared.get_object(good["id"])["objects"] == [good]


def test_status_of_another_party_is_not_found(live_node, shared):
    status = shared.add_objects({"objects": [indicator()]})
    partner_root = ApiRoot(live_node.api_root_url, auth=live_node.auth(live_node.partner_token))
    with pytest.raises(requests.HTTPError) as error:
        partner_root.get_status(status.id)
    assert error.value.response.status_code == 404


def test_get_objects_returns_each_object_exactly_as_posted(attack, posted, attack_objects):
    got: list[dict[str, Any]] = []
    for envelope in as_pages(attack.get_objects, per_request=1000):
        got += envelope.get("objects", [])
    assert len(got) == len(attack_objects)
    # Including MITRE's x_mitre_* properties, which a STIX store must keep untouched.
    assert by_id(got) == by_id(attack_objects)
    assert any(k.startswith("x_mitre_") for o in got for k in o)


def test_get_objects_filters_by_type(attack, posted, attack_objects):
    sets = attack.get_objects(type="intrusion-set")["objects"]
    assert {o["id"] for o in sets} == {
        o["id"] for o in attack_objects if o["type"] == "intrusion-set"
    }
    software = attack.get_objects(type=["malware", "tool"])["objects"]
    expected = [o for o in attack_objects if o["type"] in ("malware", "tool")]
    assert len(software) == len(expected) and by_id(software) == by_id(expected)


def test_get_objects_filters_by_id(attack, posted, attack_objects):
    wanted = [attack_objects[0]["id"], attack_objects[-1]["id"]]
    got = attack.get_objects(id=wanted)["objects"]
    assert sorted(o["id"] for o in got) == sorted(wanted)
    assert attack.get_objects(id=f"malware--{uuid.uuid4()}") == {"more": False}


def test_version_filter_selects_first_last_all_or_a_timestamp(shared):
    oid = f"indicator--{uuid.uuid4()}"
    shared.add_objects({"objects": [indicator(oid, V2), indicator(oid, V1)]})
    shared.add_objects({"objects": [indicator(oid, V3)]})

    def modified(**filters: Any) -> list[str]:
        return sorted(o["modified"] for o in shared.get_object(oid, **filters)["objects"])

    assert modified() == [V3]  # TAXII 2.1 §3.4.1: the latest version by default
    assert modified(version="last") == [V3]
    assert modified(version="first") == [V1]
    assert modified(version="all") == [V1, V2, V3]
    assert modified(version=V2) == [V2]
    assert modified(version=["first", "last"]) == [V1, V3]
    listed = shared.get_objects(id=oid, version="all")["objects"]
    assert sorted(o["modified"] for o in listed) == [V1, V2, V3]


def test_object_versions_lists_every_version_in_date_added_order(shared):
    oid = f"indicator--{uuid.uuid4()}"
    shared.add_objects({"objects": [indicator(oid, V3), indicator(oid, V1)]})
    shared.add_objects({"objects": [indicator(oid, V2)]})
    listed = shared.object_versions(oid)["versions"]
    # TAXII 2.1 §3.4: results are sorted by date_added; V2 was added last.
    assert sorted(listed[:2]) == [V1, V3] and listed[2] == V2


def test_added_after_returns_only_what_was_added_later(shared):
    earlier, later = indicator(), indicator()
    shared.add_objects({"objects": [earlier]})
    shared.add_objects({"objects": [later]})
    pair = [earlier["id"], later["id"]]
    manifest = by_id(shared.get_manifest(id=pair)["objects"])
    cut = manifest[earlier["id"]]["date_added"]
    assert cut < manifest[later["id"]]["date_added"]
    got = shared.get_objects(id=pair, added_after=cut)["objects"]
    assert [o["id"] for o in got] == [later["id"]]  # TAXII 2.1 §3.4: added_after is exclusive
    assert shared.get_objects(id=pair, added_after=manifest[later["id"]]["date_added"]) == {
        "more": False
    }


def test_paging_with_a_small_limit_returns_every_object_once(attack, posted, attack_objects):
    pages = list(as_pages(attack.get_objects, per_request=50))
    ids = [o["id"] for page in pages for o in page.get("objects", [])]
    assert len(pages) == -(-len(attack_objects) // 50)
    assert all(len(page["objects"]) <= 50 for page in pages)
    assert [page["more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert "next" not in pages[-1]
    assert len(ids) == len(set(ids)) == len(attack_objects)
    assert set(ids) == {o["id"] for o in attack_objects}


def test_paging_by_the_date_added_last_header_misses_nothing(live_node, shared):
    # Read with httpx: the X-TAXII-Date-Added-* headers are not exposed by taxii2-client.
    sent = [indicator() for _ in range(10)]
    shared.add_objects({"objects": sent})
    headers = {"Authorization": f"Bearer {live_node.admin_token}", "Accept": TAXII}
    url = live_node.collection_url(live_node.shared_id) + "objects/"
    ids = ",".join(o["id"] for o in sent)
    seen: list[str] = []
    params = {"match[id]": ids, "limit": "3"}
    while True:
        page = httpx.get(url, headers=headers, params=params)
        seen += [o["id"] for o in page.json().get("objects", [])]
        if not page.json()["more"]:
            break
        params = {**params, "added_after": page.headers["X-TAXII-Date-Added-Last"]}
    assert sorted(seen) == sorted(o["id"] for o in sent)


def test_paging_a_filtered_query_keeps_the_filter(attack, posted, attack_objects):
    pages = list(as_pages(attack.get_objects, per_request=40, type="attack-pattern"))
    got = [o for page in pages for o in page.get("objects", [])]
    expected = [o for o in attack_objects if o["type"] == "attack-pattern"]
    assert len(pages) > 1
    assert len(got) == len(expected) and by_id(got) == by_id(expected)


def test_get_object_returns_the_one_object(attack, posted, attack_objects):
    deep_panda = "intrusion-set--a653431d-6a5e-4600-8ad3-609b5af57064"
    envelope = attack.get_object(deep_panda)
    assert envelope["more"] is False
    assert envelope["objects"] == [by_id(attack_objects)[deep_panda]]


def test_get_object_that_is_not_there_is_404(attack):
    with pytest.raises(requests.HTTPError) as error:
        attack.get_object(f"malware--{uuid.uuid4()}")
    assert error.value.response.status_code == 404


def test_manifest_describes_each_object_version(attack, posted, attack_objects):
    records = [
        r
        for page in as_pages(attack.get_manifest, per_request=200)
        for r in page.get("objects", [])
    ]
    assert len(records) == len(attack_objects)
    originals = by_id(attack_objects)
    for record in records:
        original = originals[record["id"]]
        assert record["version"] == original.get("modified", original.get("created"))
        assert record["media_type"] == "application/stix+json;version=2.1"
        assert record["date_added"].endswith("Z")


def test_delete_object_removes_one_version_or_all(shared):
    oid = f"indicator--{uuid.uuid4()}"
    shared.add_objects({"objects": [indicator(oid, V1), indicator(oid, V2), indicator(oid, V3)]})
    shared.delete_object(oid, version=V3)
    assert shared.object_versions(oid)["versions"] == [V1, V2]
    # The newest survivor is now the object's latest version.
    assert [o["modified"] for o in shared.get_object(oid)["objects"]] == [V2]
    shared.delete_object(oid)
    with pytest.raises(requests.HTTPError) as error:
        shared.get_object(oid)
    assert error.value.response.status_code == 404


def test_http_basic_with_the_token_as_password_authenticates(live_node, own_collection):
    root = ApiRoot(live_node.api_root_url, user="any name", password=live_node.admin_token)
    assert own_collection in {c.id for c in root.collections}
    wrong = ApiRoot(live_node.api_root_url, user="any name", password="accord_not-a-token")
    with pytest.raises(requests.HTTPError) as error:
        wrong.refresh()
    assert error.value.response.status_code == 401


def test_request_without_credentials_is_401(live_node):
    with pytest.raises(requests.HTTPError) as error:
        Server(live_node.discovery_url).refresh()
    assert error.value.response.status_code == 401


def test_second_party_does_not_see_the_first_partys_collection(live_node, own_collection):
    partner = live_node.auth(live_node.partner_token)
    listed = {c.id for c in ApiRoot(live_node.api_root_url, auth=partner).collections}
    assert live_node.shared_id in listed
    assert own_collection not in listed
    hidden = Collection(live_node.collection_url(own_collection), auth=partner)
    with pytest.raises(requests.HTTPError) as error:
        hidden.refresh()
    assert error.value.response.status_code == 404


def test_second_party_gets_404_for_the_objects_of_a_hidden_collection(
    live_node, own_collection, posted
):
    # As if the partner had learnt the collection's id: its objects stay out of reach.
    partner = live_node.auth(live_node.partner_token)
    hidden = Collection(
        live_node.collection_url(own_collection),
        auth=partner,
        collection_info={
            "id": own_collection,
            "title": "guessed",
            "can_read": True,
            "can_write": True,
            "media_types": [],
        },
    )
    for call in (
        hidden.get_objects,
        hidden.get_manifest,
        lambda: hidden.get_object(posted.successes[0]["id"]),
    ):
        with pytest.raises(requests.HTTPError) as error:
            call()
        assert error.value.response.status_code == 404


def test_second_party_reads_and_writes_a_shared_collection(live_node):
    partner = Collection(
        live_node.collection_url(live_node.shared_id), auth=live_node.auth(live_node.partner_token)
    )
    assert partner.can_read and partner.can_write
    sent = indicator()
    assert partner.add_objects({"objects": [sent]}).success_count == 1
    assert partner.get_object(sent["id"])["objects"] == [sent]
