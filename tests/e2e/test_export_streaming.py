"""`accord export` writes objects as it reads them, a page at a time, each version once; to a
file named by --output only when the whole bundle is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from tests.e2e.conftest import created, run_accord

COUNT = 3000


def identity(n: int) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1",
            "id": f"identity--00000000-0000-4000-8000-{n:012d}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A node whose two collections both hold most of the objects."""
    where = tmp_path_factory.mktemp("export")
    db = str(where / "node.db")
    created("init", "--party", "Alpha CERT", db=db)
    created("collection", "create", "Second", "--alias", "second", db=db)
    for name, objects in (("evidence", range(0, COUNT - 500)), ("second", range(500, COUNT))):
        path = where / f"{name}.json"
        path.write_text(json.dumps([identity(n) for n in objects]))
        done = run_accord("import", str(path), "--collection", name, db=db)
        assert done.returncode == 0, done.stderr
    return db


def test_the_output_file_is_one_bundle_with_each_version_once(node, tmp_path):
    out = tmp_path / "all.json"
    done = run_accord("export", "--output", str(out), db=node)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"{COUNT:,} objects exported to {out}" in " ".join(done.stderr.split())
    bundle = json.loads(out.read_bytes())
    assert bundle["type"] == "bundle"
    assert [o["id"] for o in bundle["objects"]] == [identity(n)["id"] for n in range(COUNT)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.json"]  # nothing beside it


def test_an_output_that_cannot_be_written_is_said_and_leaves_nothing(node, tmp_path):
    out = tmp_path / "missing" / "all.json"
    done = run_accord("export", "--output", str(out), db=node)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot write" in done.stderr and "No such file or directory" in done.stderr
    assert not out.parent.exists()


# Runs `accord export` with pages of 100 objects, noting Python's allocated blocks (every
# object however small) as each page is read, garbage collected first: what is still held.
BLOCKS_PER_PAGE = """
import gc
import sys
import accord.cli.data as data
from accord.cli import main
from accord.store.objects import ObjectStore
data.BATCH = 100
page, blocks = ObjectStore.page, []
def counted(*args, **kwargs):
    gc.collect()
    blocks.append(sys.getallocatedblocks())
    return page(*args, **kwargs)
ObjectStore.page = counted
try:
    main()
finally:
    print(*blocks, file=sys.stderr)
"""


def test_an_export_holds_no_more_than_a_page(node):
    done = subprocess.run([sys.executable, "-c", BLOCKS_PER_PAGE, "export", "--db", node],
                          capture_output=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(json.loads(done.stdout)["objects"]) == COUNT
    blocks = [int(n) for n in done.stderr.decode().splitlines()[-1].split()]
    # Held whole, the bundle grew by 3 blocks an object and more (its JSON text, its id and
    # version in a set); streamed, the first pages of the first collection grow by none, and
    # those of the second (which also ask which of their ids the first handed out) once, by
    # their statements' first use (~1,700 blocks).
    first = blocks[2:(COUNT - 500) // 100]
    assert (max(first) - first[0]) / (100 * len(first)) < 0.1, blocks
    assert (max(blocks) - first[0]) / COUNT < 1, " ".join(map(str, blocks))
