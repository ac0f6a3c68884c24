"""Every command of `accord` that lists or shows something takes --json: a walk over the whole
command tree, then each such command run with --json against a node holding a row of every
kind, its output held to the fields of its table."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.e2e.conftest import OWN_PARTY, PARTNER, created, run_accord

from accord.cli import app
from accord.federation.signing import publish
from accord.node import open_node
from accord.store.peers import PeerStore

INDICATOR = "indicator--33fe3b22-0201-47cf-85d0-97c02164528d"
SIGHTING = "sighting--8a2f4c1e-3b5d-4e6f-9a7b-1c2d3e4f5a6b"

# The commands that neither list nor show, and why; every other command must take --json.
NOT_LISTING: dict[str, tuple[str, ...]] = {
    "print only the id, token, fingerprint or version they create":
        ("init", "party add", "person add", "token create", "collection create", "peer add",
         "peer repin", "guidelines set", "request create", "claim create", "claim respond",
         "designation add", "key rotate", "request translate"),
    "change something and print nothing on stdout (the request commands print the changed "
    "request with --json, as `request show`)":
        ("token revoke", "collection grant", "collection remove-object", "hotline set",
         "request ack", "request report", "request respond", "request rate",
         "request escalate", "request de-escalate",
         "request withdraw", "designation lift", "designation amend", "peer rekey",
         "party time-zone", "party quota"),
    "move STIX in or out: stdout is a STIX bundle, or nothing": ("import", "export"),
    "run something: the server, a sync round, the demo": ("serve", "sync", "demo"),
    "a report, in the format chosen with --format (json among them)": ("review",),
    "a check: its exit status, and the head hash of the audit trail": ("audit verify",),
    "change the trusted sources and print them, one id a line": ("peer trust",),
    "bring the schema up to date or copy the whole database (messages on stderr; `db migrate "
    "--check` answers with its exit status)":
        ("db migrate", "db rebuild-summaries", "db rebuild-search", "db recount-storage",
         "backup", "restore"),
}

# Listings print a table, or with --json one object per line; their arguments here.
LISTINGS: dict[str, tuple[str, ...]] = {
    "party list": (), "person list": (), "token list": (), "collection list": (),
    "peer list": (), "lookup": ("10.0.0.0",), "sightings": (INDICATOR,), "audit": (),
    "request list": (), "hotline log": (), "claim list": (), "designation list": (),
    "key show": (), "peer keys": ("china",), "request translations": ("{request}",),
}
# Showings print one thing, or with --json one JSON document.
SHOWINGS: dict[str, tuple[str, ...]] = {"request show": ("{request}",), "guidelines show": (),
                                        "claim show": ("{claim}",), "claim view": ("{request}",),
                                        "screen": ("Dong Wang",), "db check": ()}

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def every_command(group: Any = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each command of the tree by its full name (`party list`); a group that runs on its
    own (`audit`) is a command too."""
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(command, "commands"):
            if command.invoke_without_command:
                yield full, command
            yield from every_command(command, f"{full} ")
        else:
            yield full, command


def takes_json(command: Any) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def exempt() -> set[str]:
    return {name for names in NOT_LISTING.values() for name in names}


def test_every_command_that_lists_or_shows_takes_json():
    commands = dict(every_command())
    assert exempt() <= commands.keys(), "NOT_LISTING names a command that does not exist"
    lacking = sorted(name for name, command in commands.items()
                     if name not in exempt() and not takes_json(command))
    assert lacking == [], f"these list or show something but take no --json: {lacking}"


def test_every_command_that_lists_or_shows_is_run_below():
    listed = {name for name, _ in every_command()} - exempt()
    assert listed == LISTINGS.keys() | SHOWINGS.keys()


