"""Four `accord serve` processes on four ports, one PostgreSQL schema: hosts behind one address.
Consecutive requests of one client land on different hosts, as a load balancer sends them,
and every watcher and every sync loop runs on every host at once."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import (
    OWN_PARTY,
    PARTNER,
    NodeDatabases,
    created,
    run_accord,
    serving,
)
from tests.e2e.federation_nodes import Node, export, peer_state
from tests.e2e.test_request_flow import GUIDELINES  # acknowledge urgent ones within 2 s

pytestmark = pytest.mark.postgres

HOSTS = 4
TAXII = "application/taxii+json;version=2.1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# Every host watches deadlines twice a second and pulls from its peers every second.
SERVE = ("--tick", "0.5s", "--sync-every", "1s")
MIRROR = "from-feed-evidence"  # where the peer's evidence lands on the hosts' node


class Hotline(BaseHTTPRequestHandler):
    """Counts every delivery, a repeat included: the outbox must send each one once."""

    heard: Counter[str] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with Hotline.lock:
            Hotline.heard[body["id"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Cluster:
    db: str
    urls: list[str]  # one per host, each ending in /
    logs: list[Path]
    admin: str
    partner: str
    shared: str  # a collection both parties may read and write
    heard: Counter[str]

    def host(self, n: int) -> httpx.Client:
        """A client of host n (n taken modulo the number of hosts)."""
        return httpx.Client(base_url=self.urls[n % len(self.urls)], timeout=30,
                            headers={"Authorization": f"Bearer {self.admin}",
                                     "Accept": TAXII})

    def objects_url(self) -> str:
        return f"taxii2/accord/collections/{self.shared}/objects/"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory,
            pg_schemas: Callable[[str], AbstractContextManager[str]]) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("hosts")
    Hotline.heard = Counter()
    receiver = HTTPServer(("127.0.0.1", 0), Hotline)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{receiver.server_port}/hotline"
    with pg_schemas("hosts") as db, ExitStack() as servers:
        admin = created("init", "--party", OWN_PARTY, db=db)
        created("party", "add", PARTNER, db=db)
        partner = created("token", "create", "--party", PARTNER, "--role", "liaison", db=db)
        shared = created("collection", "create", "Shared", "--alias", "shared",
                         "--read", PARTNER, "--write", PARTNER, db=db)
        rules = tmp / "guidelines.toml"
        rules.write_text(GUIDELINES)
        created("guidelines", "set", str(rules), db=db)
        for party in (OWN_PARTY, PARTNER):
            assert run_accord("hotline", "set", "--party", party, "--webhook", webhook,
                              db=db).returncode == 0
        logs = [tmp / f"host{n}.log" for n in range(HOSTS)]
        urls = [servers.enter_context(serving(db, log, options=SERVE)) for log in logs]
        try:
            yield Cluster(db, urls, logs, admin, partner, shared, Hotline.heard)
        finally:
            receiver.shutdown()


def indicator(n: int, tag: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{tag}-0000-4000-8000-{n:012d}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '203.0.113.{n % 250}']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"}


def post(client: httpx.Client, url: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post(url, content=json.dumps({"objects": objects}),
                         headers={"Content-Type": TAXII})
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def test_an_envelope_posted_to_one_host_has_its_status_and_objects_on_the_others(cluster):
    with cluster.host(0) as first, cluster.host(1) as second, cluster.host(2) as third:
        status = post(first, cluster.objects_url(), [indicator(n, "00000001") for n in range(5)])
        assert status["success_count"] == 5
        again = second.get(f"taxii2/accord/status/{status['id']}/")
        assert again.status_code == 200 and again.json()["status"] == "complete"
        assert again.json()["success_count"] == 5
        one = third.get(cluster.objects_url() + indicator(3, "00000001")["id"] + "/")
        assert one.status_code == 200 and len(one.json()["objects"]) == 1


def test_a_collection_paged_across_hosts_yields_every_object_once(cluster):
    with cluster.host(0) as client:
        post(client, cluster.objects_url(), [indicator(n, "00000002") for n in range(47)])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 10, "match[type]": "indicator"}
    for page in range(20):  # each page from the next host
        with cluster.host(page) as client:
            answer = client.get(cluster.objects_url(), params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [o["id"] for o in body.get("objects", [])]
        if not body.get("more"):
            break
        params = {**params, "next": body["next"]}
    ours = [oid for oid in seen if oid.startswith("indicator--00000002-")]
    assert len(ours) == 47 and len(set(seen)) == len(seen)


def test_a_web_session_opened_on_one_host_is_used_and_closed_on_others(cluster):
    jar = httpx.Cookies()

    def web(n: int) -> httpx.Client:
        return httpx.Client(base_url=cluster.urls[n % HOSTS], cookies=jar, timeout=30)

    with web(0) as client:
        nonce = CSRF.search(client.get("/ui/sign-in").text)
        assert nonce is not None
        jar.update(client.cookies)
    with web(1) as client:  # the form from host 0, sent to host 1
        signed = client.post("/ui/sign-in", data={"csrf": nonce.group(1),
                                                  "token": cluster.partner})
        assert signed.status_code == 303, signed.text
        jar.update(client.cookies)
    with web(2) as client:
        page = client.get("/ui/requests")
        assert page.status_code == 200 and PARTNER in page.text
        token = CSRF.search(page.text)
        assert token is not None
    with web(3) as client:
        out = client.post("/ui/sign-out", data={"csrf": token.group(1)})
        assert out.status_code in (303, 200), out.text
    with web(0) as client:
        after = client.get("/ui/requests")  # signed out on host 3: no host knows it now
        assert after.status_code == 303 and "/ui/sign-in" in after.headers["location"]


def test_each_passed_deadline_is_escalated_once_with_every_host_watching(cluster):
    made: list[str] = []
    for n in range(6):  # sent through different hosts
        with cluster.host(n) as client:
            answer = client.post("api/v1/requests", json={
                "to": PARTNER, "kind": "information", "category": "intrusion",
                "urgency": "urgent", "summary": f"Who runs the C2 server number {n}?"},
                headers={"Accept": "application/json"})
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])

    def state(n: int, rid: str) -> dict[str, Any]:
        with cluster.host(n) as client:
            answer = client.get(f"api/v1/requests/{rid}",
                                headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and any(state(1, r)["state"] != "escalated" for r in made):
        time.sleep(0.5)
    time.sleep(3)  # several more ticks of every host
    for n, rid in enumerate(made):
        seen = state(n + 2, rid)
        assert seen["state"] == "escalated", [log.read_text() for log in cluster.logs]
        assert [e["reason"] for e in seen["escalations"]] == ["acknowledgement-overdue"]
    # Two notifications each (requester's and addressee's hotline), each delivered once.
    while time.monotonic() < deadline and len(cluster.heard) < 2 * len(made):
        time.sleep(0.3)
    time.sleep(2)
    assert len(cluster.heard) == 2 * len(made) and set(cluster.heard.values()) == {1}
    # Each host's log names the escalations it made: together, each exactly once.
    logged = Counter(rid for log in cluster.logs for line in log.read_text().splitlines()
                     if "escalated" in line
                     for rid in re.findall(r"x-accord-escalation--[0-9a-f-]{36}", line))
    assert len(logged) == len(made) and set(logged.values()) == {1}, logged


@pytest.fixture
def on_postgresql(tmp_path: Path) -> Iterator[NodeDatabases]:
    """The peer's database on PostgreSQL too, as the hosts' (this module is PostgreSQL's)."""
    with ExitStack() as stack:
        yield NodeDatabases("postgresql", tmp_path, stack)


def test_a_peer_pulled_by_every_host_at_once_arrives_whole_and_once(
        cluster, on_postgresql: NodeDatabases, tmp_path: Path):
    peer = Node(on_postgresql, "peer", "Peer CERT")
    bundle = tmp_path / "feed.json"
    first = [indicator(n, "00000003") for n in range(1500)]
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": first}))
    assert run_accord("import", str(bundle), db=peer.db).returncode == 0
    peer.start()
    try:
        created("party", "add", OWN_PARTY, db=peer.db)
        token = created("token", "create", "--party", OWN_PARTY, "--role", "liaison",
                        db=peer.db)
        created("peer", "add", "feed", "--url", peer.url, "--token", token, "--insecure",
                db=cluster.db)
        assert run_accord("collection", "grant", "evidence", "--party", OWN_PARTY, "--read",
                          db=peer.db).returncode == 0
        # More arrives at the peer while the hosts pull.
        more = [indicator(n, "00000004") for n in range(600)]
        with httpx.Client(base_url=peer.url, timeout=60) as client:
            admin_of_peer = created("token", "create", "--party", "Peer CERT", "--role",
                                    "admin", db=peer.db)
            client.headers["Authorization"] = f"Bearer {admin_of_peer}"
            for start in range(0, len(more), 100):
                post(client, "taxii2/accord/collections/evidence/objects/",
                     more[start:start + 100])
        offered = export(peer.db, "--collection", "evidence")
        assert len(offered) == len(first) + len(more)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline \
                and peer_state(cluster.db, "feed")["pulled"] < len(offered):
            time.sleep(1)
        time.sleep(3)  # more rounds of every host: nothing more may arrive
        held = export(cluster.db, "--collection", MIRROR)  # asserts no version held twice
        assert held == offered
        # Every page counted once: two rounds at once would have stored (and counted) some
        # pages twice.
        assert peer_state(cluster.db, "feed")["pulled"] == len(offered)
    finally:
        peer.stop()
