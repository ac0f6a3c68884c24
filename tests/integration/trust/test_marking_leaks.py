"""TLP on every TAXII read path: three parties, every marking, no leak of content or existence."""

from __future__ import annotations

import orjson
import pytest

from accord.trust.access import Grant
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


def indicator(n: int, creator: str, level: Tlp | None, recipients=(), modified=None):
    obj = {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}", "created_by_ref": creator,
        "created": "2020-01-01T00:00:00.000Z", "modified": modified or "2020-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '203.0.113.{n}']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z",
    }
    if level is not None:
        obj["object_marking_refs"] = [MARKING_FOR[level]]
    if recipients:
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {
            "extension_type": "property-extension", "recipients": list(recipients)}}
    return obj


@pytest.fixture
def three(world, client):
    """US (the node) shares a collection with China and Russia; each posts as itself."""
    directory = world.node.directory
    russia = directory.add_party("Russia (GOV-CERT.RU)")
    shared = directory.create_collection("Shared", read=[world.own, world.other, russia],
                                         write=[world.own, world.other, russia])
    tokens = {"us": world.admin_token, "cn": world.other_token,
              "ru": directory.create_token(russia, role="analyst")}
    ids = {"us": world.own.id, "cn": world.other.id, "ru": russia.id}
    return shared, tokens, ids


def as_party(client, token):
    return {"Authorization": f"Bearer {token}"}


def post(client, collection, token, objects):
    r = client.post(f"{ROOT}collections/{collection.id}/objects/",
                    content=orjson.dumps({"objects": objects}),
                    headers={"Content-Type": TAXII, **as_party(client, token)})
    assert r.status_code == 202, r.text
    return r.json()


def visible_ids(client, collection, token, path="objects/", **params):
    r = client.get(f"{ROOT}collections/{collection.id}/{path}", params=params,
                   headers=as_party(client, token))
    assert r.status_code == 200, r.text
    return {o["id"] for o in r.json().get("objects", [])}


def test_each_level_reaches_exactly_the_parties_entitled(client, three):
    shared, tokens, ids = three
    objects = {
        "clear": indicator(1, ids["us"], Tlp.CLEAR),
        "green": indicator(2, ids["us"], Tlp.GREEN),
        "amber": indicator(3, ids["us"], Tlp.AMBER),
        "strict": indicator(4, ids["us"], Tlp.AMBER_STRICT, recipients=[ids["cn"]]),
        "red": indicator(5, ids["us"], Tlp.RED, recipients=[ids["cn"]]),
        "red-nobody": indicator(6, ids["us"], Tlp.RED),
    }
    status = post(client, shared, tokens["us"], list(objects.values()))
    assert status["success_count"] == 6
    expected = {
        "us": set(objects),
        "cn": {"clear", "green", "amber", "strict", "red"},
        "ru": {"clear", "green", "amber"},
    }
    for party, names in expected.items():
        want = {objects[n]["id"] for n in names}
        assert visible_ids(client, shared, tokens[party]) == want, party
        assert visible_ids(client, shared, tokens[party], "manifest/") == want, party


def test_a_hidden_object_is_404_everywhere_like_one_that_does_not_exist(client, three):
    shared, tokens, ids = three
    red = indicator(7, ids["us"], Tlp.RED, recipients=[ids["cn"]])
    post(client, shared, tokens["us"], [red])
    base = f"{ROOT}collections/{shared.id}/objects/"
    missing = "indicator--00000000-0000-4000-8000-999999999999"
    ru = as_party(client, tokens["ru"])
    for oid in (red["id"], missing):
        for path in (f"{oid}/", f"{oid}/versions/"):
            r = client.get(base + path, headers=ru)
            assert r.status_code == 404
            assert r.json()["description"].replace(oid, "ID") == \
                f"no object 'ID' in collection {shared.id}"
        assert client.delete(base + f"{oid}/", headers=ru).status_code == 404
    assert visible_ids(client, shared, tokens["ru"], **{"match[id]": red["id"]}) == set()
    # and the object survived Russia's delete attempt
    assert client.get(base + f"{red['id']}/", headers=as_party(client, tokens["cn"])).json()


