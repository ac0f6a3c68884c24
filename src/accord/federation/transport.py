"""How this node connects to a peer's node: over TLS checked against the peer's pin (and
presenting this node's client certificate, when the peer asks for one), so that a certificate
that is not the pinned one ends the connection in the handshake, before any HTTP byte (the
token least of all) leaves this node. Every connection to a peer goes through here: `peer add`,
sync rounds, hotline delivery; each is timed as federation.answers says."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import httpx

from accord.federation.answers import TimedTransport
from accord.federation.pinning import Pin, PinKind, certificate_fingerprint, refusal
from accord.store.peers import Peer, PeerTls


class PeerTlsError(Exception):
    """A peer that cannot be reached over TLS as pinned: unreachable, not TLS, no pin, or a
    client certificate that cannot be loaded. The message says what to do."""


class CertificateRefused(httpx.ConnectError):
    """The peer presented a certificate its pin does not accept; nothing was sent to it."""


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """What this node presents to a peer that requires mutual TLS: PEM files, by path."""

    cert: str
    key: str

    def load_into(self, context: ssl.SSLContext) -> None:
        try:
            context.load_cert_chain(self.cert, self.key)
        except OSError as error:  # ssl.SSLError is an OSError: mismatch, bad PEM, unreadable
            raise PeerTlsError(f"cannot use client certificate {self.cert} with key "
                               f"{self.key}: {_plain(error)} (both PEM files, the key "
                               "unencrypted and matching the certificate)") from None


@dataclass(frozen=True, slots=True)
class PeerLink:
    """How to reach one peer: its name (for messages), base URL, pin and client certificate."""

    name: str
    url: str
    pin: Pin | None
    client: ClientCertificate | None = None

    @property
    def is_insecure(self) -> bool:
        """Plain HTTP: the token and everything else travel in clear."""
        return self.url.startswith("http://")


def peer_link(peer: Peer) -> PeerLink:
    """How to reach a stored peer."""
    return link_of(peer.name, peer.url, peer.tls)


def link_of(name: str, url: str, tls: PeerTls | None) -> PeerLink:
    """How to reach a peer at `url` with the TLS settings `tls` (stored, or about to be)."""
    if tls is None:
        return PeerLink(name, url, None)
    client = ClientCertificate(tls.client_cert, tls.client_key) \
        if tls.client_cert is not None and tls.client_key is not None else None
    return PeerLink(name, url, pin_of(tls), client)


def pin_of(tls: PeerTls) -> Pin:
    kind: PinKind = "ca" if tls.pin_kind == "ca" else "certificate"
    return Pin(kind, tls.pin)


def pinned_context(pin: Pin, client: ClientCertificate | None) -> ssl.SSLContext:
    """A client SSLContext whose only trust anchors are the pin: the pinned certificate itself
    (accepted as a chain of one, whatever its host name, as it is exactly the one pinned), or
    the pinned CA (which must have signed a certificate naming the peer's host). The system's
    CAs are not trusted: any of them could vouch for a name they do not own."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cadata=pin.pem)
    if pin.kind == "certificate":
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.check_hostname = False
    if client is not None:
        client.load_into(context)
    return context


def presented_certificate(url: str, client: ClientCertificate | None = None,
                          timeout: float = 15.0) -> bytes:
    """The DER certificate the server at `url` presents, read in a TLS handshake that sends
    nothing after it (what `peer add` shows and pins on first use)."""
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # read it, trust nothing yet
    if client is not None:
        client.load_into(context)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLError as error:
        raise PeerTlsError(f"{url} does not speak TLS as expected ({_plain(error)}): is it "
                           "an https:// node?") from None
    except OSError as error:
        raise PeerTlsError(f"cannot reach {url}: {_plain(error)}") from None
    if not der:
        raise PeerTlsError(f"{url} presented no TLS certificate")
    return der


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport to one peer, verifying its pin in each handshake; a refusal names the
    pinned and the presented fingerprints (CertificateRefused)."""

    def __init__(self, peer: PeerLink, timeout: float = 15.0) -> None:
        if peer.pin is None:
            raise PeerTlsError(f"peer {peer.name} ({peer.url}) has no TLS pin (it was added "
                               "before pinning): `accord peer repin "
                               f"{peer.name}` pins its certificate")
        self.peer, self.pin, self.timeout = peer, peer.pin, timeout
        self.inner = TimedTransport(verify=pinned_context(peer.pin, peer.client))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.inner.handle_request(request)
        except httpx.ConnectError as error:
            failed = _verification_failure(error)
            if failed is None:
                raise
            try:
                seen: str | None = certificate_fingerprint(presented_certificate(
                    str(request.url), self.peer.client, self.timeout))
            except PeerTlsError:
                seen = None
            raise CertificateRefused(refusal(
                self.peer.name, self.peer.url, self.pin, seen,
                failed.verify_message or "verification failed"), request=request) from None

    def close(self) -> None:
        self.inner.close()


def transport_for(peer: PeerLink) -> httpx.BaseTransport:
    """The transport every connection to `peer` goes through: pinned TLS for https://, plain
    HTTP for a peer added with --insecure."""
    if peer.is_insecure:
        return TimedTransport()
    return PinnedTransport(peer)


class ByOrigin(httpx.BaseTransport):
    """Connections to any URL (hotline webhooks): one on a peer's origin (scheme, host and
    port) goes through that peer's transport, pinned; any other as usual (the system's CAs)."""

    def __init__(self, peers: list[Peer]) -> None:
        self.links = {_origin(httpx.URL(p.url)): peer_link(p) for p in peers}
        self.opened: dict[tuple[str, str, int], httpx.BaseTransport] = {}
        self.elsewhere = TimedTransport(trust_env=True)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin = _origin(request.url)
        peer = self.links.get(origin)
        if peer is None:
            return self.elsewhere.handle_request(request)
        if origin not in self.opened:
            try:
                self.opened[origin] = transport_for(peer)
            except PeerTlsError as error:
                raise httpx.ConnectError(str(error), request=request) from None
        return self.opened[origin].handle_request(request)

    def close(self) -> None:
        for each in [*self.opened.values(), self.elsewhere]:
            each.close()


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host.lower(), url.port or (443 if url.scheme == "https" else 80)


def _verification_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _plain(error: OSError) -> str:
    return str(getattr(error, "reason", None) or error.strerror or error)
