"""Sync killed -9 at random moments, both `accord sync` and the continuous sync inside
`accord serve`, while the US shares more evidence and China makes requests of the US (which
China's rounds push to the US node): afterwards China holds exactly what the US shares, the
US holds each of China's requests once with one receipt, and both databases are whole."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from tests.e2e.conftest import ATTACK_SAMPLE, OWN_PARTY, PARTNER, TAXII, NodeDatabases, run_accord
from tests.e2e.faults.conftest import cli
from tests.e2e.faults.invariants import held, problems
from tests.e2e.faults.processes import Server, accord, kill
from tests.e2e.faults.stix_data import mixed
from tests.e2e.federation_nodes import MITRE

from accord.node import initialise, open_node

KILLS, SECONDS = 2, 10  # per round: kills, and the time they may take
US, CN = OWN_PARTY, PARTNER


def _node(db: str, party: str) -> None:
    node = open_node(db)
    try:
        initialise(node, party)
    finally:
        node.engine.dispose()


def _meet(us: Server, cn: Server) -> str:
    """Each pins the other (the US is peer `us` on China's node, China `china` on the US's);
    China's identity id."""
    cli("party", "add", CN, db=us.db)
    cli("party", "add", US, db=cn.db)
    token = cli("token", "create", "--party", CN, "--role", "liaison", db=us.db)
    cli("peer", "add", "us", "--url", us.url, "--token", token, "--party", US,
        "--insecure", db=cn.db)
    token = cli("token", "create", "--party", US, "--role", "liaison", db=cn.db)
    cli("peer", "add", "china", "--url", cn.url, "--token", token, "--party", CN,
        "--insecure", db=us.db)
    return next(p["id"] for p in map(json.loads, cli("party", "list", "--json",
                                                     db=us.db).splitlines())
                if p["name"] == CN)


def _request(cn_db: str, n: int) -> str:
    return cli("request", "create", "--to", US, "--kind", "information", "--category",
               "intrusion", "--urgency", "routine", "--summary", f"Who runs C2 number {n}?",
               "--as", CN, db=cn_db)


def test_sync_killed_at_random_moments_loses_and_doubles_nothing(
        databases: NodeDatabases, tmp_path: Path, rng, faults):
    us = Server(databases.new("us"), tmp_path / "us.log", "--tick", "0")
    cn = Server(databases.new("cn"), tmp_path / "cn.log", "--tick", "0")
    _node(us.db, US)
    _node(cn.db, CN)
    # The guidelines before any pull: China's server, pulling every second, could otherwise
    # keep the US's defaults (evidence required) read a moment before they were set, and
    # refuse the first request (seen once, on a loaded machine).
    rules = tmp_path / "guidelines.toml"
    rules.write_text('[required]\ninformation = ["summary"]\n')
    for db in (us.db, cn.db):
        cli("guidelines", "set", str(rules), db=db)
    us.start("--sync-every", "0")
    cn.start("--sync-every", "1s")  # China's server pulls every second, from the start
    try:
        china = _meet(us, cn)
        cli("peer", "trust", MITRE, db=cn.db)
        shared = cli("collection", "create", "Shared with China", "--read", CN, db=us.db)
        cli("import", str(ATTACK_SAMPLE), "--collection", shared, db=us.db)
        token = cli("token", "create", "--party", US, db=us.db)
        requests = [_request(cn.db, 0)]
        for n in faults(KILLS, SECONDS):
            if n:
                cn.start("--sync-every", "1s")
            puller = accord("sync", "--peer", "us", "--page-size",
                            str(rng.choice((7, 50, 300))), db=cn.db, log=tmp_path / "sync.log")
            time.sleep(rng.uniform(0.1, 1.5))  # a puller of its own runs beside it
            _share(us, shared, token, mixed(rng, 40, china, 100 + n))
            requests.append(_request(cn.db, n + 1))
            time.sleep(rng.uniform(0.1, 1.5))
            for victim in rng.sample(["server", "puller"], 2):
                if victim == "server":
                    cn.kill()
                else:
                    kill(puller)
        cn.start("--sync-every", "0")
        done = run_accord("sync", "--peer", "us", db=cn.db)
        assert done.returncode == 0, done.stderr
    finally:
        us.stop()
        cn.stop()

    assert held(cn.db, _mirror_of(cn.db, shared)) == held(us.db, shared)
    assert problems(us.db, command=False) == []
    assert problems(cn.db) == []
    on_us = _ledger(us.db)
    for rid in requests:
        assert on_us.count((rid, "x-accord-request")) == 1, f"{rid} not pushed once"
        assert on_us.count((rid, "x-accord-receipt")) == 1, f"{rid}: not one receipt"
    assert cli("audit", "--action", "sync.retracted", "--json", db=cn.db) == ""


def _share(us: Server, shared: str, token: str, objects: list[dict]) -> None:
    posted = httpx.post(f"{us.url}taxii2/accord/collections/{shared}/objects/", timeout=30,
                        json={"objects": objects}, headers={
                            "Authorization": f"Bearer {token}", "Accept": TAXII,
                            "Content-Type": TAXII})
    assert posted.status_code == 202 and posted.json()["failure_count"] == 0, posted.text[:500]


def _mirror_of(db: str, shared: str) -> str:
    """The collection of China's node that mirrors the US's `shared`."""
    return next(c["id"] for c in map(json.loads, cli("collection", "list", "--json",
                                                     db=db).splitlines())
                if c.get("alias") == f"from-us-{shared[:8]}")


def _ledger(db: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from accord.store.engine import open_engine
    from accord.store.schema import ledger

    engine = open_engine(db)
    try:
        with engine.connect() as conn:
            return [(r.request_id, r.type) for r in conn.execute(select(ledger))]
    finally:
        engine.dispose()