def test_paging_headers_and_counts_reflect_only_what_the_reader_may_see(client, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(10, ids["us"], Tlp.GREEN)])
    post(client, shared, tokens["us"], [indicator(11, ids["us"], Tlp.RED)])
    r = client.get(f"{ROOT}collections/{shared.id}/objects/",
                   headers=as_party(client, tokens["ru"]), params={"limit": 1})
    body = r.json()
    assert [o["id"] for o in body["objects"]] == [indicator(10, ids["us"], None)["id"]]
    assert body["more"] is False and "next" not in body
    assert r.headers["X-TAXII-Date-Added-First"] == r.headers["X-TAXII-Date-Added-Last"]


def test_unmarked_objects_take_the_collections_default(client, world, three):
    _, tokens, ids = three
    directory = world.node.directory
    russia = directory.party(ids["ru"])
    strict = directory.create_collection("Red by default", read=[world.own, world.other, russia],
                                         write=[world.own], default_tlp=Tlp.RED)
    post(client, strict, tokens["us"], [indicator(20, ids["us"], None)])
    assert visible_ids(client, strict, tokens["us"]) == {indicator(20, "", None)["id"]}
    assert visible_ids(client, strict, tokens["ru"]) == set()
    assert visible_ids(client, strict, tokens["cn"]) == set()


def test_the_poster_of_an_object_always_sees_it(client, three):
    shared, tokens, ids = three
    mine = indicator(30, ids["ru"], Tlp.RED)
    post(client, shared, tokens["ru"], [mine])
    assert visible_ids(client, shared, tokens["ru"]) == {mine["id"]}
    assert visible_ids(client, shared, tokens["cn"]) == set()


def test_only_the_creator_may_loosen_a_marking(client, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(40, ids["us"], Tlp.RED, recipients=[ids["cn"]])])
    loosened = indicator(40, ids["us"], Tlp.CLEAR, modified="2021-01-01T00:00:00.000Z")
    refused = post(client, shared, tokens["cn"], [loosened])
    assert refused["failure_count"] == 1  # China may not speak as the United States
    assert "posts objects only as itself" in refused["failures"][0]["message"]
    assert visible_ids(client, shared, tokens["ru"]) == set()
    own_claim = dict(loosened, created_by_ref=ids["cn"])
    refused = post(client, shared, tokens["cn"], [own_claim])
    assert "only its creator may version it" in refused["failures"][0]["message"]
    by_creator = indicator(40, ids["us"], Tlp.CLEAR, modified="2022-01-01T00:00:00.000Z")
    assert post(client, shared, tokens["us"], [by_creator])["success_count"] == 1
    assert visible_ids(client, shared, tokens["ru"]) == {by_creator["id"]}


def test_a_party_without_read_permission_sees_nothing_whatever_the_marking(client, world, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(50, ids["us"], Tlp.CLEAR)])
    world.node.directory.grant(shared.id, world.node.directory.party(ids["ru"]),
                               Grant(False, False))
    r = client.get(f"{ROOT}collections/{shared.id}/objects/",
                   headers=as_party(client, tokens["ru"]))
    assert r.status_code == 404


def test_tightening_the_newest_version_hides_the_older_ones_too(client, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(60, ids["us"], Tlp.GREEN)])
    post(client, shared, tokens["us"], [indicator(60, ids["us"], Tlp.RED,
                                                  modified="2021-01-01T00:00:00.000Z")])
    oid = indicator(60, ids["us"], None)["id"]
    for params in ({}, {"match[version]": "all"}, {"match[version]": "first"},
                   {"match[version]": "2020-01-01T00:00:00.000Z"}):
        assert visible_ids(client, shared, tokens["ru"], **params) == set(), params
    r = client.get(f"{ROOT}collections/{shared.id}/objects/{oid}/versions/",
                   headers=as_party(client, tokens["ru"]))
    assert r.status_code == 404
    assert visible_ids(client, shared, tokens["us"], **{"match[version]": "all"}) == {oid}


def test_the_first_version_is_the_first_the_reader_may_see(client, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(62, ids["us"], Tlp.RED)])
    loosened = indicator(62, ids["us"], Tlp.GREEN, modified="2021-01-01T00:00:00.000Z")
    post(client, shared, tokens["us"], [loosened])
    r = client.get(f"{ROOT}collections/{shared.id}/objects/",
                   params={"match[version]": "first"}, headers=as_party(client, tokens["ru"]))
    assert [o["modified"] for o in r.json()["objects"]] == [loosened["modified"]]
    mine = client.get(f"{ROOT}collections/{shared.id}/objects/",
                      params={"match[version]": "first"}, headers=as_party(client, tokens["us"]))
    assert [o["modified"] for o in mine.json()["objects"]] == ["2020-01-01T00:00:00.000Z"]


