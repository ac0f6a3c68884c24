"""The pin kept for a peer's TLS certificate: fingerprints as officers compare them, what is
pinned, and what an officer is told when a certificate fails its pin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.tls_fixtures import authority, self_signed, signed_by

from accord.federation.pinning import (
    Pin,
    PinError,
    ca_pin,
    certificate_fingerprint,
    certificate_pin,
    expiry_warning,
    parse_fingerprint,
    refusal,
    why_not_expected,
)

HEX = "B00AE9429090F3A83197E2D0D6B0221E098365A523F415B5BCCFF53143F03AF7"
CANONICAL = "SHA256:" + ":".join(HEX[i:i + 2] for i in range(0, 64, 2))


def test_a_certificate_fingerprint_is_what_openssl_prints_for_it(tmp_path):
    node = self_signed(tmp_path, "node")
    assert certificate_fingerprint(node.certificate) == node.fingerprint
    assert certificate_pin(_der(node)).fingerprint == node.fingerprint


@pytest.mark.parametrize("pasted", [
    CANONICAL, CANONICAL.lower(), HEX, HEX.lower(), f"sha256 Fingerprint={CANONICAL[7:]}",
    f"  {CANONICAL}\n", "SHA256:" + " ".join(HEX[i:i + 2] for i in range(0, 64, 2)),
])
def test_a_fingerprint_is_read_however_people_paste_it(pasted):
    assert parse_fingerprint(pasted) == CANONICAL


@pytest.mark.parametrize("pasted", [
    "", "SHA256:", CANONICAL[:-3], CANONICAL + ":00", "SHA256:-mZ9qkz_r1ZJeyY1lOO4_nE-h6D",
    CANONICAL.replace("B0", "G0"), "MD5:" + HEX,
])
def test_what_is_not_a_sha256_fingerprint_is_refused_saying_what_to_give(pasted):
    with pytest.raises(PinError, match="64 hex digits"):
        parse_fingerprint(pasted)


@given(st.binary(min_size=32, max_size=32))
def test_any_digest_survives_being_shown_and_read_back(digest):
    shown = "SHA256:" + ":".join(f"{b:02X}" for b in digest)
    assert parse_fingerprint(shown[7:].replace(":", "").lower()) == shown
    assert parse_fingerprint(shown.lower()) == shown


def test_only_a_different_fingerprint_is_a_reason_to_refuse():
    assert why_not_expected(CANONICAL, None) is None
    assert why_not_expected(CANONICAL, HEX.lower()) is None
    other = "SHA256:" + ":".join(["00"] * 32)
    why = why_not_expected(other, CANONICAL)
    assert why is not None and other in why and CANONICAL in why


def test_a_ca_pin_keeps_every_certificate_of_the_file_and_refuses_a_file_without_one(tmp_path):
    root, other = authority(tmp_path, "root"), authority(tmp_path, "other")
    pin = ca_pin(root.cert.read_bytes() + other.cert.read_bytes(), "ca.pem")
    assert pin.kind == "ca" and pin.pem.count("BEGIN CERTIFICATE") == 2
    assert pin.fingerprint == root.fingerprint
    assert pin.describe().startswith("CA CN=root")
    with pytest.raises(PinError, match="key.pem holds no PEM certificate"):
        ca_pin(root.key.read_bytes(), "key.pem")
    with pytest.raises(PinError, match="holds no PEM certificate"):
        ca_pin(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
               "broken.pem")


def test_the_refusal_names_the_pinned_and_the_seen_fingerprint_and_how_to_repin(tmp_path):
    pinned, seen = self_signed(tmp_path, "pinned"), self_signed(tmp_path / "b", "seen")
    told = refusal("china", "https://cn.example/", certificate_pin(_der(pinned)),
                   seen.fingerprint, "self-signed certificate")
    assert pinned.fingerprint in told and seen.fingerprint in told
    assert "before sending anything" in told
    assert f"accord peer repin china --tls-fingerprint {seen.fingerprint}" in told
    unseen = refusal("china", "https://cn.example/", certificate_pin(_der(pinned)), None, "x")
    assert "(none could be read)" in unseen and "--tls-fingerprint SHA256:…" in unseen


def test_a_ca_signed_leaf_is_described_by_its_ca_when_the_ca_is_pinned(tmp_path):
    root = authority(tmp_path, "root")
    leaf = signed_by(root, tmp_path, "leaf")
    assert Pin("ca", root.cert.read_text()).describe() == f"CA CN=root ({root.fingerprint})"
    assert certificate_pin(_der(leaf)).describe() == f"certificate {leaf.fingerprint}"


def test_a_certificate_out_of_its_validity_is_told_plainly(tmp_path):
    certificate = self_signed(tmp_path, "node", days=(-1, 30)).certificate
    now = datetime.now(UTC)
    assert expiry_warning(certificate, now) is None
    assert "expired on" in (expiry_warning(certificate, now + timedelta(days=31)) or "")
    assert "not valid before" in (expiry_warning(certificate, now - timedelta(days=2)) or "")


def _der(issued):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return issued.certificate.public_bytes(Encoding.DER)
