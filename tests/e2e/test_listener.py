"""The listener against a hostile network: a real `accord serve`, attacked with raw sockets.

Each test reproduces one finding of the security review (slow heads and bodies held open,
50 MB heads read in full, idle sockets kept, long URLs answered in plain text). The server runs
with short timeouts so that the suite stays quick; the sizes are the defaults.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from tests.e2e.conftest import ACCORD, TAXII, NodeDatabases, created, serving, serving_process

# Short enough for a quick suite; the checks below allow a second more for a loaded machine.
LIMITS = ("--header-timeout", "1s", "--idle-timeout", "0.5s", "--body-timeout", "1s",
          "--min-body-rate", "1MiB", "--max-connections", "24",
          "--max-connections-per-source", "4")
QUIET = ("--tick", "0", "--sync-every", "0")
SLACK = 1.5  # seconds a timeout may be late by on a busy two-core machine


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    token: str
    log: Path


def port_of(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def server(module_databases: NodeDatabases) -> Iterator[Server]:
    work = module_databases.folder
    db = module_databases.new("node")
    token = created("init", "--party", "Alpha CERT", db=db)
    with serving_process(db, work / "serve.log", options=(*QUIET, *LIMITS)) as (url, process):
        yield Server(port_of(url), process.pid, token, work / "serve.log")


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A TCP connection to the server from SOURCE (any of 127.0.0.0/8 is this machine)."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it
    (seconds from now); fails the test if it is still open after WITHIN seconds."""
    start = time.monotonic()
    received = b""
    while True:
        sock.settimeout(max(0.01, start + within - time.monotonic()))
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        except TimeoutError:
            pytest.fail(f"the connection was still open after {within} s")
        if not data:
            return received, time.monotonic() - start
        received += data


