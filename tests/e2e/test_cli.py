"""The `accord` command-line contract, run as a subprocess the way scripts and operators use it:
what is created goes to stdout alone, every message to stderr, failures exit non-zero."""

from __future__ import annotations

import copy
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import imported_indicator, sql

DEEP_PANDA = "intrusion-set--a653431d-6a5e-4600-8ad3-609b5af57064"
APT19 = "intrusion-set--fe8796a4-2a02-41a0-9d27-7aa1e995feb6"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TOKEN = re.compile(r"^accord_[A-Za-z0-9_-]{40,}$")
BUNDLE_ID = "bundle--3f0e4c1a-6a53-4b1e-9d0c-2f5b8e7a9c10"
SUMMARY = re.compile(r"^(\d+) accepted, (\d+) unchanged, (\d+) rejected", re.MULTILINE)


def summary(stderr: str) -> tuple[int, int, int]:
    found = SUMMARY.search(stderr)
    assert found, f"no import summary in:\n{stderr}"
    accepted, unchanged, rejected = (int(n) for n in found.groups())
    return accepted, unchanged, rejected


def words(stderr: str) -> str:
    """stderr with its line breaks undone (messages are checked, not how they are wrapped)."""
    return " ".join(stderr.split())


def bundle(objects: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": objects}).encode()


def write_bundle(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_bytes(bundle(objects))
    return path


def exported(accord, db: str, *options: str) -> list[dict[str, Any]]:
    done = accord("export", *options, db=db)
    assert done.returncode == 0, done.stderr
    bundle = json.loads(done.stdout)
    assert bundle["type"] == "bundle" and re.fullmatch(f"bundle--{UUID}", bundle["id"])
    return list(bundle["objects"])


def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in objects}


@pytest.fixture(scope="session")
def deep_panda(attack_objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deep Panda and APT19, their relationships, what those refer to, MITRE's identity and
    marking: 81 objects of the ATT&CK sample."""
    groups = {DEEP_PANDA, APT19}
    relationships = [
        o
        for o in attack_objects
        if o["type"] == "relationship" and groups & {o["source_ref"], o["target_ref"]}
    ]
    wanted = groups | {r["id"] for r in relationships}
    wanted |= {ref for r in relationships for ref in (r["source_ref"], r["target_ref"])}
    return [
        o
        for o in attack_objects
        if o["id"] in wanted or o["type"] in ("identity", "marking-definition")
    ]


@pytest.fixture(scope="module")
def node(module_databases, accord) -> str:
    """An initialised node that the tests of this module share (each in its own
    collection)."""
    db = module_databases.new("accord")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    return db


def new_collection(accord, db: str, alias: str) -> str:
    done = accord("collection", "create", alias.title(), "--alias", alias, db=db)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- init, parties, tokens, collections ----------------------------------------------------


def test_init_prints_exactly_one_token_line_on_stdout(databases, tmp_path, accord):
    db = databases.new("new")
    done = accord("init", "--party", "US-CERT", db=db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and TOKEN.match(lines[0])
    assert "Admin token" in done.stderr
    assert lines[0] not in done.stderr  # shown once, where a script captures it

    again = accord("init", "--party", "Someone else", db=db)
    assert again.returncode != 0 and again.stdout == ""
    assert "already holds the node of 'US-CERT'" in words(again.stderr)
    assert "Traceback" not in again.stderr


def test_party_add_prints_the_new_partys_identity_id(node, accord):
    done = accord("party", "add", "JPCERT/CC", db=node)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(f"identity--{UUID}\n", done.stdout)
    listed = accord("party", "list", db=node)
    assert listed.returncode == 0 and "JPCERT/CC" in listed.stdout

    twice = accord("party", "add", "JPCERT/CC", db=node)
    assert twice.returncode != 0 and twice.stdout == ""
    assert "already exists" in words(twice.stderr)


def test_a_request_written_in_chinese_is_recorded_as_chinese_without_lang(node, accord,
                                                                          tmp_path):
    # A liaison officer in Beijing writes in Chinese and leaves --lang out: the request is
    # not recorded as English (which would offer it for translation from English).
    evidence = imported_indicator(node, tmp_path, "70")
    made = accord("request", "create", "--to", "CNCERT", "--kind", "information",
                  "--category", "intrusion", "--urgency", "routine", "--evidence",
                  evidence, "--summary", "请协助查明198.51.100.7控制服务器的运营者",
                  db=node)
    assert made.returncode == 0, made.stderr
    rid = made.stdout.strip()
    shown = json.loads(accord("request", "show", rid, "--json", db=node).stdout)
    assert shown["lang"] == "zh-Hans"
    ack = accord("request", "ack", rid, "--as", "CNCERT", "--note", "Received, checking.",
                 db=node)
    assert ack.returncode == 0, ack.stderr


def test_token_create_prints_a_fresh_token(node, accord):
    first = accord(
        "token", "create", "--party", "CNCERT", "--role", "reader", "--expires", "90d", db=node
    )
    second = accord("token", "create", "--party", "CNCERT", db=node)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert TOKEN.match(first.stdout.strip()) and TOKEN.match(second.stdout.strip())
    assert first.stdout != second.stdout
    assert "valid until" in words(first.stderr)


def test_tokens_belong_to_people_and_the_list_shows_holders_never_secrets(node, accord):
    added = accord("person", "add", "Wang Fang", "--party", "CNCERT", db=node)
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(f"{UUID}\n", added.stdout)
    made = accord("token", "create", "--party", "CNCERT", "--name", "Wang Fang", db=node)
    bot = accord("token", "create", "--party", "CNCERT", "--name", "feed", "--machine", db=node)
    assert made.returncode == bot.returncode == 0, made.stderr + bot.stderr
    assert "Token for Wang Fang of CNCERT" in words(made.stderr)
    people = accord("person", "list", "--party", "CNCERT", db=node)
    assert people.returncode == 0, people.stderr
    assert "Wang Fang" in people.stdout and "feed" in people.stdout
    assert "machine" in people.stdout
    listed = accord("token", "list", db=node)
    assert "Wang Fang" in listed.stdout and "feed (machine)" in listed.stdout
    for secret in (made.stdout.strip(), bot.stdout.strip()):
        assert secret not in listed.stdout + listed.stderr

    unknown = accord("audit", "--party", "CNCERT", "--person", "Nobody", db=node)
    assert unknown.returncode != 0 and "has nobody named 'Nobody'" in words(unknown.stderr)
    alone = accord("audit", "--person", "Wang Fang", db=node)
    assert alone.returncode != 0 and "--person needs --party" in words(alone.stderr)
    assert "Traceback" not in unknown.stderr + alone.stderr


def test_token_create_with_an_unknown_role_fails_and_names_the_roles(node, accord):
    done = accord("token", "create", "--party", "CNCERT", "--role", "bogus", db=node)
    assert done.returncode != 0 and done.stdout == ""
    assert "unknown role 'bogus'" in words(done.stderr)
    assert "reader, analyst, liaison, admin" in words(done.stderr)
    assert "Traceback" not in done.stderr


def test_collection_create_prints_a_uuid(node, accord):
    done = accord("collection", "create", "Shared with CNCERT", "--read", "CNCERT", db=node)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(f"{UUID}\n", done.stdout)

    unknown = accord("collection", "create", "Nobody's", "--read", "Nobody", db=node)
    assert unknown.returncode != 0 and unknown.stdout == ""
    assert "no party named 'Nobody'" in words(unknown.stderr)


# -- import --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, deep_panda) -> tuple[Path, list[dict[str, Any]], list[str]]:
    """Deep Panda's objects plus three invalid ones: (file, valid objects, invalid ids)."""
    intrusion_set = next(o for o in deep_panda if o["type"] == "intrusion-set")
    no_created = {
        **copy.deepcopy(intrusion_set),
        "id": "intrusion-set--0e9a1d8c-2f4b-4a55-9c1e-6d0f1b2a3c4d",
    }
    del no_created["created"]
    bad_id = {**copy.deepcopy(intrusion_set), "id": "intrusion-set--1234"}
    bad_time = {
        **copy.deepcopy(intrusion_set),
        "id": "intrusion-set--7b2c0e4f-5d6a-4f1b-8c3d-9e0a1b2c3d4e",
        "modified": "yesterday",
    }
    path = tmp_path_factory.mktemp("mixed") / "mixed.json"
    write_bundle(path, [*deep_panda[:40], no_created, bad_id, *deep_panda[40:], bad_time])
    return path, deep_panda, [no_created["id"], bad_id["id"], bad_time["id"]]


def test_import_stores_the_valid_objects_and_lists_each_rejection(node, accord, mixed):
    path, valid, invalid_ids = mixed
    new_collection(accord, node, "mixed")
    done = accord("import", str(path), "--collection", "mixed", db=node)
    assert done.returncode == 1
    assert summary(done.stderr) == (len(valid), 0, len(invalid_ids))
    places = {oid: 40 + n for n, oid in enumerate(invalid_ids[:2])} | {
        invalid_ids[2]: len(valid) + 2}
    for oid, place in places.items():  # named by file, place in it and id
        assert re.search(rf"^rejected {re.escape(str(path))} objects\[{place}\] "
                         rf"\({re.escape(oid)}\): ", done.stderr, re.MULTILINE), oid
    assert "'created' is required for type 'intrusion-set'" in words(done.stderr)
    assert by_id(exported(accord, node, "--collection", "mixed")) == by_id(valid)

    again = accord("import", str(path), "--collection", "mixed", db=node)
    assert again.returncode == 1
    assert summary(again.stderr) == (0, len(valid), len(invalid_ids))


def test_rejection_messages_are_printed_literally(node, accord, tmp_path, deep_panda):
    tricky = {
        **copy.deepcopy(deep_panda[0]),
        "id": f"{deep_panda[0]['type']}--5a0c7e2d-1b3f-4c6e-8a9d-0e1f2a3b4c5d",
        "created": "[/not] a [bold]time",
    }
    path = write_bundle(tmp_path / "tricky.json", [tricky])
    new_collection(accord, node, "literal")
    done = accord("import", str(path), "--collection", "literal", db=node)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1 and summary(done.stderr) == (0, 0, 1)
    assert "[/not] a [bold]time" in done.stderr
    assert "[timestamp" in done.stderr or "[required" in done.stderr  # the rule code survives


def test_import_reads_gzip_stdin_and_directories(node, accord, tmp_path, deep_panda):
    first, second, third, fourth = (deep_panda[i::4] for i in range(4))
    gz = tmp_path / "first.json.gz"
    gz.write_bytes(gzip.compress(bundle(first)))
    folder = tmp_path / "folder"
    (folder / "nested").mkdir(parents=True)
    write_bundle(folder / "third.json", third)
    envelope = json.dumps({"objects": fourth}).encode()  # a TAXII envelope
    (folder / "nested" / "fourth.json.gz").write_bytes(gzip.compress(envelope))
    (folder / "README.txt").write_text("not STIX; skipped because it is not .json")
    plain_list = json.dumps(second).encode()
    new_collection(accord, node, "formats")

    sources = (str(gz), "-", str(folder))
    done = accord("import", *sources, "--collection", "formats", db=node, stdin=plain_list)
    assert done.returncode == 0, done.stderr
    assert summary(done.stderr) == (len(deep_panda), 0, 0)
    assert by_id(exported(accord, node, "--collection", "formats")) == by_id(deep_panda)


# -- export --------------------------------------------------------------------------------


def test_export_returns_every_imported_object_unchanged(
    db_url, accord, attack_sample, attack_objects
):
    db = db_url
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    done = accord("import", str(attack_sample), db=db)
    assert done.returncode == 0, done.stderr
    got = exported(accord, db)
    assert len(got) == len(attack_objects)
    assert by_id(got) == by_id(attack_objects)  # parsed JSON, x_mitre_* included
    assert sum(k.startswith("x_mitre_") for o in got for k in o) > 1000


@pytest.fixture(scope="module")
def two_imports(node, accord, tmp_path_factory, deep_panda):
    """Deep Panda's objects imported in two steps: (objects of step 1, a time between the two
    steps, objects of step 2)."""
    folder = tmp_path_factory.mktemp("steps")
    before, after = deep_panda[::2], deep_panda[1::2]
    first = write_bundle(folder / "first.json", before)
    second = write_bundle(folder / "second.json", after)
    new_collection(accord, node, "steps")
    assert accord("import", str(first), "--collection", "steps", db=node).returncode == 0
    between = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert accord("import", str(second), "--collection", "steps", db=node).returncode == 0
    return before, between, after


def test_export_type_filter_keeps_only_those_types(node, accord, two_imports, deep_panda):
    assert len(deep_panda) == 81
    got = exported(accord, node, "--collection", "steps", "--type", "intrusion-set,malware")
    expected = [o for o in deep_panda if o["type"] in ("intrusion-set", "malware")]
    assert len(expected) == 7 and by_id(got) == by_id(expected)
    for mistaken in ("Malware", "intrusion_set"):  # as a user may write them
        bad = accord("export", "--type", f"indicator,{mistaken}", db=node)
        assert bad.returncode != 0 and bad.stdout == "", bad.stdout
        assert f"--type '{mistaken}': not a STIX type name" in words(bad.stderr)


def test_export_added_after_keeps_only_later_additions(node, accord, two_imports):
    before, between, after = two_imports
    got = exported(accord, node, "--collection", "steps", "--added-after", between)
    assert by_id(got) == by_id(after)
    bad = accord("export", "--added-after", "yesterday", db=node)
    assert bad.returncode != 0 and bad.stdout == ""
    assert "'yesterday' is not a date or time" in words(bad.stderr)


def test_export_gives_the_latest_version_unless_all_versions_is_asked(
    node, accord, tmp_path, deep_panda
):
    original = next(o for o in deep_panda if o["type"] == "malware")
    newer = {**original, "modified": "2030-01-01T00:00:00.000Z", "description": "Revised."}
    path = write_bundle(tmp_path / "versions.json", [original, newer])
    new_collection(accord, node, "versions")
    done = accord("import", str(path), "--collection", "versions", db=node)
    assert done.returncode == 0, done.stderr
    assert exported(accord, node, "--collection", "versions") == [newer]
    every = exported(accord, node, "--collection", "versions", "--all-versions")
    assert sorted(every, key=lambda o: o["modified"]) == [original, newer]


# -- the database --------------------------------------------------------------------------


def test_a_bad_db_scheme_fails_with_a_plain_message_and_no_traceback(accord):
    done = accord("party", "list", db="mysql://root@localhost/accord")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: unsupported database URL scheme 'mysql'")
    assert "Traceback" not in done.stderr


def test_an_error_is_one_line_even_when_stderr_is_a_pipe(accord):
    done = accord("party", "list", db="mysql://root@localhost/accord")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("party", "list"),
        ("token", "create", "--party", "US-CERT"),
        ("collection", "create", "Evidence 2"),
        ("export",),
    ],
)
def test_commands_on_a_database_without_a_node_say_to_run_accord_init(
        databases, tmp_path, accord, command):
    done = accord(*command, db=databases.new("empty"))
    assert done.returncode != 0 and done.stdout == ""
    assert "run `accord init --party NAME`" in words(done.stderr)
    assert "Traceback" not in done.stderr


