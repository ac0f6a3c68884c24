"""The 2015 story's attribution across two sovereign nodes: the US attributes the OPM
intrusions to APT19, China denies it, and both nodes show the same contested record."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import NodeDatabases, created, run_accord
from tests.e2e.federation_nodes import Node, meet
from tests.opm import APT19, OPM, opm_bundle

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"


def synced(peer: str, db: str) -> None:
    done = run_accord("sync", "--peer", peer, db=db)
    assert done.returncode == 0, done.stderr


def shown(claim: str, db: str) -> dict:
    done = run_accord("claim", "show", claim, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_denied_attribution_reads_the_same_on_both_nodes(
        databases: NodeDatabases, tmp_path: Path):
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN)
    us.start()
    cn.start()
    try:
        meet(us, "china", cn, "us")
        created("collection", "create", "Shared with China", "--alias", "cn-shared",
                "--read", CN, db=us.db)
        bundle = opm_bundle(tmp_path / "opm.json")
        assert run_accord("import", str(bundle), "--collection", "cn-shared",
                          db=us.db).returncode == 0
        claim = created("claim", "create", "--subject", OPM, "--attributed-to", APT19,
                        "--sponsor", "CN", "--basis", "technical-forensics,law-enforcement",
                        "--confidence", "85", "--summary", "APT19 intruded into OPM.",
                        db=us.db)
        synced("china", us.db)  # pushes the claim to China's node at once
        synced("us", cn.db)  # and China pulls the evidence it names
        assert shown(claim, cn.db)["status"] == "uncontested"
        created("claim", "respond", claim, "--position", "deny", "--basis",
                "government-statement", "--text", "China opposes groundless accusations.",
                db=cn.db)
        synced("us", cn.db)  # pushes China's position to the US node
        on_us, on_cn = shown(claim, us.db), shown(claim, cn.db)
        assert on_us == on_cn
        assert on_us["status"] == "contested"
        assert on_us["status_reason"] == f"Contested: {US} asserts it, but {CN} denies it."
        assert on_us["subject_name"] == "OPM intrusions"
        assert on_us["attributed_to_names"] == ["APT19"]
    finally:
        us.stop()
        cn.stop()
