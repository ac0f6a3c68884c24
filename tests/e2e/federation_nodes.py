"""Sovereign nodes for end-to-end federation tests: each a real `accord serve` on its own
database and port, set up, met and synced through the command line only."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import httpx
from tests.e2e.conftest import ACCORD, NodeDatabases, created, run_accord, sql
from tests.e2e.ports import free_port

MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"


class Node:
    """A node, one `accord serve` process (tests kill and restart it), on a new database of
    the test's backend; with `tls` (accord serve's options, e.g. --tls-cert FILE --tls-key
    FILE) it serves https://."""

    def __init__(self, databases: NodeDatabases, name: str, party: str,
                 tls: tuple[str, ...] = ()) -> None:
        self.db, self.log, self.party = databases.new(name), databases.folder / f"{name}.log", party
        self.port = free_port()
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/"
        self.server: subprocess.Popen[bytes] | None = None
        created("init", "--party", party, db=self.db)

    def start(self, sync_every: str = "0", *more: str) -> None:
        with self.log.open("ab") as sink:
            self.server = subprocess.Popen(
                [str(ACCORD), "serve", "--db", self.db, "--port", str(self.port), "--tick", "0",
                 "--sync-every", sync_every, *self.tls, *more],
                stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60  # workers start slowly on a busy machine
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                break
            try:
                httpx.get(self.url + "taxii2/", timeout=1, verify=False)
                return
            except (httpx.ConnectError, httpx.ConnectTimeout):
                time.sleep(0.1)
            except httpx.TransportError:
                if self.tls:  # listening: a mutual-TLS node ended the handshake, as it should
                    return
                time.sleep(0.1)
        raise AssertionError(self.log.read_text())

    def kill(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=10)


def meet(a: Node, a_peer: str, b: Node, b_peer: str, a_pins_b: tuple[str, ...] = (),
         b_pins_a: tuple[str, ...] = ()) -> None:
    """a and b pin each other (a is named b_peer on b, b is named a_peer on a), with the
    options given to each `peer add` (an http:// node is accepted --insecure)."""
    created("party", "add", a.party, db=b.db)
    token_on_b = created("token", "create", "--party", a.party, "--role", "liaison", db=b.db)
    created("peer", "add", a_peer, "--url", b.url, "--token", token_on_b, *_plain(b),
            *a_pins_b, db=a.db)
    token_on_a = created("token", "create", "--party", b.party, "--role", "liaison", db=a.db)
    created("peer", "add", b_peer, "--url", a.url, "--token", token_on_a, "--party", a.party,
            *_plain(a), *b_pins_a, db=b.db)


def _plain(node: Node) -> tuple[str, ...]:
    return () if node.tls else ("--insecure",)


def pulled_some(db: str) -> bool:
    return bool(sql(db, "SELECT max(pulled) FROM peers")[0][0])


def peer_state(db: str, name: str) -> dict:
    listed = run_accord("peer", "list", "--json", db=db)
    [state] = [p for p in map(json.loads, listed.stdout.splitlines()) if p["name"] == name]
    return state


def export(db: str, *args: str) -> set[tuple[str, str]]:
    done = run_accord("export", "--all-versions", *args, db=db)
    assert done.returncode == 0, done.stderr
    objects = json.loads(done.stdout).get("objects", [])
    versions = [(o["id"], o.get("modified", o.get("created", ""))) for o in objects]
    assert len(versions) == len(set(versions)), "a version held twice"
    return set(versions)


def sync(db: str, peer: str, *more: str) -> subprocess.CompletedProcess[str]:
    return run_accord("sync", "--peer", peer, *more, db=db)
