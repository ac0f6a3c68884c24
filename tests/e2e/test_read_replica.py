"""`accord serve --db PRIMARY --read-db REPLICA` against a real streaming replica.

The replica's replay is paused to make the two databases differ: what a reader then sees
tells which one answered. Reads go to the replica; the writer still reads its own writes (by
token, through whichever host, and by the `accord_lsn` cookie); with the replica stopped,
every read is still served.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx
import pytest
from tests.e2e.ports import free_port

from .conftest import ACCORD, OWN_PARTY, TAXII, created, first_collection, stop_server
from .streaming_replica import Replication, missing_tools, primary_and_replica

pytestmark = pytest.mark.replica

_MISSING = missing_tools()


@dataclass(frozen=True)
class ReplicatedNode:
    url: str
    replication: Replication
    log: Path
    writer: str  # the admin token: it writes
    reader: str  # another token of the same party: it never writes
    collection: str  # the own party's Evidence collection

    def objects_url(self, object_id: str | None = None) -> str:
        base = f"{self.url}/taxii2/accord/collections/{self.collection}/objects/"
        return f"{base}{object_id}/" if object_id else base

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}


@contextmanager
def _serving(primary: str, replica: str, log: Path) -> Iterator[tuple[str, Popen[bytes]]]:
    """`accord serve --db PRIMARY --read-db REPLICA` on a free port: its URL and process."""
    port = free_port()
    with log.open("ab") as stderr:
        server = subprocess.Popen(
            [str(ACCORD), "serve", "--db", primary, "--read-db", replica, "--host",
             "127.0.0.1", "--port", str(port), "--tick", "0", "--sync-every", "0"],
            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicatedNode]:
    if _MISSING:
        pytest.skip(_MISSING)
    with primary_and_replica() as replication:
        primary, replica = replication.primary.url(), replication.replica.url()
        writer = created("init", "--party", OWN_PARTY, db=primary)
        reader = created("token", "create", "--party", OWN_PARTY, "--role", "analyst",
                         db=primary)
        log = tmp_path_factory.mktemp("replica-server") / "stderr.log"
        with _serving(primary, replica, log) as (url, server):
            collection = first_collection(server, url, writer, log)
            replication.wait_until_replayed()
            yield ReplicatedNode(url, replication, log, writer, reader, collection)


@pytest.fixture(scope="module")
def other_host(node: ReplicatedNode, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    """A second `accord serve` process on the same primary and replica: another host of the
    node behind the same address. Its base URL."""
    replication = node.replication
    log = tmp_path_factory.mktemp("other-host") / "stderr.log"
    with _serving(replication.primary.url(), replication.replica.url(), log) as (url, server):
        first_collection(server, url, node.writer, log)
        yield url


def _indicator() -> dict[str, object]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z",
        "name": "replica test", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2026-12-01T10:00:00Z",
    }


@pytest.fixture
def replay_paused(node: ReplicatedNode) -> Iterator[None]:
    """The replica stops applying the primary's WAL (it still receives it) for one test."""
    node.replication.replica.query("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        node.replication.replica.query("SELECT pg_wal_replay_resume()")
        node.replication.wait_until_replayed()


def test_reads_are_served_from_the_replica(node: ReplicatedNode, replay_paused: None) -> None:
    # Written straight into the primary, by no client of the server: nobody's reads wait for it.
    hidden = _indicator()
    posted = httpx.post(node.objects_url(), json={"objects": [hidden]}, timeout=10,
                        headers=node.headers(node.writer))
    assert posted.status_code == 202
    with httpx.Client(headers=node.headers(node.reader), timeout=10) as reader:
        # The reader never wrote: its reads go to the replica, which has not replayed it yet.
        assert reader.get(node.objects_url(hidden["id"])).status_code == 404  # type: ignore[arg-type]
        assert reader.get(node.objects_url()).status_code in (200, 404)
    sessions = node.replication.replica.query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'accord-read'")
    assert sessions[0][0] >= 1, "the server holds no connection to the replica"


def test_the_writer_reads_its_write_before_the_replica_has_it(
        node: ReplicatedNode, replay_paused: None) -> None:
    indicator = _indicator()
    with httpx.Client(headers=node.headers(node.writer), timeout=10) as writer:
        posted = writer.post(node.objects_url(), json={"objects": [indicator]})
        assert posted.status_code == 202, posted.text
        assert "accord_lsn" in posted.cookies
        status_id = posted.json()["id"]
        # The same token, now without its cookie: the server remembers its position.
        writer.cookies.clear()
        status = writer.get(f"{node.url}/taxii2/accord/status/{status_id}/")
        assert status.status_code == 200, status.text
        assert status.json()["success_count"] == 1
        mine = writer.get(node.objects_url(str(indicator["id"])))
        assert mine.status_code == 200, mine.text
        assert mine.json()["objects"][0]["id"] == indicator["id"]
    # Another client that never wrote reads from the paused replica: not there yet.
    other = httpx.get(node.objects_url(str(indicator["id"])), headers=node.headers(node.reader),
                      timeout=10)
    assert other.status_code == 404


def test_the_position_cookie_alone_gives_read_your_writes(
        node: ReplicatedNode, replay_paused: None) -> None:
    indicator = _indicator()
    posted = httpx.post(node.objects_url(), json={"objects": [indicator]}, timeout=10,
                        headers=node.headers(node.writer))
    assert posted.status_code == 202
    cookie = posted.cookies["accord_lsn"]
    # The reader's token never wrote; carrying the writer's cookie (as a browser does after
    # its own POST) its read sees the write.
    seen = httpx.get(node.objects_url(str(indicator["id"])), headers=node.headers(node.reader),
                     cookies={"accord_lsn": cookie}, timeout=10)
    assert seen.status_code == 200


def test_a_writer_keeping_no_cookie_reads_its_write_on_another_host(
        node: ReplicatedNode, other_host: str, replay_paused: None) -> None:
    """Written through one host, read through another (as behind a load balancer): the
    position is kept in the primary, not in the process that answered the write."""
    indicator = _indicator()
    posted = httpx.post(node.objects_url(), json={"objects": [indicator]}, timeout=10,
                        headers=node.headers(node.writer))  # no cookie jar: none kept
    assert posted.status_code == 202, posted.text
    elsewhere = node.objects_url(str(indicator["id"])).replace(node.url, other_host)
    mine = httpx.get(elsewhere, headers=node.headers(node.writer), timeout=10)
    assert mine.status_code == 200, mine.text
    assert mine.json()["objects"][0]["id"] == indicator["id"]
    # A client that never wrote reads from the paused replica there: not there yet.
    assert httpx.get(elsewhere, headers=node.headers(node.reader), timeout=10
                     ).status_code == 404


def test_once_replayed_every_reader_sees_the_write(node: ReplicatedNode) -> None:
    indicator = _indicator()
    posted = httpx.post(node.objects_url(), json={"objects": [indicator]}, timeout=10,
                        headers=node.headers(node.writer))
    assert posted.status_code == 202
    node.replication.wait_until_replayed()
    seen = httpx.get(node.objects_url(str(indicator["id"])), headers=node.headers(node.reader),
                     timeout=10)
    assert seen.status_code == 200
    # The writer too, now from the replica: its connection there checked it has the write.
    mine = httpx.get(node.objects_url(str(indicator["id"])), headers=node.headers(node.writer),
                     cookies=posted.cookies, timeout=10)
    assert mine.status_code == 200


def test_a_browser_signs_in_and_reads_pages_while_the_replica_lags(
        node: ReplicatedNode, replay_paused: None) -> None:
    with httpx.Client(base_url=node.url, timeout=15) as browser:
        form = browser.get("/ui/sign-in")
        assert form.status_code == 200
        nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert nonce is not None
        signed_in = browser.post("/ui/sign-in", headers={"Origin": node.url}, data={
            "token": node.writer, "csrf": nonce.group(1), "next": "/ui/"})
        assert signed_in.status_code == 303
        assert "accord_lsn" in browser.cookies
        # The session exists only on the primary yet: the cookie's position sends the reads
        # there, and the pages answer as for a signed-in officer.
        for page in ("/ui/", "/ui/search?q=replica", "/ui/evidence?q=replica"):
            answer = browser.get(page)
            assert answer.status_code == 200, (page, answer.text[:500])
            assert "sign-in" not in str(answer.url)


def test_a_read_that_writes_reads_back_from_the_primary(node: ReplicatedNode,
                                                        replay_paused: None) -> None:
    # GET /api/v1/node makes the node's first signing key on first use and reads it back:
    # the replica cannot have it yet.
    answer = httpx.get(f"{node.url}/api/v1/node", headers=node.headers(node.reader),
                       timeout=15)
    assert answer.status_code == 200, answer.text
    assert answer.json()["public_key"]


def test_a_read_db_holding_another_database_is_refused(node: ReplicatedNode) -> None:
    """--read-db naming another database of the replica's cluster (another node's, say)
    would serve that node's collections to its tokens: the server does not start."""
    replica = node.replication.replica
    other = f"postgresql://postgres@127.0.0.1:{replica.port}/postgres"
    done = subprocess.run(
        [str(ACCORD), "serve", "--db", node.replication.primary.url(), "--read-db", other,
         "--host", "127.0.0.1", "--port", str(free_port()), "--tick", "0", "--sync-every",
         "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "is not a replica of --db" in done.stderr
    assert "names database 'postgres', and --db 'accord'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_standby_is_backed_up_and_checked_and_never_restored_into(
        node: ReplicatedNode, tmp_path: Path) -> None:
    # A backup taken from the standby (to spare the primary) ended in a traceback, writing its
    # audit record; `db check` called the standby unhealthy; a restore into it failed in
    # PostgreSQL's words.
    from .conftest import run_accord

    node.replication.wait_until_replayed()
    replica = node.replication.replica.url()
    dump = tmp_path / "from-standby.backup"
    backed = run_accord("backup", str(dump), db=replica)
    assert backed.returncode == 0, backed.stderr
    assert "not recorded in the audit trail (db.backup)" in backed.stderr
    assert "Traceback" not in backed.stderr and dump.stat().st_size > 0
    checked = run_accord("db", "check", db=replica)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "not compared on a read-only standby" in checked.stdout + checked.stderr
    refused = run_accord("restore", str(dump), "--force", db=replica)
    assert refused.returncode == 1
    assert "read-only standby" in refused.stderr and "Traceback" not in refused.stderr


def test_a_search_by_object_on_the_standby_reads_what_the_primary_indexed(
        node: ReplicatedNode) -> None:
    # A search by object brings the audit index up to date first (a write): on a standby,
    # which cannot write, it reads what the primary's servers indexed, behind the trail.
    from accord.store.audit_log import AuditLog
    from accord.store.engine import open_engine
    from accord.trust.audit import Event

    from .conftest import run_accord

    named = f"indicator--{uuid.uuid4()}"
    primary = open_engine(node.replication.primary.url())
    try:
        log = AuditLog(primary)
        log.append([Event("2026-12-05T01:00:00.000000Z", "objects.read", None, None, None,
                          (named,))])
        node.replication.wait_until_replayed()
        replica = node.replication.replica.url()
        early = run_accord("audit", "--object", named, db=replica)
        assert early.returncode == 0 and "Traceback" not in early.stderr, early.stderr
        log.index_new()  # as the primary's server does within 5 s
        node.replication.wait_until_replayed()
        found = run_accord("audit", "--object", named, "--json", db=replica)
        assert found.returncode == 0, found.stderr
        assert named in found.stdout
    finally:
        primary.dispose()


def test_with_the_replica_stopped_reads_come_from_the_primary(node: ReplicatedNode) -> None:
    indicator = _indicator()
    node.replication.replica.stop()
    try:
        with httpx.Client(headers=node.headers(node.reader), timeout=15) as reader:
            for _ in range(3):
                listing = reader.get(f"{node.url}/taxii2/accord/collections/")
                assert listing.status_code == 200, listing.text
        posted = httpx.post(node.objects_url(), json={"objects": [indicator]}, timeout=10,
                            headers=node.headers(node.writer))
        assert posted.status_code == 202
        seen = httpx.get(node.objects_url(str(indicator["id"])),
                         headers=node.headers(node.reader), timeout=15)
        assert seen.status_code == 200, seen.text
        assert "read replica unreachable" in node.log.read_text()
    finally:
        node.replication.replica.start()
