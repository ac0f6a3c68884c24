"""A translation added on one node shows on the other after a sync: signed by its translator's
node, under the markings of what it translates; each side's translation kept apart, the
original authoritative on both."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import NodeDatabases, created, run_accord
from tests.e2e.federation_nodes import Node, meet

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"


def synced(peer: str, db: str) -> str:
    done = run_accord("sync", "--peer", peer, db=db)
    assert done.returncode == 0, done.stderr
    return done.stderr


def translations(rid: str, db: str) -> list[dict]:
    done = run_accord("request", "translations", rid, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_translation_added_on_one_node_shows_on_the_other_after_sync(
        databases: NodeDatabases, tmp_path: Path):
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN)
    us.start()
    cn.start()
    try:
        meet(us, "china", cn, "us")
        policy = tmp_path / "guidelines.toml"
        policy.write_text('[required]\ninformation = []\n[languages]\n'
                          'required = ["en", "zh-Hans"]\n')
        created("guidelines", "set", str(policy), db=us.db)
        missing = run_accord("request", "create", "--to", CN, "--kind", "information",
                             "--category", "intrusion", "--urgency", "urgent",
                             "--summary", "Who operates 198.51.100.7?", db=us.db)
        assert missing.returncode != 0 and "require this request in zh-Hans" in missing.stderr
        rid = created("request", "create", "--to", CN, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates 198.51.100.7?",
                      "--translation", "zh-Hans:summary=谁在操作 198.51.100.7？", db=us.db)
        assert "1 refused" not in synced("china", us.db)  # pushed to China's node at once
        [at_cn] = translations(rid, cn.db)
        assert (at_cn["by"], at_cn["lang"], at_cn["original_lang"]) == (US, "zh-Hans", "en")
        assert at_cn["texts"] == {"summary": "谁在操作 198.51.100.7？"}

        # China's officer answers with a status report in Chinese and translates it.
        assert run_accord("request", "report", rid, "--text", "正在调查该服务器。",
                          "--lang", "zh-Hans", db=cn.db).returncode == 0
        report = next(e["entry"] for e in json.loads(run_accord(
            "request", "show", rid, "--json", db=cn.db).stdout)["timeline"]
            if e["type"] == "status-report")
        created("request", "translate", rid, "--object", report, "--lang", "en",
                "--field", "text=We are investigating the server.", db=cn.db)
        created("request", "translate", rid, "--lang", "zh-Hans",
                "--field", "summary=198.51.100.7 由谁运营？", db=cn.db)
        assert "0 refused" in synced("us", cn.db)  # China pushes to the US node

        at_us = translations(rid, us.db)
        assert at_us == translations(rid, cn.db)  # the same on both nodes
        by = {(t["object"], t["by"]): t for t in at_us}
        assert by[report, CN]["texts"] == {"text": "We are investigating the server."}
        assert (by[report, CN]["original_lang"], by[report, CN]["lang"]) == ("zh-Hans", "en")
        assert by[rid, CN]["texts"] == {"summary": "198.51.100.7 由谁运营？"}
        assert by[rid, US]["texts"] == {"summary": "谁在操作 198.51.100.7？"}  # kept apart
    finally:
        us.stop()
        cn.stop()
