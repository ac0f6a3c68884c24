"""`accord export` of nothing is a valid STIX bundle: STIX 2.1 forbids an empty list."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import NodeDatabases, created, run_accord


def test_an_empty_export_is_a_bundle_without_an_objects_list(
        databases: NodeDatabases, tmp_path: Path):
    db = databases.new("node")
    created("init", "--party", "Alpha CERT", db=db)
    done = run_accord("export", "--collection", "evidence", db=db)
    assert done.returncode == 0, done.stderr
    bundle = json.loads(done.stdout)
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    assert "objects" not in bundle
    assert "0 objects exported" in done.stderr
