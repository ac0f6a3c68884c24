"""A node whose disk fills up: `accord import` and TAXII POST fail in plain words (a TAXII
error, never a traceback), store nothing half, reads go on, and once space is freed the node
takes what it refused."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import httpx
from tests.e2e.conftest import ACCORD, TAXII
from tests.e2e.faults.conftest import make_site
from tests.e2e.faults.disk import Disk, small_disk
from tests.e2e.faults.invariants import held, problems
from tests.e2e.faults.processes import Server
from tests.e2e.faults.stix_data import mixed, version_key


def _import(disk: Disk, db: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACCORD), "import", str(data), "--collection", "shared",
                           "--db", db], capture_output=True, text=True, timeout=120,
                          preexec_fn=disk.preexec())


def test_a_full_disk_refuses_writes_in_words_and_the_node_recovers_when_freed(
        tmp_path: Path, rng: random.Random):
    # SQLite alone, whatever ACCORD_TEST_BACKENDS says: the disk filled is the one under the
    # node's database file; the shared PostgreSQL server's disk must not be filled.
    with small_disk(tmp_path / "disk") as disk:
        site = make_site(str(disk.path / "node.db"))
        objects = mixed(rng, 1200, site.partner_id)
        data = tmp_path / "data.json"
        data.write_text(json.dumps({"type": "bundle", "id": f"bundle--{'0' * 8}-0000-4000-"
                                    f"8000-{'0' * 12}", "objects": objects}))
        envelope = {"objects": mixed(rng, 300, site.partner_id, tag=1)}
        disk.fill(leave=64 << 10)
        server = Server(site.db, tmp_path / "serve.log", "--tick", "0", "--sync-every", "0")
        server.start(preexec=disk.preexec())
        url = f"{server.url}taxii2/accord/collections/{site.shared_id}/objects/"
        headers = {"Authorization": f"Bearer {site.partner_token}", "Accept": TAXII,
                   "Content-Type": TAXII}
        try:
            imported = _import(disk, site.db, data)
            assert imported.returncode != 0 and "Traceback" not in imported.stderr
            assert "the import stopped: the database cannot take more" in imported.stderr, \
                imported.stderr
            disk.settle()
            posted = httpx.post(url, json=envelope, headers=headers, timeout=60)
            assert posted.status_code == 507, posted.text[:500]
            assert posted.headers["content-type"].startswith("application/taxii+json")
            assert "storage cannot take more" in posted.json()["description"]
            assert httpx.get(url, headers=headers, timeout=30).status_code == 200  # reads go on
            assert problems(site.db, command=False) == []  # nothing half-stored
            before = held(site.db, site.shared_id)
            assert not {version_key(o) for o in envelope["objects"]} & before

            disk.free()
            if disk.needs_restart:
                server.stop()
                server.start()
            posted = httpx.post(url, json=envelope, headers=headers, timeout=60)
            assert posted.status_code == 202 and posted.json()["failure_count"] == 0, \
                posted.text[:500]
            imported = _import(disk, site.db, data)
            assert imported.returncode == 0, imported.stderr[-2000:]
        finally:
            server.stop()
        log = server.log.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert "the database is unwritable" in log
        assert problems(site.db) == []
        assert {version_key(o) for o in objects + envelope["objects"]} <= held(site.db,
                                                                               site.shared_id)
