"""Connections to a peer over real TLS on loopback: the pin is checked in the handshake, so a
certificate that is not the pinned one (or not signed by the pinned CA for the peer's host) is
refused before a single byte of HTTP — the token least of all — reaches the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from tests.tls_fixtures import (
    Issued,
    RecordingTlsServer,
    authority,
    reissued,
    self_signed,
    signed_by,
)

from accord.cooperation.hotline import Hotline
from accord.federation.pinning import Pin, ca_pin, certificate_pin
from accord.federation.sync import SyncError, sync_peer
from accord.federation.transport import (
    CertificateRefused,
    ClientCertificate,
    PeerLink,
    PeerTlsError,
    PinnedTransport,
)
from accord.node import Node, initialise
from accord.store.engine import writing
from accord.store.peers import PeerStore, PeerTls
from accord.store.schema import outbox

TOKEN = "accord_the-token-that-must-not-leak"


def pinned(issued: Issued) -> Pin:
    return certificate_pin(issued.certificate.public_bytes(Encoding.DER))


def get(link: PeerLink, path: str = "api/v1/node") -> httpx.Response:
    with httpx.Client(transport=PinnedTransport(link), timeout=10) as client:
        return client.get(link.url + path, headers={"Authorization": f"Bearer {TOKEN}"})


def test_the_pinned_certificate_is_reached_and_the_token_sent(tmp_path):
    node = self_signed(tmp_path, "node")
    with RecordingTlsServer(node) as server:
        assert get(PeerLink("china", server.url, pinned(node))).json() == {"fake": True}
        assert TOKEN.encode() in server.received[0]


def test_another_certificate_is_refused_naming_both_fingerprints_before_any_byte(tmp_path):
    node, impostor = self_signed(tmp_path, "node"), self_signed(tmp_path, "impostor")
    with RecordingTlsServer(impostor) as server:
        with pytest.raises(CertificateRefused) as refused:
            get(PeerLink("china", server.url, pinned(node)))
        assert server.received == []  # not one HTTP byte, so no token
        assert server.failed_handshakes >= 1
    told = str(refused.value)
    assert node.fingerprint in told and impostor.fingerprint in told
    assert f"accord peer repin china --tls-fingerprint {impostor.fingerprint}" in told


def test_a_certificate_reissued_with_the_same_key_is_a_changed_certificate(tmp_path):
    node = self_signed(tmp_path, "node")
    again = reissued(tmp_path, "again", node)
    assert again.fingerprint != node.fingerprint
    with RecordingTlsServer(again) as server:
        with pytest.raises(CertificateRefused):
            get(PeerLink("china", server.url, pinned(node)))
        assert server.received == []


def test_the_pinned_certificate_itself_is_refused_once_it_has_expired(tmp_path):
    lapsed = self_signed(tmp_path, "lapsed", days=(-60, -1))
    with RecordingTlsServer(lapsed) as server:
        with pytest.raises(CertificateRefused, match="certificate has expired"):
            get(PeerLink("china", server.url, pinned(lapsed)))
        assert server.received == []


def test_a_pinned_ca_vouches_only_for_leaves_naming_the_peers_host(tmp_path):
    root, stranger = authority(tmp_path, "root"), authority(tmp_path, "stranger")
    pin = ca_pin(root.cert.read_bytes(), "root.pem")
    good = signed_by(root, tmp_path, "good")
    elsewhere = signed_by(root, tmp_path, "elsewhere", hosts=("cn.example",))
    foreign = signed_by(stranger, tmp_path, "foreign")
    with RecordingTlsServer(good) as server:
        assert get(PeerLink("china", server.url, pin)).status_code == 200
    for refused in (elsewhere, foreign):
        with RecordingTlsServer(refused) as server:
            with pytest.raises(CertificateRefused, match=refused.fingerprint):
                get(PeerLink("china", server.url, pin))
            assert server.received == []


def test_a_pinned_certificate_is_accepted_under_any_host_name(tmp_path):
    # Exactly this certificate is trusted: sovereign nodes' self-signed ones often name
    # another host than the one a peer dials (an address, a tunnel).
    node = self_signed(tmp_path, "node", hosts=("cn.example",))
    with RecordingTlsServer(node) as server:
        assert get(PeerLink("china", server.url, pinned(node))).status_code == 200


def test_a_peer_asking_for_a_client_certificate_gets_the_one_configured(tmp_path):
    node, clients = self_signed(tmp_path, "node"), authority(tmp_path, "clients")
    ours = signed_by(clients, tmp_path, "us-client")
    with RecordingTlsServer(node, client_ca=clients.cert) as server:
        link = PeerLink("china", server.url, pinned(node), ClientCertificate(
            str(ours.cert), str(ours.key)))
        assert get(link).status_code == 200
        with pytest.raises(httpx.TransportError):
            get(PeerLink("china", server.url, pinned(node)))
        assert len(server.received) == 1  # the second got no further than the handshake


def test_a_client_certificate_that_cannot_be_loaded_is_named(tmp_path):
    node, other = self_signed(tmp_path, "node"), self_signed(tmp_path, "other")
    with pytest.raises(PeerTlsError, match="cannot use client certificate .*node.pem"):
        PinnedTransport(PeerLink("china", "https://127.0.0.1:1/", pinned(node),
                                 ClientCertificate(str(node.cert), str(other.key))))


# -- what sync and the hotline do with it (on each backend) --------------------------------------


@pytest.fixture
def cn(china: Node) -> Node:
    initialise(china, "China (CNCERT/CC)")
    return china


def add_peer(node: Node, url: str, tls: PeerTls | None) -> None:
    us = node.directory.add_party("United States (US-CERT)")
    PeerStore(node.engine).add("us", url, TOKEN, us.id, "A" * 43, tls)


def test_a_sync_with_a_changed_certificate_fails_before_the_token_is_sent(tmp_path, cn):
    node, impostor = self_signed(tmp_path, "node"), self_signed(tmp_path, "impostor")
    with RecordingTlsServer(impostor) as server:
        pin = pinned(node)
        add_peer(cn, server.url, PeerTls(pin.kind, pin.pem))
        peer = PeerStore(cn.engine).find("us")
        assert peer is not None
        with pytest.raises(SyncError) as failed:
            sync_peer(cn, peer)
        assert server.received == []
    assert impostor.fingerprint in str(failed.value) and node.fingerprint in str(failed.value)
    state = PeerStore(cn.engine).find("us")
    assert state is not None and state.last_error == str(failed.value)


def test_an_https_peer_added_before_pinning_is_not_synced_until_repinned(cn):
    add_peer(cn, "https://127.0.0.1:1/", None)
    peer = PeerStore(cn.engine).find("us")
    assert peer is not None
    with pytest.raises(SyncError, match="has no TLS pin .*`accord peer repin us`"):
        sync_peer(cn, peer)


def test_a_hotline_webhook_on_a_peers_node_is_reached_through_the_peers_pin(tmp_path, cn):
    node, impostor = self_signed(tmp_path, "node"), self_signed(tmp_path, "impostor")
    now = datetime.now(UTC)
    with RecordingTlsServer(impostor) as server:
        pin = pinned(node)
        add_peer(cn, server.url, PeerTls(pin.kind, pin.pem))
        with writing(cn.engine) as conn:
            conn.execute(outbox.insert().values(
                id="n1", created=now.isoformat(), webhook=server.url + "hotline",
                body=b'{"type": "accord.escalation"}', attempts=0,
                next_attempt="2000-01-01T00:00:00Z", delivered=None, last_error=None))
        hotline = Hotline(cn.engine)
        assert hotline.deliver_due(now) == 0
        assert server.received == []
        [waiting] = hotline.log()
        assert "refused peer us's TLS certificate" in (waiting.last_error or "")
        assert impostor.fingerprint in (waiting.last_error or "")
        # The peer's officers confirm the new certificate: re-pinned, it is delivered.
        again = pinned(impostor)
        PeerStore(cn.engine).repin("us", server.url, PeerTls(again.kind, again.pem))
        assert hotline.deliver_due(now + timedelta(hours=2)) == 1, hotline.log()
        assert server.received[0].startswith(b"POST /hotline ")
    with cn.engine.connect() as conn:
        assert conn.execute(select(outbox.c.delivered)).scalar() is not None
