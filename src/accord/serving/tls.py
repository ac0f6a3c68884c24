"""TLS on the node's listener: the certificate and key `accord serve` is given, checked before
it starts (a plain message, never a traceback), HSTS on every response, and optional mutual TLS
(a client certificate signed by a given CA, required before any HTTP is read; the token is
still required after it: the certificate says who may connect, the token who speaks)."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.federation.pinning import (
    PinError,
    certificate_fingerprint,
    certificates_in,
    expiry_warning,
)

# A year: browsers and clients that saw the node over TLS refuse plain HTTP to it meanwhile.
# No includeSubDomains: the node's domain may serve other things, not ours to decide.
HSTS = "max-age=31536000"
# For TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are all of that kind already).
CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


class TlsSettingsError(ValueError):
    """--tls-cert, --tls-key or --tls-client-ca cannot be served with; the message says why."""


@dataclass(frozen=True, slots=True)
class ListenerTls:
    """TLS settings checked to work: the files, and what `accord serve` tells its operator."""

    cert: Path
    key: Path
    client_ca: Path | None
    fingerprint: str  # of the node's certificate: what peers' officers compare out of band
    warnings: tuple[str, ...] = ()

    def uvicorn_options(self) -> dict[str, Any]:
        """The keyword arguments of uvicorn.run that go with these settings: HSTS. uvicorn is
        not given the certificate: the listener (accord.serving.listener) begins TLS itself
        on each connection it has counted, so that a handshake is held to its limits."""
        return {"headers": [("Strict-Transport-Security", HSTS)]}

    def server_context(self) -> ssl.SSLContext:
        """The context a connection's handshake runs with, made once per process (each
        worker loads the files itself)."""
        return _server_context(self.cert, self.key, self.client_ca)


@functools.lru_cache(maxsize=4)
def _server_context(cert: Path, key: Path, client_ca: Path | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.set_ciphers(CIPHERS)
    context.set_alpn_protocols(["http/1.1"])
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def listener_tls(cert: Path | None, key: Path | None, client_ca: Path | None,
                 now: datetime) -> ListenerTls | None:
    """The listener's TLS from the serve options (None: plain HTTP); raises TlsSettingsError
    naming the option and file at fault."""
    if cert is None and key is None:
        if client_ca is not None:
            raise TlsSettingsError("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS "
                                   "is TLS first")
        return None
    if cert is None or key is None:
        raise TlsSettingsError("--tls-cert and --tls-key go together: give both (or neither, "
                               "for plain HTTP behind a TLS proxy)")
    chain = _certificates(cert, "--tls-cert")
    private = _private_key(key)
    if _spki(chain[0].public_key()) != _spki(private.public_key()):
        raise TlsSettingsError(f"--tls-key {key} is not the key of the certificate in "
                               f"--tls-cert {cert}")
    if client_ca is not None:
        _certificates(client_ca, "--tls-client-ca")
    try:  # what uvicorn will do in each worker: anything else wrong shows here, in words
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if client_ca is not None:
            context.load_verify_locations(client_ca)
    except ssl.SSLError as error:
        raise TlsSettingsError(f"--tls-cert {cert} with --tls-key {key}: {error.reason or error}"
                               ) from None
    expired = expiry_warning(chain[0], now)
    warnings = () if expired is None else (
        f"the certificate in --tls-cert {cert} {expired}: clients and peers will refuse it",)
    return ListenerTls(cert, key, client_ca, certificate_fingerprint(chain[0]), warnings)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TlsSettingsError(f"{option} {path}: cannot read it ({error.strerror or error})"
                               ) from None


def _certificates(path: Path, option: str) -> list[x509.Certificate]:
    try:
        return certificates_in(_read(path, option), f"{option} {path}")
    except PinError as error:
        raise TlsSettingsError(str(error)) from None


def _private_key(path: Path) -> Any:
    data = _read(path, "--tls-key")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise TlsSettingsError(f"--tls-key {path} is encrypted: give it unencrypted (its file "
                               "permissions protect it)") from None
    except ValueError:
        raise TlsSettingsError(f"--tls-key {path} holds no PEM private key "
                               "(-----BEGIN PRIVATE KEY-----)") from None


def _spki(public: Any) -> bytes:
    return bytes(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
