"""Two sovereign nodes federate over TLS with certificates made here: each pins the other's
(one a self-signed certificate by its fingerprint, compared out of band; the other a CA), a
request crosses and its acknowledgement comes back. A peer whose certificate changed is refused
before the token leaves; plain HTTP is refused unless --insecure says so, loudly; a mutual-TLS
node turns away a client without a certificate, and takes a peer presenting one."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path

import httpx
import pytest
from tests.e2e.conftest import NodeDatabases, created, run_accord
from tests.e2e.federation_nodes import Node, meet, peer_state, sync
from tests.tls_fixtures import Issued, RecordingTlsServer, authority, self_signed, signed_by

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
EVIDENCE_ID = "indicator--7f0b6c1e-2d3a-4b5c-9d8e-1f2a3b4c5d6e"


def serving_with(issued: Issued, *more: str) -> tuple[str, ...]:
    return ("--tls-cert", str(issued.cert), "--tls-key", str(issued.key), *more)


def trusting(issued: Issued) -> ssl.SSLContext:
    """What a careful client of the node does: trust exactly its certificate (or its CA)."""
    context = ssl.create_default_context(cafile=str(issued.cert))
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def announced_fingerprint(node: Node) -> str:
    """The fingerprint `accord serve` prints for its operator to give the peer's officers."""
    found = re.search(r"TLS certificate fingerprint .*: (SHA256:[0-9A-F:]{95})",
                      node.log.read_text())
    assert found, node.log.read_text()
    return found.group(1)


def show(rid: str, db: str) -> dict:
    done = run_accord("request", "show", rid, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_two_nodes_federate_over_tls_each_pinning_the_other(
        databases: NodeDatabases, tmp_path: Path):
    certs = tmp_path / "certs"
    us_cert = self_signed(certs, "us-node")
    cn_root = authority(certs, "cncert-root")
    cn_cert = signed_by(cn_root, certs, "cn-node")
    us = Node(databases, "us", US, tls=serving_with(us_cert))
    cn = Node(databases, "cn", CN, tls=serving_with(cn_cert))
    try:
        us.start()
        cn.start("0", "--workers", "2")
        assert us.url.startswith("https://")
        assert f"TAXII 2.1 discovery: {us.url}taxii2/" in us.log.read_text()
        # The US officer reads China's CA from China's officers; China's reads the US's
        # certificate fingerprint off the US node's start-up, and compares it out of band.
        assert announced_fingerprint(us) == us_cert.fingerprint
        meet(us, "china", cn, "us", a_pins_b=("--tls-ca", str(cn_root.cert)),
             b_pins_a=("--tls-fingerprint", us_cert.fingerprint))
        assert peer_state(us.db, "china")["tls"] == "ca"
        assert peer_state(cn.db, "us")["tls_fingerprint"] == us_cert.fingerprint
        pinned = run_accord("audit", "--action", "peer.add", "--json", db=cn.db).stdout
        assert us_cert.fingerprint in pinned

        bundle = tmp_path / "evidence.json"
        us_id = peer_state(cn.db, "us")["party_id"]
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": EVIDENCE_ID,
            "created_by_ref": us_id, "created": "2015-06-04T10:00:00.000Z",
            "modified": "2015-06-04T10:00:00.000Z", "name": "C2 server",
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2015-06-04T10:00:00Z"}]}))
        assert run_accord("import", str(bundle), db=us.db).returncode == 0
        assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                          db=us.db).returncode == 0
        rid = created("request", "create", "--to", CN, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates 198.51.100.7?", "--evidence", EVIDENCE_ID,
                      db=us.db)

        delivered = sync(us.db, "china")
        assert delivered.returncode == 0, delivered.stderr
        assert "1 ledger entry delivered" in delivered.stderr
        pulled = sync(cn.db, "us")
        assert pulled.returncode == 0 and "1 stored" in pulled.stderr, pulled.stderr
        assert show(rid, cn.db)["received"] is not None
        assert run_accord("request", "ack", rid, "--note", "on it", db=cn.db).returncode == 0
        assert sync(us.db, "china").returncode == 0
        assert show(rid, us.db)["state"] == "acknowledged"

        for node, cert in ((us, us_cert), (cn, cn_root)):
            answer = httpx.get(node.url + "taxii2/", verify=trusting(cert))
            assert answer.headers["strict-transport-security"] == "max-age=31536000"
    finally:
        us.stop()
        cn.stop()


