"""`accord party quota` sets how much a party may store; `accord party list` shows what each
holds and its quota; a size it cannot read is named, nothing changed."""

from __future__ import annotations

import json


def test_a_quota_is_set_listed_checked_and_lifted(databases, tmp_path, accord):
    db = databases.new("quota")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-"
                                  "000000000001", "objects": [{
                                      "type": "malware", "spec_version": "2.1",
                                      "id": "malware--00000000-0000-4000-8000-000000000001",
                                      "created": "2020-01-01T00:00:00.000Z",
                                      "modified": "2020-01-01T00:00:00.000Z",
                                      "name": "Sakula", "is_family": True}]}))
    assert accord("import", str(bundle), db=db).returncode == 0
    done = accord("party", "quota", "CNCERT", "20GiB", db=db)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert "CNCERT: quota 20.0 GiB; it holds 0 B." in " ".join(done.stderr.split())
    rows = {r["name"]: r for r in map(json.loads, accord("party", "list", "--json",
                                                         db=db).stdout.splitlines())}
    assert rows["CNCERT"]["quota"] == 20 * 2**30 and rows["CNCERT"]["stored"] == 0
    assert rows["US-CERT"]["quota"] is None and rows["US-CERT"]["stored"] > 100
    table = accord("party", "list", db=db)
    assert table.returncode == 0 and "20.0 GiB" in table.stdout and "quota" in table.stdout
    wrong = accord("party", "quota", "CNCERT", "20GB", db=db)
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    assert "'20GB' is not a size" in wrong.stderr
    lifted = accord("party", "quota", "CNCERT", "none", db=db)
    assert lifted.returncode == 0 and "CNCERT: no quota" in lifted.stderr
    rows = {r["name"]: r for r in map(json.loads, accord("party", "list", "--json",
                                                         db=db).stdout.splitlines())}
    assert rows["CNCERT"]["quota"] is None