def test_import_into_a_database_without_a_node_says_to_run_accord_init(databases,
    tmp_path, accord, attack_sample
):
    done = accord("import", str(attack_sample), db=databases.new("empty"))
    assert done.returncode != 0
    assert "run `accord init --party NAME`" in words(done.stderr)


def test_the_accord_db_variable_names_the_database_when_db_is_not_given(node, accord):
    done = accord("party", "list", db=None, env={"ACCORD_DB": node})
    assert done.returncode == 0, done.stderr
    assert "CNCERT" in done.stdout


def test_a_corrupt_gzip_file_is_listed_as_unreadable_not_aborted(node, accord, tmp_path):
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00" + b"not really gzip")
    done = accord("import", str(broken), "--collection", "evidence", db=node)
    assert done.returncode == 1
    assert "not a readable gzip file" in done.stderr and "Aborted" not in done.stderr


def test_a_token_that_would_be_born_expired_is_refused(node, accord):
    done = accord("token", "create", "--party", "US-CERT", "--expires", "0d", db=node)
    assert done.returncode == 2 and done.stdout == ""
    assert "must live longer" in done.stderr
    endless = accord("token", "create", "--party", "US-CERT", "--expires", "99999999d", db=node)
    assert endless.returncode == 2 and "beyond the calendar" in endless.stderr
    assert "Traceback" not in endless.stderr


