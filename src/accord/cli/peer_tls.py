"""How `peer add` and `peer repin` secure the connection to a peer: refuse plain HTTP unless
told, pin the peer's TLS certificate (first use, or a fingerprint given) or a CA, check the
client certificate, and read the peer's published node through that pin only."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.markup import escape

from accord.cli.common import err, fail
from accord.federation.answers import AnswerRefused, fetch
from accord.federation.pinning import (
    PinError,
    ca_pin,
    certificate_fingerprint,
    certificate_pin,
    parse_fingerprint,
    why_not_expected,
)
from accord.federation.signing import load_public
from accord.federation.transport import (
    CertificateRefused,
    ClientCertificate,
    PeerLink,
    PeerTlsError,
    presented_certificate,
    transport_for,
)
from accord.stix.identifiers import identifier_type
from accord.store.peers import PeerTls

Insecure = Annotated[bool, typer.Option(
    "--insecure", help="Accept an http:// URL: the token and all that is federated travel in "
                       "clear (a network you control, a test).")]
TlsFingerprint = Annotated[str | None, typer.Option(
    "--tls-fingerprint", help="Require the peer's TLS certificate to have this SHA-256 "
                              "fingerprint (SHA256:AB:CD:…), compared out of band; without it "
                              "and --tls-ca, the certificate is pinned on first use.")]
TlsCa = Annotated[Path | None, typer.Option(
    "--tls-ca", help="Pin a CA instead (PEM): the peer's certificate must be signed by it and "
                     "name the peer's host.")]
ClientCert = Annotated[Path | None, typer.Option(
    "--client-cert", help="A certificate (PEM) to present to the peer, for mutual TLS.")]
ClientKey = Annotated[Path | None, typer.Option(
    "--client-key", help="The unencrypted private key (PEM) of --client-cert.")]


def secured(name: str, url: str, insecure: bool, expected: str | None, ca_file: Path | None,
            client_cert: Path | None, client_key: Path | None, *, first_use: bool = True
            ) -> PeerTls | None:
    """The TLS pin for a peer at `url` (None: plain HTTP, accepted with --insecure, loudly).
    Without `first_use`, the certificate is never trusted on sight: a fingerprint or a CA must
    be given (a re-pin happens when a certificate changed, just when someone may be between)."""
    tls_options = expected is not None or ca_file is not None or client_cert is not None \
        or client_key is not None
    if url.startswith("http://"):
        if not insecure:
            raise fail(f"--url {url}: over http:// this node's token for the peer, and all "
                       "that is federated, would travel in clear; give the peer's https:// "
                       "URL, or --insecure to accept that on a network you control")
        if tls_options:
            raise fail("--tls-fingerprint, --tls-ca, --client-cert and --client-key need an "
                       "https:// URL")
        err.print(f"[bold red]WARNING: peer {escape(name)} at {escape(url)} is INSECURE:[/] "
                  "this node's token for it and all that is federated with it travel in "
                  "clear; anyone on the path can read them and act as this node there. Use "
                  "https:// (the peer runs `accord serve --tls-cert`) off a network you "
                  "control.")
        return None
    if insecure:
        raise fail(f"--insecure is for http:// URLs; {url} is pinned like every https:// peer")
    if expected is not None and ca_file is not None:
        raise fail("give --tls-fingerprint or --tls-ca, not both")
    if (client_cert is None) != (client_key is None):
        raise fail("give --client-cert and --client-key together")
    try:
        wanted = None if expected is None else parse_fingerprint(expected)
    except PinError as error:
        raise fail(f"--tls-fingerprint: {error}") from None
    client = None
    if client_cert is not None and client_key is not None:
        client = ClientCertificate(str(client_cert.resolve()), str(client_key.resolve()))
        try:
            client.load_into(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        except PeerTlsError as error:
            raise fail(str(error)) from None
    if ca_file is not None:
        try:
            pin = ca_pin(ca_file.read_bytes(), f"--tls-ca {ca_file}")
        except (OSError, PinError) as error:
            raise fail(f"--tls-ca {ca_file}: {getattr(error, 'strerror', None) or error}"
                       ) from None
        err.print(f"TLS: {escape(url)} must present a certificate for its host signed by "
                  f"{escape(pin.describe())}")
    else:
        try:
            der = presented_certificate(url, client)
        except PeerTlsError as error:
            raise fail(str(error)) from None
        seen = certificate_fingerprint(der)
        if wanted is None and not first_use:
            raise fail(f"{url} presents certificate {seen}: compare it with the peer's officers "
                       f"out of band, then `accord peer repin {name} --tls-fingerprint {seen}` "
                       "(or pin a CA with --tls-ca)")
        why = why_not_expected(seen, wanted)
        if why is not None:
            raise fail(f"{url}: {why}: refusing it before sending the token (a different "
                       "node, or someone in between)")
        pin = certificate_pin(der)
        err.print(f"TLS certificate of {escape(url)} pinned: {seen}")
        if wanted is None:
            err.print("(trusted on first use: compare this fingerprint with the peer's officers "
                      "out of band; if it differs, someone may be in between — have the token "
                      "revoked and re-pin with --tls-fingerprint)")
    return PeerTls(pin.kind, pin.pem, client.cert if client else None,
                   client.key if client else None)


NODE_BYTES = 2**20  # a node's identity and keys, its former keys with them: a few KB


def published_node(link: PeerLink, token: str) -> dict[str, Any]:
    """What the peer publishes at GET /api/v1/node, read through its pin: its party's identity,
    its public key (both checked present and well-formed here), and the keys it had before."""
    try:
        with httpx.Client(transport=transport_for(link), timeout=15.0) as client:
            answer = fetch(client, "GET", link.url + "api/v1/node",
                           headers={"Authorization": f"Bearer {token}"}, most_bytes=NODE_BYTES)
    except CertificateRefused as error:
        raise fail(str(error)) from None
    except (httpx.HTTPError, PeerTlsError) as error:
        raise fail(f"cannot reach {link.url}: {error}") from None
    except AnswerRefused as refused:
        raise fail(f"{refused}: is it an Accord node?") from None
    if answer.status_code == 401:
        raise fail(f"{link.url} refused the token (401): check it with the peer's administrator")
    if answer.status_code != 200:
        raise fail(f"{link.url} is not an Accord node (GET /api/v1/node answered "
                   f"{answer.status_code})")
    try:
        published = orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        raise fail(f"{link.url} is not an Accord node (GET /api/v1/node is not JSON)") from None
    identity = published.get("identity") if isinstance(published, dict) else None
    key = published.get("public_key") if isinstance(published, dict) else None
    if not isinstance(identity, dict) or not isinstance(key, str):
        raise fail(f"{link.url} published no identity and key")
    try:
        load_public(key)
    except ValueError:
        raise fail(f"{link.url} published a key that is not an Ed25519 public key") from None
    if identity.get("type") != "identity" or identifier_type(identity.get("id")) != "identity":
        raise fail(f"{link.url} published an identity that is no STIX identity (its type must "
                   "be 'identity' and its id identity--<UUID>, in lowercase; it has "
                   f"{_said(identity, 'type', 40)}, {_said(identity, 'id', 80)})")
    return published


def _said(identity: dict[str, Any], key: str, most: int) -> str:
    """A property of what a peer published, as JSON cut to `most` characters, for an error."""
    if key not in identity:
        return f"no {key}"
    return f"{key} {orjson.dumps(identity[key]).decode()[:most]}"
