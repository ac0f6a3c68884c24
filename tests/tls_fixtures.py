"""TLS made in the tests: certificates (a self-signed leaf for 127.0.0.1 and localhost, a CA and
the leaves it signs) written as PEM files, and a fake TLS server that records every byte of
HTTP it is sent — to prove that a refused peer was sent nothing, its token least of all."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as PEM files."""

    cert: Path
    key: Path

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert.read_bytes())

    @property
    def fingerprint(self) -> str:
        """As `openssl x509 -noout -fingerprint -sha256` prints it, computed here anew."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return "SHA256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _names(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for host in hosts:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(entries)


def _issue(directory: Path, name: str, *, hosts: tuple[str, ...] = LOOPBACK,
           issuer: Issued | None = None, is_ca: bool = False, days: tuple[int, int] = (-1, 30),
           key: ec.EllipticCurvePrivateKey | None = None) -> Issued:
    directory.mkdir(parents=True, exist_ok=True)
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_key, signer_name = key, subject
    if issuer is not None:
        loaded = serialization.load_pem_private_key(issuer.key.read_bytes(), None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        signer_key, signer_name = loaded, issuer.certificate.subject
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(signer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + timedelta(days=days[0]))
               .not_valid_after(now + timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(_names(hosts), critical=False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                   ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    certificate = builder.sign(signer_key, hashes.SHA256())
    made = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    made.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    made.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return made


def self_signed(directory: Path, name: str, *, hosts: tuple[str, ...] = LOOPBACK,
                days: tuple[int, int] = (-1, 30)) -> Issued:
    """A node's own certificate, signed by nobody else (sovereign nodes often have those)."""
    return _issue(directory, name, hosts=hosts, days=days)


def authority(directory: Path, name: str) -> Issued:
    return _issue(directory, name, is_ca=True)


def signed_by(ca: Issued, directory: Path, name: str, *,
              hosts: tuple[str, ...] = LOOPBACK) -> Issued:
    return _issue(directory, name, hosts=hosts, issuer=ca)


def reissued(directory: Path, name: str, same_key_as: Issued) -> Issued:
    """Another self-signed certificate with the key (and subject) of `same_key_as`."""
    loaded = serialization.load_pem_private_key(same_key_as.key.read_bytes(), None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    subject = same_key_as.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return _issue(directory / name, str(subject[0].value), key=loaded)


@dataclass
class RecordingTlsServer:
    """A TLS server on loopback that answers each request with `answer` and records what it
    was sent after each handshake (`received`) and how many handshakes failed."""

    served: Issued
    client_ca: Path | None = None
    answer: bytes = b'{"fake": true}'
    received: list[bytes] = field(default_factory=list)
    failed_handshakes: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.served.cert, self.served.key)
        if self.client_ca is not None:
            self.context.load_verify_locations(self.client_ca)
            self.context.verify_mode = ssl.CERT_REQUIRED
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return  # closed
            with raw:
                raw.settimeout(5)
                try:
                    tls = self.context.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    self.failed_handshakes += 1
                    continue
                self._answer(tls)

    def _answer(self, tls: ssl.SSLSocket) -> None:
        got = b""
        try:
            while not _is_whole_request(got):
                chunk = tls.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ssl.SSLError, OSError):
            pass
        if got:
            self.received.append(got)
            with contextlib.suppress(ssl.SSLError, OSError):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Connection: close\r\nContent-Length: "
                            + str(len(self.answer)).encode() + b"\r\n\r\n" + self.answer)
        with contextlib.suppress(OSError):
            tls.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # shutdown wakes the accept() under way
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RecordingTlsServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _is_whole_request(got: bytes) -> bool:
    """Whether the head and the body (by its Content-Length) arrived: a server that closes
    with bytes unread resets the connection, and the client may lose the answer."""
    head, found, body = got.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True
