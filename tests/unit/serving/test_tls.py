"""The listener's TLS settings: checked before the node starts, each fault named in words, and
what uvicorn is given (HSTS on every response, a client certificate required with a client CA)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from tests.tls_fixtures import authority, self_signed

from accord.serving.tls import HSTS, TlsSettingsError, listener_tls

NOW = datetime.now(UTC)


def test_no_tls_options_is_plain_http():
    assert listener_tls(None, None, None, NOW) is None


@pytest.mark.parametrize("given", ["cert", "key"])
def test_a_certificate_and_its_key_go_together(tmp_path, given):
    node = self_signed(tmp_path, "node")
    cert, key = (node.cert, None) if given == "cert" else (None, node.key)
    with pytest.raises(TlsSettingsError, match="--tls-cert and --tls-key go together"):
        listener_tls(cert, key, None, NOW)


def test_a_client_ca_alone_is_refused(tmp_path):
    with pytest.raises(TlsSettingsError, match="--tls-client-ca needs --tls-cert"):
        listener_tls(None, None, authority(tmp_path, "ca").cert, NOW)


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    node = self_signed(tmp_path, "node")
    with pytest.raises(TlsSettingsError, match=r"--tls-key .*missing.key: cannot read it "
                                               r"\(No such file or directory\)"):
        listener_tls(node.cert, tmp_path / "missing.key", None, NOW)
    with pytest.raises(TlsSettingsError, match=r"--tls-cert .*gone.pem: cannot read it"):
        listener_tls(tmp_path / "gone.pem", node.key, None, NOW)


def test_a_key_given_as_certificate_or_a_certificate_given_as_key_is_named(tmp_path):
    node = self_signed(tmp_path, "node")
    with pytest.raises(TlsSettingsError, match="--tls-cert .*node.key holds no PEM certificate"):
        listener_tls(node.key, node.key, None, NOW)
    with pytest.raises(TlsSettingsError, match="--tls-key .*node.pem holds no PEM private key"):
        listener_tls(node.cert, node.cert, None, NOW)


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path):
    node, other = self_signed(tmp_path, "node"), self_signed(tmp_path, "other")
    with pytest.raises(TlsSettingsError, match="other.key is not the key of the certificate"):
        listener_tls(node.cert, other.key, None, NOW)


def test_an_encrypted_key_is_refused_in_words(tmp_path):
    node = self_signed(tmp_path, "node")
    key = serialization.load_pem_private_key(node.key.read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    with pytest.raises(TlsSettingsError, match="locked.key is encrypted"):
        listener_tls(node.cert, locked, None, NOW)


def test_a_client_ca_without_a_certificate_is_refused(tmp_path):
    node = self_signed(tmp_path, "node")
    with pytest.raises(TlsSettingsError, match="--tls-client-ca .*node.key holds no PEM "
                                               "certificate"):
        listener_tls(node.cert, node.key, node.key, NOW)


def test_good_settings_give_a_context_hsts_and_the_fingerprint(tmp_path):
    node = self_signed(tmp_path, "node")
    tls = listener_tls(node.cert, node.key, None, NOW)
    assert tls is not None and tls.fingerprint == node.fingerprint and tls.warnings == ()
    assert ("Strict-Transport-Security", HSTS) in tls.uvicorn_options()["headers"]
    context = tls.server_context()
    assert context.verify_mode == ssl.CERT_NONE  # no client certificate asked for
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context is tls.server_context()  # loaded once per process


def test_a_client_ca_makes_a_client_certificate_required(tmp_path):
    node, ca = self_signed(tmp_path, "node"), authority(tmp_path, "ca")
    tls = listener_tls(node.cert, node.key, ca.cert, NOW)
    assert tls is not None
    context = tls.server_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()]  # the CA it checks clients with


def test_an_expired_certificate_is_served_with_a_warning(tmp_path):
    node = self_signed(tmp_path, "node", days=(-1, 30))
    tls = listener_tls(node.cert, node.key, None, NOW + timedelta(days=31))
    assert tls is not None and len(tls.warnings) == 1
    assert "expired on" in tls.warnings[0] and "will refuse it" in tls.warnings[0]


def test_a_chain_file_is_served_with_the_leaf_first(tmp_path: Path):
    node, ca = self_signed(tmp_path, "node"), authority(tmp_path, "ca")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(node.cert.read_bytes() + ca.cert.read_bytes())
    tls = listener_tls(chain, node.key, None, NOW)
    assert tls is not None and tls.fingerprint == node.fingerprint
