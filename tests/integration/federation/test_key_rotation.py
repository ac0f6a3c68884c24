"""A node rotates its key and its peer follows at the next round; a change of key no
announcement vouches for is refused; a stolen key is recovered from by a deliberate re-pin."""

from __future__ import annotations

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient
from tests.integration.federation.conftest import Federation, indicator

from accord.app import create_app
from accord.federation.following import repin
from accord.federation.keys import published, rotate
from accord.federation.rotation import announce
from accord.federation.signing import SIGNATURE_EXTENSION, publish, sign
from accord.federation.sync import SyncError, sync_peer
from accord.intake import screen, store
from accord.stix.timestamps import now_timestamp
from accord.store.audit_log import AuditQuery
from accord.store.keyring import Keyring
from accord.store.peers import PeerStore

TAXII = "application/taxii+json;version=2.1"


def share_signed(f: Federation, *objects: dict[str, object]) -> None:
    """The US posts objects its own party created: stored signed with its current key."""
    report = store(f.us.node.engine, f.shared, screen(list(objects)), party_id=f.us.own.id)
    assert not report.rejected, report.rejected


def ours(f: Federation, n: int, **more: object) -> dict[str, object]:
    return indicator(n, created_by_ref=f.us.own.id, **more)


def round_with_us(f: Federation):  # type: ignore[no-untyped-def]
    return sync_peer(f.china, PeerStore(f.china.engine).find("us"), f.transport)


def actions(f: Federation, action: str) -> list[dict[str, object]]:
    return [r.event.detail for r in f.china.audit.query(AuditQuery(action=action))]


def test_a_peer_follows_a_rotation_and_what_both_keys_signed_verifies(federation):
    f: Federation = federation
    share_signed(f, ours(f, 1))
    round_with_us(f)
    before = published(f.us.node)["fingerprint"]

    rotated = rotate(f.us.node, now_timestamp())
    share_signed(f, ours(f, 2))
    done = round_with_us(f)
    assert done.refused == [] and done.stored == 1
    assert f.held() == {ours(f, 1)["id"], ours(f, 2)["id"]}
    keys = Keyring(f.china.engine).of_peer("us")
    assert [(k.fingerprint, k.status, k.how) for k in keys] == [
        (before, "retired", "added"), (rotated.new.fingerprint, "current", "announced")]
    assert keys[1].announcement == rotated.new.announcement
    [followed] = actions(f, "peer.key_followed")
    assert followed["from"] == before and followed["to"] == rotated.new.fingerprint


def test_two_rotations_between_rounds_are_followed_along_the_chain(federation):
    f: Federation = federation
    round_with_us(f)
    rotate(f.us.node, now_timestamp())
    share_signed(f, ours(f, 1))
    last = rotate(f.us.node, now_timestamp())
    share_signed(f, ours(f, 2))
    assert round_with_us(f).refused == []
    assert f.held() == {ours(f, 1)["id"], ours(f, 2)["id"]}
    assert [k.how for k in Keyring(f.china.engine).of_peer("us")] == [
        "added", "announced", "announced"]
    assert PeerStore(f.china.engine).find("us").public_key == last.new.public_key