def taxii_error(answer: bytes) -> tuple[int, dict[str, str]]:
    """The status of a raw HTTP answer, checked to be one TAXII error message in TAXII JSON."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    assert headers["content-type"] == TAXII
    assert int(headers["content-length"]) == len(body)
    error = orjson.loads(body)
    assert error["http_status"] == str(status) and error["description"]
    assert error["title"] == {414: "URI Too Long", 431: "Request Header Fields Too Large"}.get(
        status, error["title"])  # the status's own words, not a bare "Error"
    return status, headers


def test_a_connection_that_sends_nothing_is_closed_silently_within_the_header_timeout(
        server: Server):
    with closing(connect(server.port)) as sock:
        answer, after = read_until_closed(sock, 1 + SLACK)
    assert answer == b""  # nothing was asked, so nothing is answered


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout(server: Server):
    with closing(connect(server.port)) as sock:
        sock.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: node\r\n\r\n")
        answer, after = read_until_closed(sock, 0.5 + SLACK)
    assert answer.startswith(b"HTTP/1.1 401 ")  # answered, kept alive, then closed when idle
    assert b"connection: close" not in answer.lower()


def drip(sock: socket.socket, data: bytes, every: float, stop: threading.Event) -> None:
    """Send DATA one byte every EVERY seconds until STOP or the server closes."""
    for byte in data:
        if stop.wait(every):
            return
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return


def test_slowly_sent_heads_are_answered_408_and_closed(server: Server):
    # Twenty slowloris connections from five addresses, four each (the per-source cap).
    socks = [connect(server.port, f"127.0.0.{10 + n % 5}") for n in range(20)]
    stop = threading.Event()
    for sock in socks:
        sock.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: node\r\n")
        threading.Thread(target=drip, args=(sock, b"X-Slow: " + b"a" * 100, 0.1, stop),
                         daemon=True).start()
    try:
        for sock in socks:
            answer, _ = read_until_closed(sock, 1 + SLACK)
            assert taxii_error(answer)[0] == 408
    finally:
        stop.set()
        for sock in socks:
            sock.close()


def post_head(server: Server, length: int) -> bytes:
    return (f"POST /taxii2/accord/collections/evidence/objects/ HTTP/1.1\r\nHost: node\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Type: {TAXII}\r\n"
            f"Accept: {TAXII}\r\nContent-Length: {length}\r\n\r\n").encode()


def test_a_slowly_sent_body_is_answered_408_and_closed(server: Server):
    # 200,000 bytes at 1 MiB/s after a grace of 1 s: the whole body is due within 1.2 s.
    with closing(connect(server.port)) as sock:
        sock.sendall(post_head(server, 200_000) + b'{"objects": [')
        stop = threading.Event()
        threading.Thread(target=drip, args=(sock, b" " * 1000, 0.05, stop), daemon=True).start()
        try:
            answer, _ = read_until_closed(sock, 1.2 + SLACK)
        finally:
            stop.set()
    assert taxii_error(answer)[0] == 408
    time.sleep(0.2)  # the app sees the body end: a client gone, not a failure to log
    assert "Traceback" not in server.log.read_text()


def test_a_body_sent_at_a_real_links_rate_is_taken(server: Server):
    envelope = orjson.dumps({"objects": [
        {"type": "note", "spec_version": "2.1", "id": f"note--00000000-0000-4000-8000-{n:012d}",
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "content": "x" * 5000, "object_refs": ["identity--00000000-0000-4000-8000-000000000000"]}
        for n in range(400)]})  # 2.1 MB: due within 1 s + 2.1 MB at 1 MiB/s = 3 s
    with closing(connect(server.port)) as sock:
        sock.sendall(post_head(server, len(envelope)))
        pieces = [envelope[i:i + len(envelope) // 10 + 1]
                  for i in range(0, len(envelope), len(envelope) // 10 + 1)]
        for piece in pieces:  # over 1.5 s: slower than loopback, faster than the minimum rate
            sock.sendall(piece)
            time.sleep(0.15)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 202 "), answer[:300]


def send_head_of(sock: socket.socket, size: int) -> int:
    """Send a request whose one header is SIZE bytes long; how many bytes went before the
    server stopped taking them."""
    sent = 0
    try:
        sock.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: node\r\nX-Huge: ")
        block = b"a" * 65536
        while sent < size:
            sock.sendall(block)
            sent += len(block)
    except OSError:  # refused and closed: the rest of the head is not read
        pass
    return sent


def test_a_50_mb_head_is_refused_with_431_without_being_read(server: Server):
    with closing(connect(server.port)) as sock:
        sock.settimeout(10)
        sent = send_head_of(sock, 50 * 1024 * 1024)
        answer, _ = read_until_closed(sock, SLACK)
    assert sent < 20 * 1024 * 1024  # what the sockets' kernel buffers hold, no more
    status, headers = taxii_error(answer)
    assert status == 431 and headers["connection"] == "close"


def resident_memory(pid: int) -> int:
    """The resident memory of process PID, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def test_ten_unfinished_20_mb_heads_hold_no_memory(server: Server):
    before = resident_memory(server.pid)
    peak = before
    socks = [connect(server.port, f"127.0.0.{20 + n % 5}") for n in range(10)]
    senders = [threading.Thread(target=send_head_of, args=(sock, 20 * 1024 * 1024))
               for sock in socks]
    for sender in senders:
        sender.start()
    while any(sender.is_alive() for sender in senders):
        peak = max(peak, resident_memory(server.pid))
        time.sleep(0.02)
    for sock in socks:
        sock.close()
    # Before the limit the ten heads held 140 MB; now each holds at most 64 KiB.
    assert peak - before < 16 * 1024 * 1024, f"grew by {(peak - before) >> 20} MiB"


