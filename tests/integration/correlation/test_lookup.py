"""Look-ups through the REST API: every readable mention, and nothing a party may not see."""

from __future__ import annotations

import orjson

from accord.trust.markings import MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"


def indicator(n: int, pattern: str, creator: str, level: Tlp | None = None) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1", "name": f"indicator {n}",
           "id": f"indicator--00000000-0000-4000-8000-{n:012d}", "created_by_ref": creator,
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-02T00:00:00Z"}
    if level is not None:
        obj["object_marking_refs"] = [MARKING_FOR[level]]
    return obj


def post(client, collection_id, objects, token=None):
    headers = {"Content-Type": TAXII}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = client.post(f"/taxii2/accord/collections/{collection_id}/objects/",
                    content=orjson.dumps({"objects": objects}), headers=headers)
    assert r.status_code == 202 and r.json()["failure_count"] == 0, r.text


def lookup(client, value, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = client.get("/api/v1/lookup", params={"value": value}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_address_finds_indicators_of_it_and_of_the_networks_around_it(client, world):
    us = world.own.id
    post(client, world.evidence.id, [
        indicator(1, "[ipv4-addr:value = '198.51.100.7']", us),
        indicator(2, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", us),
        indicator(3, "[ipv4-addr:value = '203.0.113.9']", us),
    ])
    found = lookup(client, "198.51.100.7")
    assert {m["name"] for m in found["results"]} == {"indicator 1", "indicator 2"}
    assert found["count"] == 2 and found["read_as"] == [{"kind": "ipv4", "value": "c6336407/32"}]
    first = found["results"][0]
    assert first["marking"] == "TLP:AMBER" and first["created_by"] == world.own.name
    assert first["first_seen"] == "2020-01-02T00:00:00Z"
    assert {m["name"] for m in lookup(client, "198.51.0.0/16")["results"]} == {
        "indicator 1", "indicator 2"}


def test_values_held_only_where_a_party_may_not_read_are_invisible_even_in_counts(
        client, world):
    us, cn = world.own.id, world.other.id
    shared = world.node.directory.create_collection(
        "Shared", read=[world.own, world.other], write=[world.own])
    post(client, shared.id, [
        indicator(10, "[domain-name:value = 'c2.example']", us, Tlp.GREEN),
        indicator(11, "[domain-name:value = 'secret.example']", us, Tlp.RED),
    ])
    post(client, world.evidence.id, [indicator(12, "[domain-name:value = 'c2.example']", us)])
    china = world.other_token
    assert [m["name"] for m in lookup(client, "c2.example", china)["results"]] == ["indicator 10"]
    hidden = lookup(client, "secret.example", china)
    assert hidden["count"] == 0 and hidden["results"] == []
    assert lookup(client, "secret.example")["count"] == 1  # the creator sees it
    assert cn  # (China is a reader of Shared only)


def test_only_the_newest_version_counts_and_deleting_it_brings_back_the_one_before(
        client, world):
    us = world.own.id
    old = indicator(20, "[domain-name:value = 'old.example']", us)
    new = dict(indicator(20, "[domain-name:value = 'new.example']", us),
               modified="2021-01-01T00:00:00.000Z")
    post(client, world.evidence.id, [old, new])
    assert lookup(client, "old.example")["count"] == 0
    assert lookup(client, "new.example")["count"] == 1
    r = client.delete(f"/taxii2/accord/collections/{world.evidence.id}/objects/{new['id']}/",
                      params={"match[version]": new["modified"]})
    assert r.status_code == 200, r.text
    assert lookup(client, "new.example")["count"] == 0
    assert [m["version"] for m in lookup(client, "old.example")["results"]] == [old["modified"]]


def test_the_api_needs_a_token_and_publishes_its_openapi(client, world):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/lookup" in spec["paths"] and "/audit" in spec["paths"]
    r = client.get("/api/v1/lookup", params={"value": "x"},
                   headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "token" in r.json()["title"]


def test_the_audit_trail_is_for_admins_only(client, world):
    assert client.get("/api/v1/audit").status_code == 200
    r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {world.other_token}"})
    assert r.status_code == 403
    # The syntax is in the OpenAPI description (422), the calendar is not (400).
    assert client.get("/api/v1/audit", params={"since": "yesterday"}).status_code == 422
    assert client.get("/api/v1/audit", params={"since": "2016-02-30T00:00:00Z"}).status_code == 400


def sighting(n: int, of: str, by: str, level: Tlp, count: int = 1) -> dict:
    return {"type": "sighting", "spec_version": "2.1",
            "id": f"sighting--00000000-0000-4000-8000-{n:012d}", "created_by_ref": by,
            "created": "2020-02-01T00:00:00.000Z", "modified": "2020-02-01T00:00:00.000Z",
            "sighting_of_ref": of, "count": count, "where_sighted_refs": [by],
            "first_seen": "2020-02-01T00:00:00Z", "last_seen": "2020-02-03T00:00:00Z",
            "object_marking_refs": [MARKING_FOR[level]]}


def test_the_creator_hears_of_every_use_others_only_what_they_may_read(client, world):
    directory = world.node.directory
    russia = directory.add_party("Russia")
    ru_token = directory.create_token(russia, role="analyst")
    us, cn, ru = world.own.id, world.other.id, russia.id
    shared = directory.create_collection("Shared", read=[world.own, world.other, russia],
                                         write=[world.own, world.other, russia])
    china_only = directory.create_collection("China's", read=[world.other], write=[world.other])
    shared_indicator = indicator(30, "[domain-name:value = 'used.example']", us, Tlp.GREEN)
    post(client, shared.id, [shared_indicator])
    post(client, china_only.id, [sighting(1, shared_indicator["id"], cn, Tlp.RED, count=4)],
         world.other_token)
    post(client, shared.id, [sighting(2, shared_indicator["id"], ru, Tlp.GREEN)], ru_token)
    url = f"/api/v1/objects/{shared_indicator['id']}/sightings"
    creator_view = client.get(url).json()
    assert {(s["by"], s["count"]) for s in creator_view} == {
        (world.other.name, 4), ("Russia", 1)}
    russia_view = client.get(url, headers={"Authorization": f"Bearer {ru_token}"}).json()
    assert [s["by"] for s in russia_view] == ["Russia"]
    assert lookup(client, "used.example")["results"][0]["sightings"] == 2
    assert lookup(client, "used.example", ru_token)["results"][0]["sightings"] == 1


def test_copying_an_id_does_not_make_a_party_its_creator(client, world):
    directory = world.node.directory
    us, cn = world.own.id, world.other.id
    cn_own = directory.create_collection("China's own", read=[world.other], write=[world.other])
    original = indicator(40, "[domain-name:value = 'copied.example']", us, Tlp.GREEN)
    post(client, world.evidence.id, [original])
    post(client, world.evidence.id, [sighting(3, original["id"], us, Tlp.RED)])
    copy = dict(original, created_by_ref=cn)
    # Refused: a STIX id names one object, whatever the collection (store.objects).
    r = client.post(f"/taxii2/accord/collections/{cn_own.id}/objects/",
                    content=orjson.dumps({"objects": [copy]}),
                    headers={"Content-Type": TAXII, "Authorization": f"Bearer {world.other_token}"})
    assert r.json()["failure_count"] == 1
    url = f"/api/v1/objects/{original['id']}/sightings"
    assert client.get(url, headers={"Authorization": f"Bearer {world.other_token}"}).json() == []
    # The creator still hears of every sighting of its indicator.
    assert len(client.get(url).json()) == 1


def test_an_over_broad_network_is_stored_flagged_and_listed_apart_not_matched(client, world):
    us = world.own.id
    everything = indicator(60, "[ipv4-addr:value ISSUBSET '0.0.0.0/0']", us)
    quarter = indicator(61, "[ipv4-addr:value ISSUBSET '192.0.0.0/2']", us)
    legacy = indicator(62, "[ipv4-addr:value ISSUBSET '198.0.0.0/8']", us)
    address = indicator(63, "[ipv4-addr:value = '198.51.100.7']", us)
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": [everything, quarter, legacy, address]}),
                    headers={"Content-Type": TAXII})
    status = r.json()
    assert status["success_count"] == 4  # stored: real data is not refused
    notes = {s["id"]: s.get("message", "") for s in status["successes"]}
    assert "0.0.0.0/0 is broader than an IPv4 /8" in notes[everything["id"]]
    assert "over-broad" in notes[quarter["id"]] and notes[legacy["id"]] == ""
    found = lookup(client, "198.51.100.7")
    assert {m["name"] for m in found["results"]} == {"indicator 62", "indicator 63"}
    assert found["count"] == 2
    assert [(m["name"], m["matched"]["value"]) for m in found["over_broad"]] == [
        ("indicator 61", "c0000000/2"), ("indicator 60", "00000000/0")]
    # A look-up of an over-broad network lists what names it, and searches nothing inside.
    whole = lookup(client, "0.0.0.0/0")
    assert whole["results"] == [] and {m["name"] for m in whole["over_broad"]} == {
        "indicator 60"}
    assert lookup(client, "example.com")["over_broad"] == []


def test_an_id_is_listed_once_its_newest_copy_and_the_limit_keeps_the_newest(world):
    from accord.correlation.values import guess
    from accord.store.correlations import Correlations

    directory, store, us = world.node.directory, world.node.objects, world.own.id
    other = directory.create_collection("Other", read=[world.own], write=[world.own])
    value = "[domain-name:value = 'twice.example']"
    store.add(world.evidence.id, [indicator(n, value, us) for n in range(70, 75)],
              poster_id=us)
    store.add(other.id, [indicator(70, value, us)], poster_id=us)  # a copy, the newest
    store.add(world.evidence.id, [indicator(75, value, us)], poster_id=us)
    correlations = Correlations(world.node.engine)
    every = correlations.lookup(us, guess("twice.example"), 100)  # fewer than the limit
    assert [(m.name, m.collection_id) for m in every] == [
        ("indicator 75", world.evidence.id), ("indicator 70", other.id)] + [
        (f"indicator {n}", world.evidence.id) for n in range(74, 70, -1)]
    newest = correlations.look_up(us, guess("twice.example"), 3)  # more: the newest three
    assert [m.name for m in newest.found] == ["indicator 75", "indicator 70", "indicator 74"]
    assert newest.over_broad == []


def test_a_small_look_up_is_the_look_up_and_declines_what_is_not_small(world):
    from accord.correlation.values import guess
    from accord.store.correlations import SMALL, Correlations

    store, us = world.node.objects, world.own.id
    store.add(world.evidence.id, [indicator(n, "[domain-name:value = 'many.example']", us)
                                  for n in range(80, 87)], poster_id=us)
    store.add(world.evidence.id, [indicator(90, "[ipv4-addr:value = '198.51.100.7']", us)],
              poster_id=us)
    store.add(world.evidence.id, [indicator(91, "[ipv4-addr:value = '198.51.100.0/24']", us)],
              poster_id=us)
    correlations = Correlations(world.node.engine)
    for value, limit in (("many.example", 10), ("198.51.100.7", 10), ("nowhere.example", 10),
                         ("many.example", 4)):  # 7 found: the newest 4, one per id
        small = correlations.small_look_up(us, guess(value), limit)
        assert small is not None and small == correlations.look_up(us, guess(value), limit)
    assert [m.name for m in small.found] == [f"indicator {n}" for n in (86, 85, 84, 83)]
    # An address matches itself and the network around it, each where it is mentioned.
    address = correlations.small_look_up(us, guess("198.51.100.7"), 10)
    assert address is not None and [(m.name, m.matched) for m in address.found] == [
        ("indicator 91", *guess("198.51.100.0/24")), ("indicator 90", *guess("198.51.100.7"))]
    # Seven mentions: more than twice a limit of 3 is not small; nothing is returned.
    assert correlations.small_look_up(us, guess("many.example"), 3) is None
    assert len(correlations.look_up(us, guess("many.example"), 3).found) == 3
    # A network is searched inside (any number of addresses), a large limit: not small.
    assert correlations.small_look_up(us, guess("198.51.100.0/24"), 10) is None
    assert correlations.small_look_up(us, guess("many.example"), SMALL + 1) is None