def test_a_peer_whose_certificate_changed_is_refused_before_the_token_is_sent(
        databases: NodeDatabases, tmp_path: Path):
    certs = tmp_path / "certs"
    first, renewed = self_signed(certs, "cn-2015"), self_signed(certs, "cn-2016")
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN, tls=serving_with(first))
    try:
        cn.start()
        created("party", "add", US, db=cn.db)
        token = created("token", "create", "--party", US, "--role", "liaison", db=cn.db)
        added = run_accord("peer", "add", "china", "--url", cn.url, "--token", token, db=us.db)
        assert added.returncode == 0, added.stderr
        assert f"pinned: {first.fingerprint}" in added.stderr  # trusted on first use, shown
        assert "compare this fingerprint with the peer's officers" in added.stderr
        assert sync(us.db, "china").returncode == 0
    finally:
        cn.stop()

    # Someone else answers at China's address, with a certificate of their own, and claims
    # to be a node (with a key of its own).
    claim = {"identity": {"type": "identity", "id": "identity--00000000-0000-4000-8000-"
                                                    "000000000001", "name": CN},
             "public_key": "_EbDQIJfQMVp0RpmXG8H-Qwlev9QUYhmLj-10dQB8-4"}
    with RecordingTlsServer(renewed, port=cn.port, answer=json.dumps(claim).encode()) \
            as impostor:
        refused = sync(us.db, "china")
        assert refused.returncode == 1
        assert first.fingerprint in refused.stderr and renewed.fingerprint in refused.stderr
        assert "accord peer repin china" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert impostor.received == []  # no HTTP, no token
        assert renewed.fingerprint in peer_state(us.db, "china")["last_error"]
        # Re-pinning is deliberate: the new fingerprint, compared out of band, or nothing.
        unsure = run_accord("peer", "repin", "china", db=us.db)
        assert unsure.returncode == 2 and f"presents certificate {renewed.fingerprint}" in \
            unsure.stderr
        assert impostor.received == []
        # An officer who pins it anyway finds that the node behind it is not China's.
        wrong = run_accord("peer", "repin", "china", "--tls-fingerprint",
                           renewed.fingerprint, db=us.db)
        assert wrong.returncode == 2 and "refusing to re-pin" in wrong.stderr, wrong.stderr
        assert peer_state(us.db, "china")["tls_fingerprint"] == first.fingerprint

    # It was China renewing its certificate after all: its officers confirm the fingerprint.
    cn.tls = serving_with(renewed)
    try:
        cn.start()
        repinned = run_accord("peer", "repin", "china", "--tls-fingerprint",
                              renewed.fingerprint.lower(), db=us.db)
        assert repinned.returncode == 0, repinned.stderr
        assert repinned.stdout.strip() == renewed.fingerprint
        assert sync(us.db, "china").returncode == 0
        logged = json.loads(run_accord("audit", "--action", "peer.repin", "--json",
                                       db=us.db).stdout)
        assert logged["detail"]["was"]["tls_fingerprint"] == first.fingerprint
        assert logged["detail"]["tls_fingerprint"] == renewed.fingerprint
    finally:
        cn.stop()


def test_plain_http_is_refused_unless_insecure_is_said_and_then_marked_everywhere(
        databases: NodeDatabases,
        tmp_path: Path):
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN)
    try:
        cn.start()
        created("party", "add", US, db=cn.db)
        token = created("token", "create", "--party", US, "--role", "liaison", db=cn.db)
        refused = run_accord("peer", "add", "china", "--url", cn.url, "--token", token,
                             db=us.db)
        assert refused.returncode == 2 and "would travel in clear" in refused.stderr
        assert "--insecure" in refused.stderr
        assert run_accord("peer", "list", "--json", db=us.db).stdout == ""  # nothing kept
        added = run_accord("peer", "add", "china", "--url", cn.url, "--token", token,
                           "--insecure", db=us.db)
        assert added.returncode == 0, added.stderr
        assert "WARNING: peer china" in added.stderr and "INSECURE" in added.stderr
        logged = json.loads(run_accord("audit", "--action", "peer.add", "--json",
                                       db=us.db).stdout)
        assert logged["detail"]["insecure"] is True
        state = peer_state(us.db, "china")
        assert state["tls"] == "insecure" and state["insecure"] is True
        listed = run_accord("peer", "list", db=us.db).stdout
        assert "INSECURE (http)" in listed and "[bold red]" not in listed  # styled, not shown
        warned = sync(us.db, "china")
        assert warned.returncode == 0 and "INSECURE (http://)" in warned.stderr
    finally:
        cn.stop()


