"""Two sovereign nodes on loopback — the US's and China's — pin each other, and a request
travels across them over TAXII 2.1 with signed authorship; a forged object is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from tests.e2e.conftest import NodeDatabases, created, run_accord, serving

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
EVIDENCE_ID = "indicator--7f0b6c1e-2d3a-4b5c-9d8e-1f2a3b4c5d6e"


def synced(peer: str, db: str) -> str:
    done = run_accord("sync", "--peer", peer, db=db)
    assert done.returncode == 0, done.stderr
    return done.stderr


def show(rid: str, db: str) -> dict:
    done = run_accord("request", "show", rid, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_request_crosses_two_nodes_and_forged_authorship_is_refused(
        databases: NodeDatabases, tmp_path: Path):
    us_db, cn_db = databases.new("us"), databases.new("cn")
    created("init", "--party", US, db=us_db)
    created("init", "--party", CN, db=cn_db)
    with serving(us_db, tmp_path / "us.log") as us_url, \
            serving(cn_db, tmp_path / "cn.log") as cn_url:
        # China registers the US and gives it a token; the US pins China with it …
        created("party", "add", US, db=cn_db)
        us_on_cn = created("token", "create", "--party", US, "--role", "liaison",
                           "--name", "US node", "--machine", db=cn_db)
        cn_key = created("peer", "add", "china", "--url", cn_url, "--token", us_on_cn,
                         "--insecure", db=us_db)
        assert cn_key.startswith("SHA256:")
        # … and the other way round; China's record of the US takes the US's own identity.
        cn_on_us = created("token", "create", "--party", CN, "--role", "liaison",
                           "--name", "CN node", "--machine", db=us_db)
        wrong = run_accord("peer", "add", "us", "--url", us_url, "--token", cn_on_us,
                           "--party", US, "--fingerprint", cn_key, "--insecure", db=cn_db)
        assert wrong.returncode == 2 and "refusing it" in wrong.stderr
        created("peer", "add", "us", "--url", us_url, "--token", cn_on_us, "--party", US,
                "--insecure", db=cn_db)

        # The US shares its evidence with China and asks.
        bundle = tmp_path / "evidence.json"
        us_id = json.loads(run_accord("peer", "list", "--json", db=cn_db).stdout)["party_id"]
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": EVIDENCE_ID,
            "created_by_ref": us_id,
            "created": "2015-06-04T10:00:00.000Z", "modified": "2015-06-04T10:00:00.000Z",
            "name": "C2 server used against OPM", "pattern": "[ipv4-addr:value = '198.51.100.7']",
            "pattern_type": "stix", "valid_from": "2015-06-04T10:00:00Z"}]}))
        assert run_accord("import", str(bundle), db=us_db).returncode == 0
        assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                          db=us_db).returncode == 0
        rid = created("request", "create", "--to", CN, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates the C2 server at 198.51.100.7?",
                      "--evidence", EVIDENCE_ID, db=us_db)
        assert show(rid, us_db)["received"] is None  # China's node has not stored it yet

        # The US delivers it: China's node receives it (the clock starts there)
        delivered = synced("china", us_db)
        assert "1 ledger entry delivered, 0 refused by the peer" in delivered
        at_cn = show(rid, cn_db)
        first = synced("us", cn_db)  # China pulls the evidence shared with it
        assert " 0 refused" in first and "0 stored" not in first
        assert at_cn["state"] == "submitted" and at_cn["received"] is not None
        assert run_accord("request", "ack", rid, "--note", "on it", db=cn_db).returncode == 0

        # The US pulls the receipt and the acknowledgement back: the same deadlines both sides
        synced("china", us_db)
        at_us = show(rid, us_db)
        assert at_us["state"] == "acknowledged"
        assert at_us["received"] == at_cn["received"]
        assert at_us["deadlines"] == show(rid, cn_db)["deadlines"]

        # A second round finds nothing new: idempotent
        assert "0 stored" in synced("china", us_db)

        # China's node tries to pass off an object as the US's: the US refuses and logs it
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps({"type": "bundle", "id": "bundle--2", "objects": [{
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-8000-00000000f0f0", "created_by_ref": us_id,
            "created": "2016-01-01T00:00:00.000Z", "modified": "2016-01-01T00:00:00.000Z",
            "name": "US admits everything", "pattern": "[ipv4-addr:value = '203.0.113.1']",
            "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"}, {
            "type": "identity", "spec_version": "2.1",
            "id": "identity--00000000-0000-4000-8000-00000000abcd",
            "created_by_ref": "identity--00000000-0000-4000-8000-00000000abcd",
            "created": "2016-01-01T00:00:00.000Z", "modified": "2016-01-01T00:00:00.000Z",
            "name": "An unknown source", "identity_class": "organization"}]}))
        cid = created("collection", "create", "For the US", "--read", US, db=cn_db)
        assert run_accord("import", str(forged), "--collection", cid, db=cn_db).returncode == 0
        pulled = synced("china", us_db)
        assert "refused indicator--00000000-0000-4000-8000-00000000f0f0" in pulled
        assert "carries no Accord signature" in pulled
        # a source no peer speaks for is taken only once the US trusts it
        assert "has not trusted" in pulled
        lag = json.loads(run_accord("peer", "list", "--json", db=us_db).stdout)["lag_objects"]
        assert lag == 2  # offered by China, not held here: the forged one and the untrusted
        created("peer", "trust", "identity--00000000-0000-4000-8000-00000000abcd", db=us_db)
        assert "1 stored" in synced("china", us_db)
        assert json.loads(run_accord("peer", "list", "--json",
                                     db=us_db).stdout)["lag_objects"] == 1
        logged = run_accord("audit", "--action", "sync.forged", "--json", db=us_db)
        assert "indicator--00000000-0000-4000-8000-00000000f0f0" in logged.stdout

        state = json.loads(run_accord("peer", "list", "--json", db=us_db).stdout)
        assert state["name"] == "china" and state["last_error"] is None
        assert state["pulled"] >= 3


BEHIND = {"ACCORD_CLOCK_OFFSET": "-3600"}  # China's node runs an hour behind


@contextmanager
def _china_an_hour_behind(databases: NodeDatabases, tmp_path: Path
                          ) -> Iterator[tuple[str, str]]:
    """Two nodes pinned to each other and serving, China's clock an hour behind: (US db, CN db)."""
    us_db, cn_db = databases.new("us"), databases.new("cn")
    created("init", "--party", US, db=us_db)
    assert run_accord("init", "--party", CN, db=cn_db, env=BEHIND).returncode == 0
    with serving(us_db, tmp_path / "us.log") as us_url, \
            serving(cn_db, tmp_path / "cn.log", env=BEHIND) as cn_url:
        assert run_accord("party", "add", US, db=cn_db, env=BEHIND).returncode == 0
        token = run_accord("token", "create", "--party", US, "--role", "liaison", db=cn_db,
                           env=BEHIND).stdout.strip()
        created("peer", "add", "china", "--url", cn_url, "--token", token, "--insecure",
                db=us_db)
        back = created("token", "create", "--party", CN, "--role", "liaison", db=us_db)
        assert run_accord("peer", "add", "us", "--url", us_url, "--token", back, "--party", US,
                          "--insecure", db=cn_db, env=BEHIND).returncode == 0
        yield us_db, cn_db


