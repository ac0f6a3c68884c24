"""Which TLS certificate a peer's node must present: the pin kept with the peer in this node's
database, either the peer's own certificate (trusted on first use, or required by its
fingerprint) or a CA that must have signed it for the peer's host name. Pure: no network."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

PinKind = Literal["certificate", "ca"]

# What officers compare out of band; the form `openssl x509 -noout -fingerprint -sha256` and
# browsers show, so that either side can read it off its own tools.
_HEX = re.compile(r"[0-9a-f]{64}")


class PinError(ValueError):
    """A fingerprint or a certificate file that cannot be a pin."""


@dataclass(frozen=True, slots=True)
class Pin:
    """What a peer's TLS certificate is checked against, before anything is sent to it."""

    kind: PinKind
    pem: str  # the peer's certificate, or the CA certificate(s)

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the pinned certificate (for a CA: of its first certificate)."""
        return certificate_fingerprint(certificates_in(self.pem.encode(), "the pin")[0])

    def describe(self) -> str:
        if self.kind == "certificate":
            return f"certificate {self.fingerprint}"
        first = certificates_in(self.pem.encode(), "the pin")[0]
        return f"CA {first.subject.rfc4514_string() or '(no subject)'} ({self.fingerprint})"


def certificate_fingerprint(certificate: x509.Certificate | bytes) -> str:
    """"SHA256:" and the SHA-256 of the certificate's DER, in colon-separated upper-case hex."""
    der = certificate if isinstance(certificate, bytes) \
        else certificate.public_bytes(Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def parse_fingerprint(text: str) -> str:
    """A SHA-256 certificate fingerprint as people paste it (SHA256:AB:CD:…, the line openssl
    prints, bare hex, any case) in the one form this node shows."""
    bare = text.strip()
    for prefix in ("sha256 fingerprint=", "sha256:"):
        if bare.lower().startswith(prefix):
            bare = bare[len(prefix):]
    digits = re.sub(r"[:\s]", "", bare).lower()
    if not _HEX.fullmatch(digits):
        raise PinError(f"{text!r} is not a SHA-256 certificate fingerprint: give its 64 hex "
                       "digits (SHA256:AB:CD:…), as `openssl x509 -noout -fingerprint -sha256 "
                       "-in CERT` prints them")
    upper = digits.upper()
    return "SHA256:" + ":".join(upper[i:i + 2] for i in range(0, 64, 2))


def certificates_in(pem: bytes, where: str) -> list[x509.Certificate]:
    """The certificates of a PEM file (`where` names it in the error)."""
    try:
        found = x509.load_pem_x509_certificates(pem)
    except ValueError:
        found = []
    if not found:
        raise PinError(f"{where} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return found


def certificate_pin(der: bytes) -> Pin:
    """Pin exactly this certificate, as the peer presented it."""
    certificate = x509.load_der_x509_certificate(der)
    return Pin("certificate", certificate.public_bytes(Encoding.PEM).decode())


def ca_pin(pem: bytes, where: str) -> Pin:
    """Pin a CA: the peer's certificate must be signed by it and name the peer's host."""
    found = certificates_in(pem, where)
    return Pin("ca", "".join(c.public_bytes(Encoding.PEM).decode() for c in found))


def why_not_expected(seen: str, expected: str | None) -> str | None:
    """Why a certificate seen with fingerprint `seen` is not the one required (None: it is,
    or none was required)."""
    if expected is None or parse_fingerprint(expected) == seen:
        return None
    return f"it presented certificate {seen}, not {parse_fingerprint(expected)}"


def refusal(name: str, url: str, pin: Pin, seen: str | None, reason: str) -> str:
    """What to tell an officer when a peer's certificate fails its pin: what was expected, what
    was seen, that nothing was sent, and how to re-pin deliberately."""
    shown = seen or "(none could be read)"
    return (f"{url}: refused peer {name}'s TLS certificate before sending anything: it "
            f"presented {shown}, but {pin.describe()} is pinned ({reason}). Someone may be in "
            "between, or the peer changed its certificate: compare the new fingerprint with the "
            f"peer's officers out of band, then `accord peer repin {name} --tls-fingerprint "
            f"{shown if seen else 'SHA256:…'}`")


def expiry_warning(certificate: x509.Certificate, now: datetime) -> str | None:
    """A plain warning when a certificate is not (or no longer) valid at `now`."""
    if now < certificate.not_valid_before_utc:
        return f"is not valid before {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    if now > certificate.not_valid_after_utc:
        return f"expired on {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    return None
