"""`accord import` reads files of any size in constant memory, and says where a file stops
being JSON and what was imported before that point."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import NodeDatabases

ACCORD = Path(sys.executable).parent / "accord"
SUMMARY = re.compile(r"^(\d+) accepted, (\d+) unchanged, (\d+) rejected", re.MULTILINE)
MEMORY_LIMIT = 256 << 20  # the import's data segment (RLIMIT_DATA): it peaks near 200 MiB
FILE_SIZE = 400 << 20


def identity(n: int) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}"}


def summary(stderr: str) -> tuple[int, int, int]:
    found = SUMMARY.search(stderr)
    assert found, f"no import summary in:\n{stderr}"
    accepted, unchanged, rejected = (int(n) for n in found.groups())
    return accepted, unchanged, rejected


@pytest.fixture
def node(databases: NodeDatabases, tmp_path, accord) -> str:
    db = databases.new("accord")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    return db


def indicator(n: int, **changes: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '10.{n >> 16}.{(n >> 8) & 255}.{n & 255}']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z", **changes}


def test_a_file_larger_than_the_memory_limit_is_imported(node, tmp_path):
    """The file is 1.6 times what the import process may allocate: read whole, it could not be
    imported at all. 20,000 indicators with patterns of their own come first (each pattern's
    validation leaves garbage behind); then one 100 KB indicator repeats, so the database stays
    small and only the reading, validating and storing of each object meet the limit."""
    distinct = 20_000
    large = indicator(0, description="x" * 100_000)
    invalid = {**identity(0), "created": "yesterday"}
    head = [json.dumps(o).encode() for o in [indicator(n) for n in range(1, distinct + 1)]
            + [invalid]]
    body = json.dumps(large).encode()
    copies = FILE_SIZE // len(body) + 1
    path = tmp_path / "large.json"
    with path.open("wb") as out:  # streamed to disk: the test holds no more than one object
        out.write(b'{"type": "bundle", "id": "bundle--6d5f8a4e-2c1b-4f3a-9e8d-7c6b5a4f3e2d", '
                  b'"objects": [' + b",".join(head))
        for _ in range(copies):
            out.write(b",\n" + body)
        out.write(b"]}\n")
    assert path.stat().st_size > 1.5 * MEMORY_LIMIT

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))

    done = subprocess.run([str(ACCORD), "import", str(path), "--db", node],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit_memory,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr[-3000:]
    assert summary(done.stderr) == (distinct + 1, copies - 1, 1), done.stderr[-3000:]
    assert re.search(rf"^rejected {re.escape(str(path))} objects\[{distinct}\] "
                     rf"\({invalid['id']}\): ", done.stderr, re.MULTILINE)
    assert done.returncode == 1  # for the one rejection


# Runs `accord import` as the command does, noting Python's allocated blocks (every object
# however small: an id string is one) as each batch starts, that is after the last was stored;
# the cycles are collected after each batch, not every accord.memory.EVERY (tests/unit/
# test_memory.py), so that each reading is of what is held, not of what awaits collection.
BLOCKS_PER_BATCH = """
import sys
import accord.cli.data as data
import accord.memory
from accord.cli import main
accord.memory.EVERY = 1
stored, blocks = data.store, []
def store(*args, **kwargs):
    blocks.append(sys.getallocatedblocks())
    return stored(*args, **kwargs)
data.store = store
try:
    main()
finally:
    print(*blocks, file=sys.stderr)
