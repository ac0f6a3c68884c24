"""Three sovereign nodes: sync survives kill -9 of either side with nothing lost or doubled,
a revocation reaches the peer, and what the US shares with China never reaches Japan."""

from __future__ import annotations

import json
import signal
import subprocess
import time

from tests.e2e.conftest import ACCORD, ATTACK_SAMPLE, created, run_accord
from tests.e2e.federation_nodes import MITRE, Node, export, meet, peer_state, pulled_some, sync

US, CN, JP = "United States (US-CERT)", "China (CNCERT/CC)", "Japan (JPCERT/CC)"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def test_sync_survives_kill_9_revocation_travels_and_amber_stays_with_china(databases, tmp_path):
    us, cn, jp = Node(databases, "us", US), Node(databases, "cn", CN), Node(databases, "jp", JP)
    for node in (us, cn, jp):
        node.start()
    try:
        meet(us, "china", cn, "us")
        meet(cn, "japan", jp, "china")
        us_id = peer_state(cn.db, "us")["party_id"]
        created("peer", "trust", MITRE, db=cn.db)  # ATT&CK travels unsigned

        # The US shares ATT&CK and one AMBER indicator of its own with China.
        shared = created("collection", "create", "Shared with China", "--read", CN, db=us.db)
        assert run_accord("import", str(ATTACK_SAMPLE), "--collection", shared,
                          db=us.db).returncode == 0
        amber = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--5c2b3a1e-0000-4000-8000-0000000000a1", "created_by_ref": us_id,
                 "created": "2015-06-04T10:00:00.000Z", "modified": "2015-06-04T10:00:00.000Z",
                 "name": "Sakula C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
                 "pattern_type": "stix", "valid_from": "2015-06-04T10:00:00Z",
                 "object_marking_refs": [AMBER]}
        bundle = tmp_path / "amber.json"
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [amber]}))
        assert run_accord("import", str(bundle), "--collection", shared, db=us.db).returncode == 0
        # Unmarked objects take the collection's default, AMBER: China, permitted on the
        # collection, may read every one of them (AMBER never travels *beyond* China).
        for_china = export(us.db, "--collection", shared)
        assert len(for_china) > 600

        # The US node is killed -9 under China's first sync (small pages keep it busy long
        # enough), and restarted; then China's own sync is killed -9 part-way, three times;
        # the next round completes.
        running = subprocess.Popen([str(ACCORD), "sync", "--peer", "us", "--page-size", "1",
                                    "--db", cn.db], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not pulled_some(cn.db):
            time.sleep(0.05)
        us.kill()
        assert running.wait(timeout=60) == 1  # the round failed, and says so
        assert peer_state(cn.db, "us")["last_error"]
        assert 0 < peer_state(cn.db, "us")["pulled"] < len(for_china)
        us.start()
        for delay in (0.7, 0.9, 1.1):
            running = subprocess.Popen([str(ACCORD), "sync", "--peer", "us", "--page-size", "5",
                                        "--db", cn.db], stderr=subprocess.DEVNULL)
            time.sleep(delay)
            running.send_signal(signal.SIGKILL)
            running.wait()
        done = sync(cn.db, "us", "--page-size", "20")
        assert done.returncode == 0, done.stderr

        # China holds exactly what the US entitled it to: none lost, none twice.
        mirror = f"from-us-{shared[:8]}"
        assert export(cn.db, "--collection", mirror) == for_china
        # … and may not pass it on: the collection it landed in cannot be granted to Japan
        refused = run_accord("collection", "grant", mirror, "--party", JP, "--read", db=cn.db)
        assert refused.returncode == 2 and "not this node's to share" in refused.stderr

        # The US revokes its indicator: the revocation reaches China.
        revoked = {**amber, "modified": "2016-01-01T00:00:00.000Z", "revoked": True}
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--2",
                                      "objects": [revoked]}))
        assert run_accord("import", str(bundle), "--collection", shared, db=us.db).returncode == 0
        assert sync(cn.db, "us").returncode == 0
        latest = json.loads(run_accord("export", "--collection", mirror, "--type", "indicator",
                                       db=cn.db).stdout)["objects"]
        assert [o.get("revoked") for o in latest if o["id"] == amber["id"]] == [True]

        # The US tightens it to RED for nobody but itself: China's copy goes too.
        red = {**revoked, "modified": "2016-02-01T00:00:00.000Z",
               "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--4", "objects": [red]}))
        assert run_accord("import", str(bundle), "--collection", shared, db=us.db).returncode == 0
        pulled = sync(cn.db, "us")
        assert pulled.returncode == 0 and "1 retracted" in pulled.stderr
        assert amber["id"] not in {i for i, _ in export(cn.db, "--collection", mirror)}
        assert amber["id"] in run_accord("audit", "--action", "sync.retracted", "--json",
                                         db=cn.db).stdout

        # China shares something of its own with Japan; Japan syncs and gets that alone.
        own = created("collection", "create", "Shared with Japan", "--read", JP, db=cn.db)
        cn_id = peer_state(us.db, "china")["party_id"]
        mine = {**amber, "id": "indicator--5c2b3a1e-0000-4000-8000-0000000000c1",
                "created_by_ref": cn_id, "name": "China's own", "object_marking_refs": [CLEAR]}
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--3", "objects": [mine]}))
        assert run_accord("import", str(bundle), "--collection", own, db=cn.db).returncode == 0
        assert sync(jp.db, "china").returncode == 0
        at_japan = {i for i, _ in export(jp.db)}
        assert mine["id"] in at_japan
        assert amber["id"] not in at_japan and not (at_japan & {i for i, _ in for_china})
    finally:
        for node in (us, cn, jp):
            node.stop()