def test_list_commands_print_their_tables_on_stdout(node, accord):
    done = accord("collection", "list", db=node)
    assert done.returncode == 0 and "evidence" in done.stdout


def test_an_alias_that_cannot_stand_in_a_url_is_refused(node, accord):
    done = accord("collection", "create", "Odd", "--alias", "a/b", db=node)
    assert done.returncode == 2 and "alias" in done.stderr and done.stdout == ""


def test_collection_grant_changes_what_a_party_may_do(node, accord):
    cid = accord("collection", "create", "Granted", "--default-tlp", "red", db=node).stdout.strip()
    done = accord("collection", "grant", cid, "--party", "CNCERT", "--write", db=node)
    assert done.returncode == 0, done.stderr
    assert "may now read and write" in done.stderr
    listed = accord("collection", "list", db=node).stdout
    assert cid in listed and "TLP:RED" in listed


def test_an_unknown_tlp_level_is_refused_in_words(node, accord):
    done = accord("collection", "create", "Bad", "--default-tlp", "purple", db=node)
    assert done.returncode == 2 and "not a TLP level" in done.stderr and done.stdout == ""


def test_audit_verify_passes_then_names_the_record_someone_edited(databases, accord):
    db = databases.new("audited")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    assert accord("token", "create", "--party", "CNCERT", db=db).returncode == 0
    shown = accord("audit", db=db)
    assert shown.returncode == 0 and "token.create" in shown.stdout
    intact = accord("audit", "verify", db=db)
    assert intact.returncode == 0 and "3 records" in intact.stderr
    assert len(intact.stdout.strip()) == 64  # the head hash, for safekeeping
    sql(db, "UPDATE audit SET action = 'party.remove' WHERE seq = 2")
    broken = accord("audit", "verify", db=db)
    assert broken.returncode == 1 and "broken at record 2" in broken.stderr