"""


def test_an_import_keeps_nothing_of_the_batches_it_stored(db_url, accord, tmp_path):
    """Each batch leaves nothing behind once stored, on either backend: a cycle made per batch
    (a SQLAlchemy expression holding the batch's ids) once kept ~100 bytes an object alive
    while the cyclic collector was paused, and an import of 10 M objects grew to 1.2 GB."""
    assert accord("init", "--party", "US-CERT", db=db_url).returncode == 0
    count = 41_000  # batches of 1,000 objects first, then of up to 5,000
    path = tmp_path / "identities.json"
    path.write_text(json.dumps([identity(n) for n in range(count)]))
    done = subprocess.run([sys.executable, "-c", BLOCKS_PER_BATCH, "import", str(path),
                           "--db", db_url], capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    assert done.returncode == 0, done.stderr[-3000:]
    blocks = [int(n) for n in done.stderr.splitlines()[-1].split()]
    assert len(blocks) >= 8, blocks
    # Between batches of 5,000 with another of 5,000 read ahead: from the third (caches of
    # statements and plans are warm by then) to the third before the end (the last are
    # smaller). Kept per batch, the ids alone were a block an object.
    grown = (blocks[-3] - blocks[2]) / (5000 * (len(blocks) - 5))
    assert grown < 0.1, f"{grown:.2f} blocks kept an object stored: {blocks}"


def test_malformed_json_names_the_byte_and_what_was_imported_before_it(
    node, tmp_path, accord
):
    before = [identity(n) for n in range(1200)]  # more than the first batch of 1,000
    text = json.dumps({"type": "bundle", "id": "bundle--6d5f8a4e-2c1b-4f3a-9e8d-7c6b5a4f3e2d",
                       "objects": [*before, "@", identity(1200)]})
    fault = text.index('"@"')
    path = tmp_path / "broken.json"
    path.write_text(text.replace('"@"', "{'single': 'quotes'}"))
    also = tmp_path / "fine.json"
    also.write_text(json.dumps([identity(2000)]))

    done = accord("import", str(path), str(also), db=node)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert (f"unreadable {path}: not valid JSON at byte {fault + 1}: " in message), message
    assert "1200 objects before that point read (stored or rejected), none after it" in message
    assert summary(done.stderr) == (1201, 0, 0)  # and the other file was still read
    exported = json.loads(accord("export", db=node).stdout)["objects"]
    assert {o["id"] for o in exported} == {o["id"] for o in before} | {
        json.loads(also.read_text())[0]["id"]}


def test_an_object_nested_too_deep_is_refused_alone_and_a_file_too_deep_stops(
        node, tmp_path, accord):
    def nested(levels: int) -> dict[str, Any]:
        return {**identity(levels), "x_deep": "@"}

    def write(name: str, objects: list[dict[str, Any]], levels: int) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(objects).replace('"@"', "[" * levels + "]" * levels))
        return str(path)

    # Deeper than an object may be, first in its file or after a thousand others: refused
    # alone, as a TAXII request would refuse it, and the objects around it are stored.
    first = write("first.json", [nested(300), identity(0)], 300)
    later = write("later.json", [identity(n) for n in range(1000)] + [nested(300),
                                                                      identity(1000)], 300)
    done = accord("import", first, later, db=node)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "nests more than 64 levels" in " ".join(done.stderr.split())
    assert summary(done.stderr) == (1 + 1001, 0, 2)

    # Deeper than JSON is read anywhere (orjson's 1,024): the file stops there.
    path = write("deep.json", [identity(0), nested(2000)], 2000)
    done = accord("import", path, db=node)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "nested more than 1024 levels deep" in done.stderr
    assert "1 object before that point read (stored or rejected), none after it" in " ".join(
        done.stderr.split())
    assert summary(done.stderr) == (1, 0, 0)


def test_bytes_that_are_not_utf8_stop_a_file_where_they_are_not_where_its_batch_began(
    node, tmp_path, accord
):
    objs = [json.dumps(identity(n)).encode() for n in range(3000)]
    objs[2500] = objs[2500].replace(b'"Party 2500"', b'"Party \xff"')
    document = b'{"type": "bundle", "objects": [' + b", ".join(objs) + b"]}"
    path = tmp_path / "latin1.json"
    path.write_bytes(document)
    done = accord("import", str(path), db=node)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    message = " ".join(done.stderr.split())
    fault = document.index(b"\xff")
    assert f"not valid JSON at byte {fault}: bytes that are not UTF-8" in message, message
    assert "2500 objects before that point read" in message
    assert summary(done.stderr) == (2500, 0, 0)


def test_an_object_larger_than_a_taxii_request_may_carry_stops_its_file(node, tmp_path, accord):
    from accord.stix.limits import MAX_OBJECT_BYTES

    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.write(b'{"type": "bundle", "objects": [' + json.dumps(identity(0)).encode() + b", ")
        at = file.tell()
        file.write(b'{"type": "note", "spec_version": "2.1", "content": "')
        file.write(b"x" * (MAX_OBJECT_BYTES + 1))
        file.write(b'"}, ' + json.dumps(identity(2)).encode() + b"]}")
    done = accord("import", str(path), db=node)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    message = " ".join(done.stderr.split())
    assert f"at byte {at}: a value larger than 64 MiB" in message, message
    assert "1 object before that point read (stored or rejected), none after it" in message
    assert summary(done.stderr) == (1, 0, 0)


def test_an_import_from_a_pipe_shows_how_much_it_has_read(node, accord):
    document = json.dumps([identity(n) for n in range(2000)]).encode()
    done = accord("import", "-", db=node, stdin=document)
    assert done.returncode == 0, done.stderr
    # A pipe has no size: the bar counts what was read, where it stood at 0 bytes.
    shown = re.search(r"Importing into .*?([\d.]+)/\? (bytes|kB|MB)", done.stderr)
    assert shown and float(shown.group(1)) > 0, done.stderr
    assert summary(done.stderr) == (2000, 0, 0)


def test_each_refused_object_is_named_by_its_file_and_place(node, tmp_path, accord):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps([identity(0), 42, {**identity(2), "created": "yesterday"}]))
    later = identity(3)
    second.write_text(json.dumps({"type": "bundle", "objects": [
        identity(4), {k: v for k, v in later.items() if k != "name"}]}))
    done = accord("import", str(first), str(second), db=node)
    assert done.returncode == 1, done.stderr
    lines = [" ".join(line.split()) for line in done.stderr.splitlines()
             if line.startswith("rejected")]
    assert any(line.startswith(f"rejected {first} objects[1] (no id):") for line in lines), lines
    assert any(line.startswith(f"rejected {first} objects[2] (identity--") for line in lines)
    assert any(line.startswith(f"rejected {second} objects[1] ({later['id']}):")
               for line in lines), lines
    assert summary(done.stderr) == (2, 0, 3)


def test_a_version_refused_when_stored_is_named_by_its_own_place_not_its_ids_first(
    node, tmp_path, accord
):
    stored = identity(0)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps([stored]))
    assert accord("import", str(first), db=node).returncode == 0
    # A later version (accepted), then the stored version with another body (refused when
    # stored: its id and version are taken).
    second.write_text(json.dumps([{**stored, "modified": "2024-02-01T00:00:00.000Z"},
                                  {**stored, "name": "Party changed"}]))
    done = accord("import", str(second), db=node)
    assert done.returncode == 1, done.stderr
    lines = [" ".join(line.split()) for line in done.stderr.splitlines()
             if line.startswith("rejected")]
    assert lines and lines[0].startswith(f"rejected {second} objects[1] ({stored['id']}):"), lines
    assert summary(done.stderr) == (1, 0, 1)


def test_a_folder_without_json_files_is_an_error_and_others_are_said_to_be_left_out(
    node, tmp_path, accord
):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not STIX")
    done = accord("import", str(empty), db=node)
    assert done.returncode == 2 and "no .json or .json.gz file in it" in done.stderr
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "feed.json").write_text(json.dumps([identity(0)]))
    (mixed / "feed.csv").write_text("a,b")
    done = accord("import", str(mixed), db=node)
    assert done.returncode == 0, done.stderr
    assert "1 file left out, not .json or .json.gz" in " ".join(done.stderr.split())
    assert summary(done.stderr) == (1, 0, 0)


def test_a_named_pipe_is_read_as_a_stream_and_one_in_a_folder_is_left_out(node, tmp_path,
                                                                          accord):
    """`accord import <(zcat feed.json.gz)` names a pipe: it is read like standard input. In a
    folder, only files are read: a pipe there could keep the import waiting for ever."""
    pipe = tmp_path / "feed.json"
    os.mkfifo(pipe)
    document = json.dumps([identity(n) for n in range(3)]).encode()

    def feed() -> None:
        with pipe.open("wb") as out:
            out.write(document)

    writer = threading.Thread(target=feed)
    writer.start()
    done = accord("import", str(pipe), db=node)
    writer.join()
    assert done.returncode == 0, done.stderr
    assert summary(done.stderr) == (3, 0, 0)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "feed.json").write_text(json.dumps([identity(9)]))
    os.mkfifo(folder / "waiting.json")
    done = accord("import", str(folder), db=node)
    assert done.returncode == 0, done.stderr
    assert "1 file left out, not .json or .json.gz files" in " ".join(done.stderr.split())
    assert summary(done.stderr) == (1, 0, 0)


def test_an_object_too_large_for_the_memory_left_stops_the_import_in_words(node, tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps([identity(0), {**identity(1), "description": "x" * 40_000_000}]))
    small = tmp_path / "small.json"
    small.write_text(json.dumps([identity(2)]))

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ACCORD), "import", str(path), "--db", node],
                              capture_output=True, text=True, timeout=300,
                              preexec_fn=limit_memory,
                              env={k: v for k, v in os.environ.items() if k != "COLUMNS"})

    assert run(small).returncode == 0  # the limit leaves room for an import
    done = run(big)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    message = " ".join(done.stderr.split())
    assert f"the import stopped: not enough memory while reading {big}" in message, message
    assert "The 1 object accepted before are stored" not in message  # the batch: not stored
    assert "0 objects accepted before are stored" in message


def test_two_versions_of_one_id_in_a_file_the_refused_one_is_named_by_its_own_place(
        node, tmp_path, accord):
    """[c, a, c, b, a]: a and b the same id and version, other contents. a (objects[1]) is
    stored, b (objects[3]) refused, a again (objects[4]) unchanged: the refusal names b."""
    a, c = identity(0), identity(1)
    b = {**a, "name": "Party changed"}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([c, a, c, b, a]))
    done = accord("import", str(path), db=node)
    assert done.returncode == 1, done.stderr
    lines = [" ".join(line.split()) for line in done.stderr.splitlines()
             if line.startswith("rejected")]
    assert [line.split(":")[0] for line in lines] == [f"rejected {path} objects[3] ({a['id']})"]
    assert summary(done.stderr) == (2, 2, 1)


def test_an_import_interrupted_says_what_it_stored_and_how_to_go_on(node, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([indicator(n) for n in range(300_000)]))
    # As from a terminal: a test runner's worker may ignore SIGINT, and its children with it.
    started = subprocess.Popen([str(ACCORD), "import", str(path), "--db", node],
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                               env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    time.sleep(3)  # some batches stored, most not
    started.send_signal(signal.SIGINT)
    _, stderr = started.communicate(timeout=120)
    assert started.returncode == 130 and "Traceback" not in stderr, stderr[-3000:]
    said = re.search(r"interrupted: (\d+) accepted, 0 unchanged, 0 rejected before it, stored ",
                     " ".join(stderr.split()))
    assert said, stderr[-3000:]
    exported = subprocess.run([str(ACCORD), "export", "--db", node], capture_output=True,
                              timeout=300)
    assert len(json.loads(exported.stdout)["objects"]) == int(said.group(1)) < 300_000