def test_nodes_whose_clocks_disagree_derive_the_same_deadlines(
        databases: NodeDatabases, tmp_path: Path):
    with _china_an_hour_behind(databases, tmp_path) as (us_db, cn_db):
        rid = created("request", "create", "--to", CN, "--kind", "mitigation",
                      "--category", "ddos", "--urgency", "urgent", "--summary", "Stop it",
                      "--activity-start", "2026-01-01T00:00:00Z", "--evidence",
                      _shared_evidence(tmp_path, us_db), db=us_db)
        synced("china", us_db)  # delivered: China's node receives it on its own clock
        assert run_accord("sync", "--peer", "us", db=cn_db, env=BEHIND).returncode == 0
        synced("china", us_db)  # and the US gets the receipt back
        at_us = show(rid, us_db)
        at_cn = json.loads(run_accord("request", "show", rid, "--json", db=cn_db,
                                      env=BEHIND).stdout)
    created_at = datetime.fromisoformat(at_us["created"].replace("Z", "+00:00"))
    received = datetime.fromisoformat(at_us["received"].replace("Z", "+00:00"))
    # received on China's clock, an hour "before" the US made it — and both agree on it
    assert timedelta(minutes=59) < created_at - received < timedelta(minutes=61)
    assert at_us["received"] == at_cn["received"]
    assert at_us["deadlines"] == at_cn["deadlines"]
    assert at_us["state"] == at_cn["state"] == "submitted"


def test_an_act_from_a_node_whose_clock_is_wrong_is_timed_by_its_arrival_on_both_nodes(
        databases: NodeDatabases, tmp_path: Path):
    with _china_an_hour_behind(databases, tmp_path) as (us_db, cn_db):
        rid = created("request", "create", "--to", CN, "--kind", "information",
                      "--category", "ddos", "--urgency", "urgent", "--summary", "Who is it?",
                      "--evidence", _shared_evidence(tmp_path, us_db), db=us_db)
        synced("china", us_db)  # delivered: China's node receives it on its own clock
        assert run_accord("request", "ack", rid, db=cn_db, env=BEHIND).returncode == 0
        # The US pulls the acknowledgement (its node stamps the arrival) and pushes the stamp
        # back in the same round: both nodes now hold the same ledger.
        synced("china", us_db)
        assert run_accord("sync", "--peer", "us", db=cn_db, env=BEHIND).returncode == 0
        at_us = show(rid, us_db)
        at_cn = json.loads(run_accord("request", "show", rid, "--json", db=cn_db,
                                      env=BEHIND).stdout)
        period = ("review", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "json")
        reviews = [json.loads(run_accord(*period, db=us_db).stdout),
                   json.loads(run_accord(*period, db=cn_db, env=BEHIND).stdout)]
    ack = next(e for e in at_us["timeline"] if e["type"] == "acknowledged")
    made = datetime.fromisoformat(ack["stamped"].replace("Z", "+00:00"))
    arrived = datetime.fromisoformat(ack["time"].replace("Z", "+00:00"))
    # stamped on China's clock an hour "before" it reached the US: backdated, on both nodes
    assert timedelta(minutes=59) < arrived - made < timedelta(minutes=65)
    assert ack["backdated"] is True and at_us["backdated"] == [ack["entry"]]
    assert at_us["acknowledged"] == at_cn["acknowledged"] == ack["time"]
    assert at_us["timeline"] == at_cn["timeline"]
    for figures in reviews:
        del figures["generated_at"]
    assert reviews[0] == reviews[1]
    (direction,) = reviews[0]["directions"].values()
    assert direction["backdated_acts"] == 1
    assert direction["median_hours_to_acknowledge"] >= 0.98  # the lost hour shows


def _shared_evidence(tmp_path: Path, db: str) -> str:
    bundle = tmp_path / "one.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--9", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": EVIDENCE_ID,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.9']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}]}))
    assert run_accord("import", str(bundle), db=db).returncode == 0
    return EVIDENCE_ID