@pytest.fixture(scope="module")
def node(module_databases) -> dict[str, str]:
    """A node with a row of every kind: parties, a person, tokens, collections, an indicator
    and a sighting of it, an escalated request, a peer and audit records."""
    work = module_databases.folder
    db = module_databases.new("node")
    created("init", "--party", OWN_PARTY, db=db)
    partner = created("party", "add", PARTNER, db=db)
    created("person", "add", "Li Wei", "--party", PARTNER, db=db)
    created("token", "create", "--party", PARTNER, "--name", "Li Wei", "--expires", "90d", db=db)
    created("collection", "create", "Shared", "--alias", "shared", "--read", PARTNER, db=db)
    own = open_node(db).party.id
    stix = work / "sighted.json"
    stix.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": INDICATOR, "name": "C2 address",
         "created": "2014-05-08T09:00:00.000Z", "modified": "2014-05-08T09:00:00.000Z",
         "pattern_type": "stix", "pattern": "[ipv4-addr:value = '10.0.0.0']",
         "valid_from": "2014-05-08T09:00:00Z", "created_by_ref": own},
        {"type": "sighting", "spec_version": "2.1", "id": SIGHTING, "sighting_of_ref": INDICATOR,
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z",
         "count": 2, "first_seen": "2015-05-30T00:00:00Z", "last_seen": "2015-05-31T00:00:00Z",
         "created_by_ref": own}]}))
    run(db, "import", str(stix), "--collection", "evidence")
    request = created("request", "create", "--to", PARTNER, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates 10.0.0.0?", "--evidence", INDICATOR,
                      db=db)
    run(db, "request", "escalate", request, "--note", "no answer")
    run(db, "request", "translate", request, "--lang", "zh-Hans", "--as", PARTNER,
        "--field", "summary=谁在操作 10.0.0.0？")
    claim = created("claim", "create", "--subject", request, "--sponsor", "CN", "--basis",
                    "intelligence", "--confidence", "60", "--summary", "State-sponsored.", db=db)
    created("designation", "add", "Wang Dong", "--kind", "individual", "--alias", "UglyGorilla",
            "--legal-basis", "Executive Order 13694", db=db)
    # A peer is pinned over HTTP; here its row is written as `peer add` would leave it.
    PeerStore(open_node(db).engine).add("china", "http://127.0.0.1:9/", "token", partner,
                                        publish(Ed25519PrivateKey.generate().public_key()))
    return {"db": db, "request": request, "claim": claim}


def run(db: str, *args: str) -> str:
    done = run_accord(*args, db=db)
    assert done.returncode == 0, f"accord {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def table_columns(stdout: str) -> list[str]:
    """The column headers of the table printed, as field names ('first seen' → first_seen)."""
    header = next(line for line in stdout.splitlines() if line.startswith("┃"))
    return [cell.strip().replace(" ", "_") for cell in header.strip("┃").split("┃")]


def timestamps_are_rfc3339_utc(value: Any) -> bool:
    if isinstance(value, dict):
        return all(timestamps_are_rfc3339_utc(v) for v in value.values())
    if isinstance(value, list):
        return all(timestamps_are_rfc3339_utc(v) for v in value)
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
        return RFC3339_UTC.fullmatch(value) is not None
    return True


@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_a_listing_as_json_is_one_object_per_line_with_the_tables_columns(node, command):
    args = tuple(a.format(**node) for a in (*command.split(), *LISTINGS[command]))
    columns = table_columns(run(node["db"], *args))
    rows = [json.loads(line) for line in run(node["db"], *args, "--json").splitlines()]
    assert rows, f"accord {command} --json listed nothing"
    for row in rows:
        assert isinstance(row, dict)
        assert [c for c in columns if c not in row] == [], (columns, row)
        assert timestamps_are_rfc3339_utc(row), row


@pytest.mark.parametrize("command", sorted(SHOWINGS))
def test_a_showing_as_json_is_one_json_document(node, command):
    args = [a.format(**node) for a in (*command.split(), *SHOWINGS[command])]
    shown = json.loads(run(node["db"], *args, "--json"))
    assert isinstance(shown, dict) and shown
    assert timestamps_are_rfc3339_utc(shown), shown


def test_request_show_says_what_was_asked_with_every_time_in_the_zone_asked_for(node):
    done = run_accord("--tz", "Asia/Shanghai", "request", "show", node["request"],
                      db=node["db"])
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # the table may wrap a cell
    assert f"evidence: {INDICATOR}" in text and "shared with" not in text  # none: not shown
    times = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^\s,│|]*", done.stdout)
    assert times and all(t.endswith("+08:00") for t in times), times


def test_an_activity_window_is_given_as_dates_or_times_and_checked(node):
    ask = ("request", "create", "--to", PARTNER, "--kind", "information", "--category",
           "intrusion", "--urgency", "routine", "--summary", "Seen when?", "--evidence",
           INDICATOR, "--json")
    done = run_accord(*ask, "--activity-start", "2015-06-04", "--activity-end",
                      "2015-06-05T10:00+08:00", db=node["db"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["activity"] == {"start": "2015-06-04T00:00:00.000000Z",
                                                   "end": "2015-06-05T02:00:00.000000Z"}
    backwards = run_accord(*ask, "--activity-start", "2015-06-05", "--activity-end",
                           "2015-06-04", db=node["db"])
    assert backwards.returncode != 0 and "the activity ends (2015-06-04 00:00 UTC) before it " \
        "starts (2015-06-05 00:00 UTC)" in " ".join(backwards.stderr.split())
    wrong = run_accord(*ask, "--activity-start", "June 4th", db=node["db"])
    assert wrong.returncode == 2 and "--activity-start: 'June 4th' is not a date" in wrong.stderr


def test_the_request_list_says_the_deadline_each_request_waits_on(node):
    # Not yet acknowledged: the acknowledgement is what it waits on, not the response.
    done = run_accord("request", "list", db=node["db"])
    assert done.returncode == 0, done.stderr
    [row] = [line for line in done.stdout.splitlines() if node["request"] in line]
    assert "acknowledge by" in row and "respond by" not in row