def test_a_url_over_64_kib_is_answered_414_in_taxii_json(server: Server):
    with closing(connect(server.port)) as sock:
        sock.sendall(b"GET /taxii2/?match[id]=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer, _ = read_until_closed(sock, SLACK)
    assert taxii_error(answer)[0] == 414


def test_a_url_within_the_limit_is_served(server: Server):
    answer = httpx.get(f"http://127.0.0.1:{server.port}/taxii2/?match[id]=" + "a" * 60_000,
                       headers={"Authorization": f"Bearer {server.token}", "Accept": TAXII})
    assert answer.status_code == 200


def test_a_request_that_is_not_http_is_answered_400_in_taxii_json(server: Server):
    with closing(connect(server.port)) as sock:
        sock.sendall(b"HELLO THERE\r\n\r\n")
        answer, _ = read_until_closed(sock, SLACK)
    assert taxii_error(answer)[0] == 400


def held_open(port: int, source: str) -> socket.socket:
    """A connection that has sent half a head (the server holds it until the head timeout)."""
    sock = connect(port, source)
    sock.sendall(b"GET /taxii2/ HTTP/1.1\r\n")
    return sock


def wait_for_room(port: int) -> None:
    """Until the server has noticed connections closed by earlier tests (it counts them)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if httpx.get(f"http://127.0.0.1:{port}/taxii2/").status_code != 503:
            return
        time.sleep(0.05)


def test_one_source_cannot_take_another_sources_place(server: Server):
    wait_for_room(server.port)
    held = [held_open(server.port, "127.0.0.2") for _ in range(4)]
    try:
        with closing(connect(server.port, "127.0.0.2")) as fifth:
            answer, _ = read_until_closed(fifth, SLACK)
        status, headers = taxii_error(answer)
        assert status == 503 and "127.0.0.2" in orjson.loads(answer.partition(b"\r\n\r\n")[2])[
            "description"] and headers["retry-after"]
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3")) as other:
            assert other.get(f"http://127.0.0.1:{server.port}/taxii2/",
                             headers={"Authorization": f"Bearer {server.token}",
                                      "Accept": TAXII}).status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_the_connections_of_a_worker_are_capped(server: Server):
    wait_for_room(server.port)
    held = [held_open(server.port, f"127.0.0.{30 + n % 6}") for n in range(24)]
    try:
        with closing(connect(server.port, "127.0.0.40")) as late:
            answer, _ = read_until_closed(late, SLACK)
        assert taxii_error(answer)[0] == 503
    finally:
        for sock in held:
            sock.close()
    wait_for_room(server.port)
    assert httpx.get(f"http://127.0.0.1:{server.port}/taxii2/").status_code == 401


def test_the_limits_are_kept_and_reach_every_worker(databases: NodeDatabases, tmp_path: Path):
    db = databases.new("node")
    created("init", "--party", "Beta CERT", db=db)
    # One process whatever ACCORD_TEST_SERVERS says: the sockets below must reach its
    # listener itself, not the round-robin proxy (which holds them open on its own terms).
    with serving(db, tmp_path / "1.log", options=(*QUIET, "--header-timeout", "1s",
                                                  "--idle-timeout", "1s"), servers=1):
        pass
    with serving(db, tmp_path / "2.log", options=(*QUIET, "--workers", "2"),
                 servers=1) as url:
        socks = [connect(port_of(url)) for _ in range(8)]
        for sock in socks:  # both workers took some: each closes them within its timeout
            with closing(sock):
                assert read_until_closed(sock, 1 + SLACK)[0] == b""


def test_a_limit_that_is_not_a_duration_is_refused_by_name(tmp_path: Path):
    # Refused before any database is opened: no node database needed.
    done = subprocess.run([str(ACCORD), "serve", "--db", str(tmp_path / "x.db"),
                           "--header-timeout", "soon"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "--header-timeout" in done.stderr and "soon" in done.stderr


def test_a_port_in_use_is_said_before_anything_else(tmp_path: Path):
    # The whole banner ("TAXII 2.1 discovery …, Try: curl …") came first, then uvicorn's
    # "[Errno 98] error while attempting to bind", and a new node was made on the way.
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(ACCORD), "serve", "--db", str(tmp_path / "n.db"), "--host", "127.0.0.1",
             "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in done.stderr
    assert "discovery" not in done.stderr and "Errno" not in done.stderr
    assert not (tmp_path / "n.db").exists()


def test_trailers_after_a_chunked_body_count_against_the_head_limit(server: Server):
    # After the last chunk, "a:b" lines were counted by nothing and kept, each one, in the
    # request's headers: 50 MB of them held 1.2 GB of the server's memory, before any token.
    with closing(connect(server.port)) as sock:
        sock.settimeout(10)
        sock.sendall(b"POST /taxii2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"1\r\na\r\n0\r\n")
        sent = 0
        try:
            while sent < 8 * 1024 * 1024:
                sock.sendall(b"a:b\r\n" * 20_000)
                sent += 100_000
        except OSError:
            pass  # refused and closed on the way: what is being tested
        answer, _ = read_until_closed(sock, SLACK)
    # The app may have answered the request (a 405 here) before its trailers came: the
    # refusal is the last answer on the connection, which it closes.
    last = answer[answer.rindex(b"HTTP/1.1 "):]
    status, headers = taxii_error(last)
    assert status == 431 and headers["connection"] == "close"
    assert sent < 8 * 1024 * 1024
