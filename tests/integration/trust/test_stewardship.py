"""A party may not alter, hide or take over what another party put in a shared collection.

Alpha is the node's own party, Bravo another; both may read and write one collection. The
objects at stake are those the creator rule cannot hold: created by someone who is not a party
of the node (MITRE's ATT&CK), or by nobody (an indicator posted without created_by_ref).
"""

from __future__ import annotations

import orjson
import pytest

from accord.intake import Screened, store
from accord.trust.markings import MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
APT1 = "intrusion-set--6a2e693f-24e5-451a-9f88-b36a108e5662"
INDICATOR = "indicator--00000000-0000-4000-8000-000000000901"


def intrusion_set(description: str, modified: str = "2024-04-01T00:00:00.000Z", **more):
    return {"type": "intrusion-set", "spec_version": "2.1", "id": APT1, "name": "APT1",
            "created_by_ref": MITRE, "created": "2017-05-31T21:31:47.955Z",
            "modified": modified, "description": description, **more}


def indicator(modified: str = "2024-01-01T00:00:00.000Z", **more):
    return {"type": "indicator", "spec_version": "2.1", "id": INDICATOR,
            "created": "2024-01-01T00:00:00.000Z", "modified": modified,
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z", **more}


@pytest.fixture
def shared(world):
    directory = world.node.directory
    collection = directory.create_collection("Alpha and Bravo", alias="ab",
                                             read=[world.own, world.other],
                                             write=[world.own, world.other])
    alpha_analyst = directory.create_token(world.own, role="analyst")
    return collection, {"alpha": alpha_analyst, "bravo": world.other_token,
                        "alpha-admin": world.admin_token}


def post(client, collection, token, objects):
    r = client.post(f"{ROOT}collections/{collection.id}/objects/",
                    content=orjson.dumps({"objects": objects}),
                    headers={"Content-Type": TAXII, "Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text
    return r.json()


def served(client, collection, token, oid, path=""):
    r = client.get(f"{ROOT}collections/{collection.id}/objects/{oid}/{path}",
                   params={} if path else {"match[version]": "all"},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def imported(world, collection, objects):
    """As `accord import` stores them: the node's own party, acting as its operator."""
    return store(world.node.engine, collection, Screened(objects, []),
                 party_id=world.own.id, operator=True)


def refusal(status):
    assert status["failure_count"] == 1, status
    return status["failures"][0]["message"]


def test_another_party_may_not_rewrite_an_imported_object_under_its_creators_name(
        client, world, shared):
    collection, tokens = shared
    imported(world, collection, [intrusion_set("Chinese cyber espionage group (MITRE)")])
    forged = intrusion_set("A group of the Alpha government", "2025-01-01T00:00:00.000Z")
    message = refusal(post(client, collection, tokens["bravo"], [forged]))
    assert "only that party" in message
    versions = served(client, collection, tokens["alpha"], APT1)["objects"]
    assert [v["description"] for v in versions] == ["Chinese cyber espionage group (MITRE)"]


def test_another_party_may_not_hide_an_object_behind_a_stricter_marking(client, world, shared):
    collection, tokens = shared
    imported(world, collection, [intrusion_set("MITRE's text")])
    post(client, collection, tokens["alpha"], [indicator()])
    red = [MARKING_FOR[Tlp.RED]]
    for hidden in (intrusion_set("MITRE's text", "2025-01-01T00:00:00.000Z",
                                 object_marking_refs=red),
                   indicator("2025-01-01T00:00:00.000Z", object_marking_refs=red)):
        refusal(post(client, collection, tokens["bravo"], [hidden]))
    for oid in (APT1, INDICATOR):
        assert served(client, collection, tokens["alpha"], oid)["objects"], oid
        assert served(client, collection, tokens["alpha"], oid, "versions/")["versions"]
    r = client.get("/api/v1/lookup", params={"value": "198.51.100.7"},
                   headers={"Authorization": f"Bearer {tokens['alpha']}"})
    assert r.status_code == 200 and INDICATOR in r.text


def test_another_party_may_not_claim_an_unattributed_object(client, world, shared):
    collection, tokens = shared
    post(client, collection, tokens["alpha"], [indicator()])
    claimed = indicator("2025-01-01T00:00:00.000Z", created_by_ref=world.other.id)
    refusal(post(client, collection, tokens["bravo"], [claimed]))
    # Alpha goes on versioning its indicator, and may give it a creator of its own.
    mine = indicator("2025-02-01T00:00:00.000Z", created_by_ref=world.own.id)
    assert post(client, collection, tokens["alpha"], [mine])["success_count"] == 1


def test_another_party_may_not_slip_in_an_older_version_either(client, world, shared):
    collection, tokens = shared
    post(client, collection, tokens["alpha"], [indicator("2024-06-01T00:00:00.000Z")])
    refusal(post(client, collection, tokens["bravo"], [indicator("2024-01-01T00:00:00.000Z")]))
    assert len(served(client, collection, tokens["alpha"], INDICATOR)["objects"]) == 1


def test_reposting_the_same_version_is_no_change_and_no_refusal(client, world, shared):
    collection, tokens = shared
    post(client, collection, tokens["alpha"], [indicator()])
    status = post(client, collection, tokens["bravo"], [indicator()])
    assert status["success_count"] == 1 and status.get("failure_count", 0) == 0


def test_the_party_that_first_put_an_object_here_may_version_it(client, world, shared):
    collection, tokens = shared
    post(client, collection, tokens["bravo"], [intrusion_set("Bravo's copy of ATT&CK")])
    newer = intrusion_set("ATT&CK v15", "2025-01-01T00:00:00.000Z")
    assert post(client, collection, tokens["bravo"], [newer])["success_count"] == 1
    # Alpha's analyst may not, but the node's operator may (to update ATT&CK here).
    refusal(post(client, collection, tokens["alpha"],
                 [intrusion_set("ATT&CK v16", "2025-06-01T00:00:00.000Z")]))
    update = intrusion_set("ATT&CK v16", "2025-06-01T00:00:00.000Z")
    assert post(client, collection, tokens["alpha-admin"], [update])["success_count"] == 1
    report = imported(world, collection, [intrusion_set("v17", "2025-09-01T00:00:00.000Z")])
    assert len(report.added) == 1


def test_no_party_may_post_another_partys_identity(client, world, shared):
    collection, tokens = shared
    own = {"type": "identity", "spec_version": "2.1", "id": world.own.id,
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
           "name": "Alpha (taken over)", "identity_class": "organization"}
    assert "identity of a party" in refusal(post(client, collection, tokens["bravo"], [own]))
    mine = dict(own, id=world.other.id, name="Bravo")
    assert post(client, collection, tokens["bravo"], [mine])["success_count"] == 1


def test_another_party_may_not_give_its_object_the_id_of_anothers_held_elsewhere(
        client, world, shared):
    """Alpha's indicator sits in the evidence collection, which Bravo cannot read; Bravo knows
    its id (from a request's evidence list) and posts its own object under it in a collection
    both read. It would stand in for Alpha's in the look-up and on the object page."""
    collection, tokens = shared
    alpha = indicator(created_by_ref=world.own.id, object_marking_refs=[MARKING_FOR[Tlp.RED]])
    post(client, world.evidence, tokens["alpha-admin"], [alpha])
    decoy = indicator(created_by_ref=world.other.id, name="Benign test host",
                      object_marking_refs=[MARKING_FOR[Tlp.CLEAR]])
    # The words for a hidden version in the same collection: nothing more is learnt.
    assert refusal(post(client, collection, tokens["bravo"], [decoy])).startswith(
        "this id belongs to an object you may not change")
    assert client.get(f"{ROOT}collections/{collection.id}/objects/{INDICATOR}/",
                      headers={"Authorization": f"Bearer {tokens['alpha']}"}
                      ).status_code == 404
    r = client.get("/api/v1/lookup", params={"value": "198.51.100.7"},
                   headers={"Authorization": f"Bearer {world.admin_token}"})
    assert r.status_code == 200 and "Benign" not in r.text and INDICATOR in r.text


def test_another_party_may_not_take_an_id_held_elsewhere_without_a_creator_and_then_claim_it(
        client, world, shared):
    """The two-step way round the rule above: Bravo's copy with no created_by_ref would have
    been taken into Bravo's collection, and a version 'created by' Bravo would follow it, to
    stand in for Alpha's on the object page, in the look-up and as a request's evidence."""
    collection, tokens = shared
    alpha = indicator(created_by_ref=world.own.id)
    post(client, world.evidence, tokens["alpha-admin"], [alpha])
    anonymous = indicator(modified="2024-02-01T00:00:00.000Z", name="Benign test host")
    assert refusal(post(client, collection, tokens["bravo"], [anonymous])).startswith(
        "this id belongs to an object you may not change")
    claimed = indicator(modified="2024-03-01T00:00:00.000Z", created_by_ref=world.other.id,
                        name="Benign test host")
    assert refusal(post(client, collection, tokens["bravo"], [claimed])).startswith(
        "this id belongs to an object you may not change")
    r = client.get("/api/v1/lookup", params={"value": "198.51.100.7"},
                   headers={"Authorization": f"Bearer {world.admin_token}"})
    assert r.status_code == 200 and "Benign" not in r.text and INDICATOR in r.text
    # An object with no creator anywhere may still be shared in several collections.
    nobodys = indicator(id="indicator--00000000-0000-4000-8000-000000000902")
    post(client, world.evidence, tokens["alpha-admin"], [nobodys])
    assert post(client, collection, tokens["bravo"], [nobodys])["success_count"] == 1



def test_copies_with_no_creator_of_what_is_ones_own_or_of_an_observable_are_not_refused(
        client, world, shared):
    """The rule above must not let a party block the others' plain copies: an observable's id
    is its value (a deterministic UUIDv5), which a creator written on one copy cannot hold;
    and a party may copy its own object without its created_by_ref."""
    import uuid

    collection, tokens = shared
    bravos = world.node.directory.create_collection("Bravo's own", alias="bravo",
                                                    read=[world.other], write=[world.other])
    value = "203.0.113.5"
    address = {"type": "ipv4-addr", "spec_version": "2.1", "value": value,
               "id": "ipv4-addr--" + str(uuid.uuid5(
                   uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"), f'{{"value":"{value}"}}'))}
    assert post(client, bravos, tokens["bravo"], [dict(
        address, created_by_ref=world.other.id)])["success_count"] == 1
    assert post(client, collection, tokens["alpha"], [address])["success_count"] == 1
    mine = indicator(created_by_ref=world.other.id)
    post(client, bravos, tokens["bravo"], [mine])
    copy = {k: v for k, v in mine.items() if k != "created_by_ref"}
    assert post(client, collection, tokens["bravo"], [copy])["success_count"] == 1


def test_the_same_object_by_the_same_creator_may_be_shared_in_another_collection(
        client, world, shared):
    collection, tokens = shared
    imported(world, world.evidence, [intrusion_set("MITRE's text")])
    status = post(client, collection, tokens["bravo"], [intrusion_set("MITRE's text")])
    assert status["success_count"] == 1, status
    mine = indicator(created_by_ref=world.other.id)
    post(client, collection, tokens["bravo"], [mine])
    other = world.node.directory.create_collection("Bravo's own", alias="bravo",
                                                   read=[world.other], write=[world.other])
    assert post(client, other, tokens["bravo"], [mine])["success_count"] == 1


def test_an_object_holds_a_bounded_number_of_versions_in_a_collection(
        client, world, shared, monkeypatch):
    """Thousands of versions of one indicator made each read of it take minutes: past the
    bound its new versions are refused in words, and deleting old ones makes room."""
    from accord.store import objects as objects_module

    monkeypatch.setattr(objects_module, "MOST_VERSIONS", 5)
    collection, tokens = shared
    versions = [indicator(modified=f"2024-01-0{day}T00:00:00.000Z",
                          created_by_ref=world.other.id) for day in range(1, 8)]
    status = post(client, collection, tokens["bravo"], versions)
    assert (status["success_count"], status["failure_count"]) == (5, 2)
    assert {f["version"] for f in status["failures"]} == {
        "2024-01-06T00:00:00.000Z", "2024-01-07T00:00:00.000Z"}
    assert "holds 5 versions in this collection, the most one object may (5)" in status[
        "failures"][0]["message"]
    # The same version again is still no error.
    assert post(client, collection, tokens["bravo"], versions[:1])["success_count"] == 1
    r = client.delete(f"{ROOT}collections/{collection.id}/objects/{INDICATOR}/",
                      params={"match[version]": "first"},
                      headers={"Authorization": f"Bearer {tokens['bravo']}"})
    assert r.status_code == 200
    assert post(client, collection, tokens["bravo"], versions[5:6])["success_count"] == 1
    assert len(served(client, collection, tokens["bravo"], INDICATOR, "versions/")[
        "versions"]) == 5