def test_a_party_cannot_hijack_or_probe_an_object_it_may_not_see(client, three):
    shared, tokens, ids = three
    secret = indicator(61, ids["us"], Tlp.RED, recipients=[ids["cn"]])
    post(client, shared, tokens["us"], [secret])
    probes = [
        secret,  # the same version again
        indicator(61, ids["ru"], Tlp.RED, modified="2021-01-01T00:00:00.000Z"),  # newer, own
        indicator(61, ids["us"], Tlp.CLEAR, modified="2021-01-01T00:00:00.000Z"),  # loosened
    ]
    for probe in probes:
        status = post(client, shared, tokens["ru"], [probe])
        assert status["failure_count"] == 1
        # Constant answers, which say nothing of the hidden object or its timestamps.
        assert status["failures"][0]["message"] in {
            "this id belongs to an object you may not change [refused]",
            "created_by_ref names another party; a party posts objects only as itself "
            "[not-your-identity]"}
    # the creator still sees its object as it was
    assert visible_ids(client, shared, tokens["us"]) == {secret["id"]}
    assert visible_ids(client, shared, tokens["cn"]) == {secret["id"]}


def test_a_new_version_must_keep_its_creator(client, three):
    shared, tokens, ids = three
    post(client, shared, tokens["us"], [indicator(62, ids["us"], Tlp.AMBER)])
    status = post(client, shared, tokens["cn"],
                  [indicator(62, ids["cn"], Tlp.AMBER, modified="2021-01-01T00:00:00.000Z")])
    assert status["failure_count"] == 1 and "created_by_ref" in status["failures"][0]["message"]


def test_a_write_only_party_learns_nothing_of_what_is_there(client, world, three):
    shared, tokens, ids = three
    drop_box = world.node.directory.create_collection("Drop box", read=[world.own],
                                                      write=[world.own, world.other])
    mine = indicator(70, ids["us"], Tlp.GREEN)
    post(client, drop_box, tokens["us"], [mine])
    for probe in (dict(mine, created_by_ref=ids["cn"]),
                  dict(mine, created_by_ref=ids["cn"], modified="2021-01-01T00:00:00.000Z")):
        status = post(client, drop_box, tokens["cn"], [probe])
        assert status["failures"][0]["message"] == (
            "this id belongs to an object you may not change [refused]")
    # Another party's exact copy says nothing either; its own, sent again (a retry after a
    # timeout), is a success (TAXII 2.1 §5.5: an exact duplicate is no error).
    assert post(client, drop_box, tokens["cn"], [mine])["failure_count"] == 1
    own = indicator(71, ids["cn"], Tlp.GREEN)
    for _ in range(2):
        status = post(client, drop_box, tokens["cn"], [own])
        assert status["success_count"] == 1, status
    assert status["successes"][0]["message"] == "already stored"


def test_an_admin_of_another_party_may_not_read_the_audit_trail(client, world):
    foreign_admin = world.node.directory.create_token(world.other, role="admin")
    r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {foreign_admin}"})
    assert r.status_code == 403


def test_a_party_may_not_delete_versions_it_neither_posted_nor_created(client, world, three):
    shared, tokens, ids = three
    world.node.directory.grant(shared.id, world.other, Grant(True, True))
    post(client, shared, tokens["us"], [indicator(80, ids["us"], Tlp.AMBER)])
    post(client, shared, tokens["us"], [indicator(80, ids["us"], Tlp.RED, recipients=[ids["cn"]],
                                                  modified="2021-01-01T00:00:00.000Z")])
    oid = indicator(80, ids["us"], None)["id"]
    r = client.delete(f"{ROOT}collections/{shared.id}/objects/{oid}/",
                      params={"match[version]": "last"}, headers=as_party(client, tokens["cn"]))
    assert r.status_code == 403
    assert visible_ids(client, shared, tokens["ru"]) == set()  # the tightening holds