def _impostor(f: Federation, key: Ed25519PrivateKey, announcement: object = None):  # type: ignore[no-untyped-def]
    """A hook answering GET /api/v1/node with the US's identity and `key`."""
    real = published(f.us.node)

    def hook(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/api/v1/node":
            return None
        shown = real | {"public_key": publish(key.public_key()),
                        "keys": [*real["keys"], {"announcement": announcement}]}
        return httpx.Response(200, content=orjson.dumps(shown))

    return hook


def test_a_forged_change_of_key_is_refused_loudly_and_nothing_is_taken(federation):
    f: Federation = federation
    round_with_us(f)
    thief = Ed25519PrivateKey.generate()
    # An announcement that claims the pinned key signed it, but the thief did.
    forged = announce(f.us.own.id, thief, thief, now_timestamp()) | {
        "previous": published(f.us.node)["fingerprint"]}
    f.hooks.append(_impostor(f, thief, forged))
    share_signed(f, ours(f, 1))
    for _ in range(2):
        with pytest.raises(SyncError, match="refused: nothing more is taken"):
            round_with_us(f)
    peer = PeerStore(f.china.engine).find("us")
    assert "does not verify against the previous key" in peer.last_error
    assert peer.public_key == published(f.us.node)["public_key"]  # the pin stays
    assert f.held() == set()
    assert len(actions(f, "peer.key_refused")) == 1  # recorded once, not at every retry


def test_objects_signed_by_a_key_not_followed_are_refused_also_when_posted(federation):
    f: Federation = federation
    round_with_us(f)
    us_party = f.china.directory.party(f.peer.party_id)
    us_on_china = f.china.directory.create_token(us_party, role="liaison")
    inbox = f.china.directory.create_collection("From the US", alias="inbox", read=[us_party],
                                                write=[us_party])
    share_signed(f, ours(f, 1))
    rotate(f.us.node, now_timestamp())
    share_signed(f, ours(f, 2))
    signed = {o["id"]: o for o in (orjson.loads(v.body) for v in f.us.node.objects.page(
        f.shared.id, _all()).items)}
    with TestClient(create_app(f.china), base_url="http://cn.test") as china:
        def post(obj: dict[str, object]) -> dict[str, object]:
            answer = china.post(f"/taxii2/accord/collections/{inbox.id}/objects/",
                                content=orjson.dumps({"objects": [obj]}),
                                headers={"Content-Type": TAXII,
                                         "Authorization": f"Bearer {us_on_china}"})
            assert answer.status_code == 202, answer.text
            return answer.json()

        # Before China follows the rotation: the new key is unknown there.
        refused = post(signed[ours(f, 2)["id"]])
        assert refused["failure_count"] == 1
        assert "not its creator's" in refused["failures"][0]["message"]
        round_with_us(f)  # follows
        assert post(signed[ours(f, 2)["id"]])["success_count"] == 1
        assert post(signed[ours(f, 1)["id"]])["success_count"] == 1  # the old key still counts
        stranger = sign(ours(f, 3), Ed25519PrivateKey.generate())
        assert post(stranger)["failure_count"] == 1


def _all():  # type: ignore[no-untyped-def]
    from accord.store.query import ALL, ObjectQuery

    return ObjectQuery(versions=frozenset({ALL}), limit=100_000)


def test_a_stolen_key_is_recovered_from_by_a_deliberate_repin(federation):
    f: Federation = federation
    share_signed(f, ours(f, 1, modified="2020-01-01T00:00:00.000Z"))
    share_signed(f, ours(f, 2, created="2030-01-01T00:00:00.000Z",
                         modified="2030-01-01T00:00:00.000Z"))
    round_with_us(f)
    assert f.held() == {ours(f, 1)["id"], ours(f, 2)["id"]}
    stolen = published(f.us.node)["fingerprint"]
    # A thief signs a version dated after the theft and slips it into what China reads from
    # the US; China takes it (the key is still good).
    thief_made = sign(ours(f, 3, created="2030-06-01T00:00:00.000Z",
                           modified="2030-06-01T00:00:00.000Z"), _private_key(f))
    f.hooks.append(_slipped_in(f, thief_made))
    round_with_us(f)
    assert ours(f, 3)["id"] in f.held()

    # The US learns its key was stolen on 2029-12-31 and makes a new one, unannounced.
    since = "2029-12-31T00:00:00Z"
    done = rotate(f.us.node, now_timestamp(), compromised_since=since)
    assert done.resigned == 1  # indicator 2, dated after the theft; indicator 1 is not
    [rotated] = f.us.node.audit.query(AuditQuery(action="key.rotate"))
    assert rotated.event.object_ids == (ours(f, 2)["id"],)  # what was rewritten is named
    with pytest.raises(SyncError, match=f"It says its key {stolen} was stolen from {since}"):
        round_with_us(f)

    peer = PeerStore(f.china.engine).find("us")
    with pytest.raises(ValueError, match="refusing it"):
        repin(f.china, peer, published(f.us.node), stolen, since)
    again = repin(f.china, peer, published(f.us.node), done.new.fingerprint, since)
    assert again.revoked == {stolen: since}
    assert sorted(again.removed) == sorted([ours(f, 2)["id"], ours(f, 3)["id"]])
    [audited] = actions(f, "peer.rekey")
    assert audited["removed"] == 2 and audited["to"] == done.new.fingerprint

    # The next round reads the US again from its start: indicator 2 comes back signed anew,
    # the thief's stays out (signed by the stolen key, dated after the theft).
    outcome = round_with_us(f)
    assert f.held() == {ours(f, 1)["id"], ours(f, 2)["id"]}
    [refusal] = outcome.refused
    assert refusal.id == ours(f, 3)["id"] and f"revoked from {since}" in refusal.message
    statuses = {k.fingerprint: k.status for k in Keyring(f.china.engine).of_peer("us")}
    assert statuses == {stolen: "revoked", done.new.fingerprint: "current"}


def _slipped_in(f: Federation, obj: dict[str, object]):  # type: ignore[no-untyped-def]
    """A hook adding `obj` to what the US answers for its shared collection (objects and
    manifest), as someone between the nodes would."""
    inside: list[bool] = []

    def hook(request: httpx.Request) -> httpx.Response | None:
        path = request.url.path
        if inside or f"/collections/{f.shared.id}/" not in path or request.method != "GET":
            return None
        inside.append(True)
        try:
            real = f.transport.handle_request(request)
            real.read()
        finally:
            inside.clear()
        page = orjson.loads(real.content)
        page["objects"] = [*page.get("objects", []), obj if path.endswith("/objects/")
                           else {"id": obj["id"]}]
        return httpx.Response(real.status_code, headers=real.headers,
                              content=orjson.dumps(page))

    return hook


def _private_key(f: Federation) -> Ed25519PrivateKey:
    from accord.federation.keys import node_key

    return node_key(f.us.node.directory)


def test_a_repost_after_rotation_is_already_stored_not_a_conflict(world, client):
    obj = indicator(1, created_by_ref=world.own.id)
    url = f"/taxii2/accord/collections/{world.evidence.id}/objects/"
    headers = {"Content-Type": TAXII}
    assert client.post(url, content=orjson.dumps({"objects": [obj]}),
                       headers=headers).json()["success_count"] == 1
    rotate(world.node, now_timestamp())
    again = client.post(url, content=orjson.dumps({"objects": [obj]}), headers=headers).json()
    assert again["success_count"] == 1 and again["successes"][0]["message"] == "already stored"
    stored = client.get(f"{url}{obj['id']}/").json()["objects"][0]
    assert SIGNATURE_EXTENSION in stored["extensions"]


def test_a_peer_pinned_after_rotations_takes_the_keys_before_too(world, china):
    from accord.federation.following import earlier_keys
    from accord.federation.keys import peer_keys
    from accord.federation.signing import why_not_signed
    from accord.node import initialise

    initialise(china, "China (CNCERT/CC)")
    made = []
    for _ in range(3):
        made.append(store(world.node.engine, world.evidence,
                          screen([indicator(len(made), created_by_ref=world.own.id)]),
                          party_id=world.own.id))
        rotate(world.node, now_timestamp())
    with TestClient(create_app(world.node), base_url="http://us.test") as us:
        shown = us.get("/api/v1/node",
                       headers={"Authorization": f"Bearer {world.other_token}"}).json()
    pinned = china.directory.pin_party(shown["identity"], None)
    PeerStore(china.engine).add("us", "http://us.test/", "t", pinned.id, shown["public_key"],
                                earlier=earlier_keys(shown, pinned.id))
    keys = Keyring(china.engine).of_peer("us")
    assert [(k.how, k.status) for k in keys] == [("history", "retired")] * 3 + [
        ("added", "current")]
    signed = [orjson.loads(v.body) for v in world.node.objects.page(
        world.evidence.id, _all()).items]
    assert len(signed) == 3
    assert all(why_not_signed(o, peer_keys(china.engine)[pinned.id]) is None for o in signed)


def test_a_peer_pinned_after_a_theft_does_not_take_the_keys_before_it(world, china):
    from accord.federation.following import earlier_keys
    from accord.node import initialise

    initialise(china, "China (CNCERT/CC)")
    rotate(world.node, now_timestamp())
    rotate(world.node, now_timestamp(), compromised_since="2026-01-01T00:00:00Z")
    shown = published(world.node)
    assert earlier_keys(shown, shown["identity"]["id"]) == []
