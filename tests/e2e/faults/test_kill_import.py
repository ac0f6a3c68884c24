"""`accord import` killed -9 at random moments (reading, validating in its forked helper,
storing, committing): each batch is stored whole or not at all, the helper does not outlive
it, and the import run again stores exactly what was missing."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e.conftest import ATTACK_SAMPLE, run_accord
from tests.e2e.faults.invariants import problems
from tests.e2e.faults.processes import accord, kill, orphans
from tests.e2e.faults.stix_data import mixed
from tests.e2e.federation_nodes import export

KILLS, SECONDS = 3, 10  # per round: kills, and the time they may take


def _bundle(path: Path, objects: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--" + "0" * 8 + "-0000-4000-8000-"
                                + "0" * 12, "objects": objects}))
    return path


def test_an_import_killed_at_random_moments_stores_each_batch_whole_or_not_at_all(
        site, tmp_path, rng, faults):
    log = tmp_path / "import.log"
    files: list[Path] = []
    for n in faults(KILLS, SECONDS):
        # A new file each time: every kill interrupts objects being stored, not re-read.
        files.append(_bundle(tmp_path / f"part-{n}.json", mixed(rng, 1000, site.partner_id, n)))
        # ATT&CK once (large objects, relationships, MITRE's own properties), then more.
        more = [str(ATTACK_SAMPLE)] if n == 0 else []
        importing = accord("import", str(files[-1]), *more, "--collection", "shared",
                           db=site.db, log=log)
        time.sleep(rng.uniform(0.8, 3.0))  # it starts in about a second
        kill(importing)
        assert orphans(importing) == [], "the import's validator outlived it"
        assert problems(site.db, command=False) == []

    done = run_accord("import", *map(str, files), str(ATTACK_SAMPLE), "--collection", "shared",
                      db=site.db)
    assert done.returncode == 0, done.stderr[-2000:]
    assert problems(site.db) == []
    expected = export_of(files + [ATTACK_SAMPLE])
    assert export(site.db, "--collection", "shared") == expected  # and none held twice


def export_of(files: list[Path]) -> set[tuple[str, str]]:
    """(id, version) of every object with a version of its own in the files, and (id, "") of
    SCOs, as export() names them."""
    found = set()
    for path in files:
        for obj in json.loads(path.read_text())["objects"]:
            found.add((obj["id"], obj.get("modified", obj.get("created", ""))))
    return found