def test_lookup_finds_what_the_party_may_read_and_nothing_else(databases, tmp_path, accord):
    fixture = Path(__file__).parents[1] / "fixtures" / "oasis" / "indicator-for-c2-ip-address.json"
    db = databases.new("lookup")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    assert accord("import", str(fixture), db=db).returncode == 0
    mine = accord("lookup", "10.0.0.0", "--json", db=db)
    assert mine.returncode == 0
    [found] = [json.loads(line) for line in mine.stdout.splitlines()]
    assert found["type"] == "indicator" and found["matched"]["kind"] == "ipv4"
    theirs = accord("lookup", "10.0.0.0", "--as", "CNCERT", db=db)
    assert theirs.returncode == 0 and "0 objects mention" in theirs.stderr and theirs.stdout == ""


def test_an_over_broad_network_is_imported_with_a_note_and_looked_up_apart(
        databases, tmp_path, accord):
    objects = [{"type": "indicator", "spec_version": "2.1", "name": name,
                "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
                "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                "pattern": f"[ipv4-addr:value ISSUBSET '{network}']", "pattern_type": "stix",
                "valid_from": "2020-01-01T00:00:00Z"}
               for n, (name, network) in enumerate([("all", "0.0.0.0/0"),
                                                    ("c2", "198.51.100.0/24")])]
    bundle = tmp_path / "broad.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": objects,
                                  "id": "bundle--00000000-0000-4000-8000-000000000001"}))
    db = databases.new("broad")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    imported = accord("import", str(bundle), db=db)
    assert imported.returncode == 0 and "2 accepted" in imported.stderr
    assert f"note {objects[0]['id']}: stored, but 0.0.0.0/0 is broader" in imported.stderr
    found = accord("lookup", "198.51.100.7", db=db)
    assert "1 object mentions" in found.stderr and "over-broad, not matched" in found.stderr
    rows = [json.loads(line) for line in
            accord("lookup", "198.51.100.7", "--json", db=db).stdout.splitlines()]
    assert [(r["name"], r["over_broad"]) for r in rows] == [("c2", False), ("all", True)]


