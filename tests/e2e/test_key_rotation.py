"""Two sovereign nodes: the US rotates its key and China follows at its next sync, so that what
the US signed before and after verifies at China; a key change signed wrongly is refused until
China's administrator re-pins by a fingerprint compared out of band; a stolen key is revoked
from its date."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tests.e2e.conftest import created, run_accord, sql
from tests.e2e.federation_nodes import Node, meet, peer_state, sync

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
SIGNATURE = "extension-definition--9a3f5e1c-2b4d-4c6e-8f0a-1b2c3d4e5f60"


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def share(us: Node, tmp: Path, us_id: str, n: int, collection: str) -> str:
    """The US imports an indicator its party created (stored signed with its current key)."""
    oid = f"indicator--7f0b6c1e-2d3a-4b5c-9d8e-{n:012d}"
    bundle = tmp / f"{n}.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": oid, "created_by_ref": us_id,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}]}))
    done = run_accord("import", str(bundle), "--collection", collection, db=us.db)
    assert done.returncode == 0, done.stderr
    return oid


def held_at(node: Node) -> dict[str, dict]:
    done = run_accord("export", db=node.db)
    assert done.returncode == 0, done.stderr
    return {o["id"]: o for o in json.loads(done.stdout).get("objects", [])}


def listed(node: Node, *command: str) -> list[dict]:
    done = run_accord(*command, "--json", db=node.db)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def verifies(obj: dict, keys: list[dict]) -> bool:
    """The signature checked with nothing of Accord's: the recipe of docs/federation.md."""
    bare = dict(obj)
    extensions = dict(bare.pop("extensions"))
    signature = extensions.pop(SIGNATURE)
    if extensions:
        bare["extensions"] = extensions
    [key] = [k["public_key"] for k in keys if k["fingerprint"] == signature["key"]]
    try:
        Ed25519PublicKey.from_public_bytes(unb64(key)).verify(
            unb64(signature["signature"]), rfc8785.dumps(bare))
    except Exception:
        return False
    return True


def test_a_rotation_is_followed_a_forged_one_refused_and_a_stolen_key_revoked(databases, tmp_path):
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN)
    us.start()
    cn.start()
    try:
        meet(us, "china", cn, "us")
        us_id = peer_state(cn.db, "us")["party_id"]
        shared = created("collection", "create", "Shared with China", "--read", CN, db=us.db)
        before = share(us, tmp_path, us_id, 1, shared)
        assert sync(cn.db, "us").returncode == 0
        [first] = listed(us, "key", "show")

        # The US rotates; China follows at its next round.
        rotated = created("key", "rotate", db=us.db)
        after = share(us, tmp_path, us_id, 2, shared)
        done = sync(cn.db, "us")
        assert done.returncode == 0 and " 0 refused" in done.stderr, done.stderr
        keys = listed(cn, "peer", "keys", "us")
        assert [(k["fingerprint"], k["status"], k["how"]) for k in keys] == [
            (first["fingerprint"], "retired", "added"), (rotated, "current", "announced")]
        held = held_at(cn)
        signers = {oid: held[oid]["extensions"][SIGNATURE]["key"] for oid in (before, after)}
        assert signers == {before: first["fingerprint"], after: rotated}
        assert all(verifies(held[oid], keys) for oid in (before, after))
        assert [k["status"] for k in listed(us, "key", "show")] == ["retired", "current"]

        # The next key's announcement is tampered with on the US node (as an impostor would
        # serve it): China refuses it, loudly, and takes nothing the new key signed.
        third = created("key", "rotate", db=us.db)
        [(raw,)] = sql(us.db, "SELECT announcement FROM node_keys WHERE retired IS NULL")
        announcement = json.loads(raw)
        announcement["created"] = "2026-01-01T00:00:00.000Z"  # no longer what was signed
        sql(us.db, "UPDATE node_keys SET announcement = :changed WHERE retired IS NULL",
            changed=json.dumps(announcement).encode())
        later = share(us, tmp_path, us_id, 3, shared)
        refused = sync(cn.db, "us")
        assert refused.returncode == 1 and "refused" in refused.stderr
        error = peer_state(cn.db, "us")["last_error"]
        assert f"now shows key {third}" in error and "does not verify" in error
        assert later not in held_at(cn)
        assert [r["detail"]["peer"] for r in listed(cn, "audit", "--action",
                                                   "peer.key_refused")] == ["us"]

        # Told the fingerprint over another channel, China's administrator re-pins.
        wrong = run_accord("peer", "rekey", "us", "--fingerprint", rotated, db=cn.db)
        assert wrong.returncode == 2 and "refusing it" in wrong.stderr
        assert run_accord("peer", "rekey", "us", "--fingerprint", third,
                          db=cn.db).returncode == 0
        assert sync(cn.db, "us").returncode == 0
        assert later in held_at(cn)

        # The US finds its key stolen since today: a new key, unannounced; China refuses it
        # until re-pinned with the date, from which the stolen key's signatures are refused.
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        stolen = run_accord("key", "rotate", "--compromised-since", today, db=us.db)
        assert stolen.returncode == 0 and "accord peer rekey NAME" in stolen.stderr
        fourth = stolen.stdout.strip()
        refused = sync(cn.db, "us")
        assert refused.returncode == 1 and f"stolen from {today}T00:00:00Z" in refused.stderr
        assert run_accord("peer", "rekey", "us", "--fingerprint", fourth, "--revoke-from", today,
                          db=cn.db).returncode == 0
        assert sync(cn.db, "us").returncode == 0
        statuses = {k["fingerprint"]: (k["status"], k["revoked_from"])
                    for k in listed(cn, "peer", "keys", "us")}
        assert statuses[third] == ("revoked", f"{today}T00:00:00Z")
        assert statuses[fourth] == ("current", None)
        # What the stolen key signed is dated 2026-01-01, before the theft: it still stands.
        assert {before, after, later} <= held_at(cn).keys()
    finally:
        us.stop()
        cn.stop()
