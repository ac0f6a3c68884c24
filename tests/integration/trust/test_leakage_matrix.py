"""The leakage suite: three parties, every marking, every role, every read path, and tokens
that are expired, revoked or another party's. A party must never see, nor learn of, what it is
not entitled to: no object, no count, no header, no error text that differs."""

from __future__ import annotations

import itertools

import orjson
import pytest

from accord.store.audit_log import AuditQuery
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"
LEVELS = [None, *Tlp]


def indicator(n: int, creator: str, level: Tlp | None, recipients: list[str]) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--00000000-0000-4000-8000-{n:012d}", "created_by_ref": creator,
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "pattern": f"[domain-name:value = 'host{n}.example']", "pattern_type": "stix",
           "valid_from": "2020-01-01T00:00:00Z"}
    if level is not None:
        obj["object_marking_refs"] = [MARKING_FOR[level]]
    if recipients:
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                        "recipients": recipients}}
    return obj


@pytest.fixture
def matrix(world, client):
    """US posts one object per (level, recipients) into a collection shared with China and
    Russia (read), and into one shared with nobody; expected visibility per party."""
    d = world.node.directory
    russia = d.add_party("Russia")
    shared = d.create_collection("Shared", read=[world.own, world.other, russia],
                                 write=[world.own])
    private = d.create_collection("Private", read=[world.own], write=[world.own])
    parties = {"us": world.own.id, "cn": world.other.id, "ru": russia.id}
    tokens = {
        "us": world.admin_token,
        "cn": world.other_token,
        "ru": d.create_token(russia, role="reader"),
    }
    objects, expected = [], {p: set() for p in parties}
    for n, (level, to_china) in enumerate(itertools.product(LEVELS, (False, True))):
        obj = indicator(n, parties["us"], level, [parties["cn"]] if to_china else [])
        objects.append(obj)
        effective = Tlp.AMBER if level is None else level
        expected["us"].add(obj["id"])
        if effective <= Tlp.AMBER or to_china:
            expected["cn"].add(obj["id"])
        if effective <= Tlp.AMBER:
            expected["ru"].add(obj["id"])
    for collection in (shared, private):
        r = client.post(f"{ROOT}collections/{collection.id}/objects/",
                        content=orjson.dumps({"objects": objects}),
                        headers={"Content-Type": TAXII})
        assert r.json()["success_count"] == len(objects)
    world.node.reads.flush()
    return {"shared": shared, "private": private, "tokens": tokens, "expected": expected,
            "objects": objects}


def get(client, path, token, **params):
    return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("party", ["us", "cn", "ru"])
def test_every_taxii_read_path_shows_exactly_the_entitled_objects(client, matrix, party):
    token, want = matrix["tokens"][party], matrix["expected"][party]
    base = f"{ROOT}collections/{matrix['shared'].id}/"
    assert {o["id"] for o in get(client, base + "objects/", token).json()["objects"]} == want
    assert {o["id"] for o in get(client, base + "manifest/", token).json()["objects"]} == want
    for version in ("all", "first", "2020-01-01T00:00:00.000Z"):
        env = get(client, base + "objects/", token, **{"match[version]": version}).json()
        assert {o["id"] for o in env.get("objects", [])} == want, version
    paged, nxt = set(), None
    while True:  # small pages: counts and `more` must not betray hidden objects either
        params = {"limit": 2, **({"next": nxt} if nxt else {})}
        env = get(client, base + "objects/", token, **params).json()
        paged |= {o["id"] for o in env.get("objects", [])}
        if not env["more"]:
            break
        nxt = env["next"]
    assert paged == want
    for obj in matrix["objects"]:
        for path in (f"objects/{obj['id']}/", f"objects/{obj['id']}/versions/"):
            r = get(client, base + path, token)
            assert r.status_code == (200 if obj["id"] in want else 404), (party, path)


@pytest.mark.parametrize("party", ["cn", "ru"])
def test_an_unshared_collection_is_invisible_whatever_its_markings(client, matrix, party):
    token = matrix["tokens"][party]
    private = matrix["private"].id
    listed = get(client, f"{ROOT}collections/", token).json().get("collections", [])
    assert private not in {c["id"] for c in listed}
    for path in ("", "objects/", "manifest/", f"objects/{matrix['objects'][0]['id']}/"):
        r = get(client, f"{ROOT}collections/{private}/{path}", token)
        assert r.status_code == 404
        assert r.json()["description"] == f"no collection '{private}' is available to you"


@pytest.mark.parametrize("party", ["us", "cn", "ru"])
def test_lookups_and_their_counts_show_only_the_entitled(client, matrix, party):
    token, want = matrix["tokens"][party], matrix["expected"][party]
    for n, obj in enumerate(matrix["objects"]):
        found = get(client, "/api/v1/lookup", token, value=f"host{n}.example").json()
        ids = {m["id"] for m in found["results"]}
        if obj["id"] in want:
            assert ids == {obj["id"]} and found["count"] == 1, (party, n)
        else:
            assert ids == set() and found["count"] == 0, (party, n)


def test_the_audit_trail_records_exactly_what_each_party_was_served(client, matrix, world):
    token = matrix["tokens"]["ru"]
    get(client, f"{ROOT}collections/{matrix['shared'].id}/objects/", token)
    world.node.reads.flush()
    russia = world.node.directory.party("Russia").id
    [served] = world.node.audit.query(AuditQuery(party_id=russia, action="objects.read"))
    assert set(served.event.object_ids) == matrix["expected"]["ru"]


@pytest.mark.parametrize("kind", ["expired", "revoked", "unknown"])
def test_dead_tokens_get_the_same_401_on_every_path(client, matrix, world, kind):
    d = world.node.directory
    russia = d.party("Russia")
    if kind == "expired":
        token = d.create_token(russia, expires="2001-01-01T00:00:00.000000Z")
    elif kind == "revoked":
        token = d.create_token(russia)
        d.revoke_token(d.tokens()[-1].id)
    else:
        token = "accord_" + "x" * 43
    paths = ["/taxii2/", ROOT, f"{ROOT}collections/",
             f"{ROOT}collections/{matrix['shared'].id}/objects/",
             f"{ROOT}collections/{matrix['private'].id}/objects/",
             "/api/v1/lookup?value=host1.example"]
    bodies = set()
    for path in paths:
        r = get(client, path, token)
        assert r.status_code == 401, path
        bodies.add(r.text if path.startswith("/taxii2") else "api")
    assert len(bodies) == 2  # one TAXII answer for every TAXII path, whatever lies behind it


@pytest.mark.parametrize("role", ["reader", "analyst", "liaison"])
def test_roles_below_admin_cannot_read_the_audit_trail(client, world, role):
    token = world.node.directory.create_token(world.own, role=role)
    assert get(client, "/api/v1/audit", token).status_code == 403