def test_export_for_another_party_hands_on_only_clear_and_green(databases, tmp_path, accord):
    from accord.trust.markings import MARKING_FOR, Tlp

    db = databases.new("export-for")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    cid = accord("collection", "create", "Shared", "--read", "CNCERT", db=db).stdout.strip()
    objects = []
    for n, level in enumerate(Tlp):
        objects.append({
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": "[domain-name:value = 'x.example']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z", "object_marking_refs": [MARKING_FOR[level]]})
    bundle = tmp_path / "marked.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}))
    assert accord("import", str(bundle), "--collection", cid, db=db).returncode == 0
    done = accord("export", "--collection", cid, "--for", "CNCERT", db=db)
    assert done.returncode == 0, done.stderr
    handed = json.loads(done.stdout)["objects"]
    assert {o["object_marking_refs"][0] for o in handed} == {
        MARKING_FOR[Tlp.CLEAR], MARKING_FOR[Tlp.GREEN]}
    assert "1 withheld" in done.stderr  # AMBER; AMBER+STRICT and RED it may not even read
    own_view = json.loads(accord("export", "--collection", cid, db=db).stdout)["objects"]
    assert len(own_view) == 5
    # a collection China may not read hands it nothing, whatever the markings
    assert accord("import", str(bundle), "--collection", "evidence", db=db).returncode == 0
    evidence = accord("export", "--collection", "evidence", "--for", "CNCERT", db=db)
    assert "objects" not in json.loads(evidence.stdout)  # STIX 2.1: no empty list


def test_export_for_another_party_hands_on_amber_only_with_its_creators_permission(databases,
        tmp_path, accord):
    from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

    db = databases.new("export-amber")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    [us] = [re.search(f"identity--{UUID}", line).group(0)
            for line in accord("party", "list", db=db).stdout.splitlines() if "US-CERT" in line]
    cid = accord("collection", "create", "Shared", "--read", "CNCERT", db=db).stdout.strip()

    def amber(n, creator, permit):
        return {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}", "created_by_ref": creator,
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": "[domain-name:value = 'x.example']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z", "object_marking_refs": [MARKING_FOR[Tlp.AMBER]],
            "extensions": {ACCORD_MARKING_EXTENSION: {
                "extension_type": "property-extension", "permit_forwarding": permit}}}

    stranger = "identity--00000000-0000-4000-8000-00000000beef"
    objects = [amber(1, us, True), amber(2, us, False), amber(3, stranger, True)]
    bundle = tmp_path / "amber.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": objects}))
    imported = accord("import", str(bundle), "--collection", cid, db=db)
    assert imported.returncode == 0, imported.stderr
    done = accord("export", "--collection", cid, "--for", "CNCERT", db=db)
    assert done.returncode == 0, done.stderr
    # only the node's own party's consent counts: anyone may claim an unknown identity
    assert [o["id"] for o in json.loads(done.stdout)["objects"]] == [objects[0]["id"]]
    assert "2 withheld" in words(done.stderr)


def test_serve_stops_on_ctrl_c_even_when_started_with_it_blocked(databases, tmp_path):
    # A process inherits the signals blocked in the thread that starts it (a test runner's,
    # a script's trap): `accord serve` unblocks them, so that Ctrl-C still stops it.
    import signal
    import subprocess
    import threading
    import time

    from tests.e2e.conftest import ACCORD, run_accord
    from tests.e2e.ports import free_port

    db = databases.new("blocked")
    assert run_accord("init", "--party", "US-CERT", db=db).returncode == 0
    port, started = free_port(), []

    def start() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # this thread only
        started.append(subprocess.Popen(
            [str(ACCORD), "serve", "--db", db, "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    [server] = started
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