def test_a_mutual_tls_node_turns_away_a_client_without_a_certificate(
        databases: NodeDatabases, tmp_path: Path):
    certs = tmp_path / "certs"
    cn_cert, clients = self_signed(certs, "cn-node"), authority(certs, "cn-clients")
    us_client = signed_by(clients, certs, "us-node-client")
    us = Node(databases, "us", US)
    cn = Node(databases, "cn", CN, tls=serving_with(cn_cert, "--tls-client-ca",
                                                    str(clients.cert)))
    try:
        cn.start()
        created("party", "add", US, db=cn.db)
        token = created("token", "create", "--party", US, "--role", "liaison", db=cn.db)
        with pytest.raises(httpx.TransportError):
            httpx.get(cn.url + "taxii2/", verify=trusting(cn_cert))
        # A certificate lets a client connect; the token is still what lets it in.
        context = trusting(cn_cert)
        context.load_cert_chain(us_client.cert, us_client.key)
        assert httpx.get(cn.url + "taxii2/collections/", verify=context).status_code == 401
        with_token = httpx.get(cn.url + "api/v1/node", verify=context,
                               headers={"Authorization": f"Bearer {token}"})
        assert with_token.status_code == 200

        without = run_accord("peer", "add", "china", "--url", cn.url, "--token", token,
                             db=us.db)
        assert without.returncode == 2 and "cannot reach" in without.stderr
        assert "Traceback" not in without.stderr
        added = run_accord("peer", "add", "china", "--url", cn.url, "--token", token,
                           "--client-cert", str(us_client.cert), "--client-key",
                           str(us_client.key), db=us.db)
        assert added.returncode == 0, added.stderr
        assert peer_state(us.db, "china")["client_cert"] == str(us_client.cert.resolve())
        assert sync(us.db, "china").returncode == 0
    finally:
        cn.stop()


def test_serve_refuses_tls_settings_that_cannot_work_in_plain_words(
        databases: NodeDatabases, tmp_path: Path):
    node, other = self_signed(tmp_path, "node"), self_signed(tmp_path, "other")
    db = databases.new("node")
    created("init", "--party", US, db=db)
    for options, said in (
            (("--tls-cert", str(node.cert)), "--tls-cert and --tls-key go together"),
            (("--tls-cert", str(node.cert), "--tls-key", str(other.key)),
             "is not the key of the certificate"),
            (("--tls-cert", str(node.cert), "--tls-key", str(tmp_path / "none.key")),
             "cannot read it"),
            (("--tls-client-ca", str(node.cert)), "--tls-client-ca needs --tls-cert")):
        done = run_accord("serve", "--port", "1", *options, db=db, timeout=30)
        assert done.returncode == 2, done.stderr
        assert said in done.stderr and "Traceback" not in done.stderr


def test_a_server_publishing_no_valid_node_key_is_not_pinned(
        databases: NodeDatabases, tmp_path: Path):
    answer = json.dumps({"identity": {"type": "identity"}, "public_key": "not-a-key"}).encode()
    with RecordingTlsServer(self_signed(tmp_path, "odd"), answer=answer) as odd:
        db = databases.new("us")
        created("init", "--party", US, db=db)
        done = run_accord("peer", "add", "odd", "--url", odd.url, "--token", "t", db=db)
    assert done.returncode == 2 and "not an Ed25519 public key" in done.stderr
    assert "Traceback" not in done.stderr
    assert run_accord("peer", "list", "--json", db=db).stdout == ""


@pytest.mark.parametrize(("identity", "said"), [
    ({"type": "identity"}, "no id"),  # was a KeyError's traceback
    ({"type": "identity", "id": 12345}, "id 12345"),
    ({"type": "identity", "id": "indicator--00000000-0000-4000-8000-000000000001"},
     'id "indicator--'),
    ({"type": "identity", "id": ["identity--00000000-0000-4000-8000-000000000001"]},
     'id ["identity--'),
])
def test_a_server_publishing_no_stix_identity_is_not_pinned(
        databases: NodeDatabases, tmp_path: Path, identity: dict, said: str):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = base64.urlsafe_b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    answer = json.dumps({"identity": identity,
                         "public_key": key.decode().rstrip("=")}).encode()
    with RecordingTlsServer(self_signed(tmp_path, "odd"), answer=answer) as odd:
        db = databases.new("us")
        created("init", "--party", US, db=db)
        done = run_accord("peer", "add", "odd", "--url", odd.url, "--token", "t", db=db)
    assert done.returncode == 2, done.stderr
    assert "published an identity that is no STIX identity" in done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert run_accord("peer", "list", "--json", db=db).stdout == ""
