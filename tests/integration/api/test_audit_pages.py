"""The audit trail a page at a time, through the API and the command line (the admin page:
tests/integration/web/test_admin_audit.py): each says where the next page begins, and where
a search stopped at its bound."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from rich.console import Console
from typer.testing import CliRunner

from accord.cli import app
from accord.cli import audit as audit_commands
from accord.store import audit_search
from accord.trust.audit import Event


def escalations_under_reads(world) -> list[int]:  # type: ignore[no-untyped-def]
    """Fifty escalations by the other party under 300 reads of the node's own: the
    escalations' seqs, newest first."""
    audit = world.node.audit
    audit.append([Event("2026-12-04T01:00:00.000Z", "request.escalate", world.other.id,
                        None, None, (f"x-accord-request--{n}",)) for n in range(50)])
    audit.append([Event("2026-12-04T02:00:00.000Z", "objects.read", world.own.id, None,
                        "c", ("indicator--a",))] * 300)
    return [r.seq for r in reversed(list(audit.records()))
            if r.event.action == "request.escalate"]


@pytest.fixture
def trail(world) -> list[int]:  # type: ignore[no-untyped-def]
    return escalations_under_reads(world)


def test_the_api_pages_through_the_trail_by_its_link_header(client, trail):
    seqs, url, pages = [], "/api/v1/audit?action=request&limit=20", 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        seqs += [record["seq"] for record in r.json()]
        pages += 1
        link = r.headers.get("link")
        url = link[1:link.index(">")] if link else ""
        assert "accord-search-stopped-at" not in r.headers
    assert seqs == trail and pages == 3
    for forged in ("12; DROP", "9" * 5000, "0", "２"):
        refused = client.get("/api/v1/audit", params={"after": forged})
        assert refused.status_code == 400 and "after: " in refused.text


def test_where_a_search_stopped_is_said_and_the_next_page_goes_on_from_there(
        client, world, trail, monkeypatch):
    # Two criteria of 50 and 300 records, none meeting both.
    monkeypatch.setattr(audit_search, "WALKED", 20)
    r = client.get("/api/v1/audit", params={"action": "objects",
                                            "party": world.other.id, "limit": 10})
    assert r.status_code == 200 and r.json() == []
    stopped = int(r.headers["accord-search-stopped-at"])
    after = parse_qs(urlsplit(r.headers["link"][1:r.headers["link"].index(">")]).query)
    assert after["after"] == [str(stopped)]


def test_the_command_says_where_older_records_begin(world, db_url, trail, monkeypatch):
    said = io.StringIO()
    monkeypatch.setattr(audit_commands, "err", Console(file=said, width=300))

    def shown(*args: str) -> list[int]:
        said.truncate(0)
        said.seek(0)
        done = CliRunner().invoke(app, ["audit", "--json", *args, "--db", db_url],
                                  catch_exceptions=False)
        assert done.exit_code == 0, said.getvalue()
        return [orjson.loads(line)["seq"] for line in done.stdout.splitlines()]

    first = shown("--action", "request", "--limit", "30")
    assert first == trail[:30]
    assert f"--before {trail[29]}" in said.getvalue()
    assert shown("--action", "request", "--limit", "30", "--before", str(trail[29])) \
        == trail[30:]
    assert "--before" not in said.getvalue()
    monkeypatch.setattr(audit_search, "WALKED", 20)
    assert shown("--action", "objects", "--party", world.other.name, "--limit", "10") == []
    assert "looked at 20 records" in said.getvalue()
    assert "without finding 10; older ones: --before" in said.getvalue()


def test_a_collection_s_records_are_searched_by_its_id_or_its_alias(
        client, world, db_url, trail, monkeypatch):
    evidence = world.evidence.id
    world.node.audit.append([Event("2026-12-04T03:00:00.000Z", "objects.read", world.other.id,
                                   None, evidence, ("indicator--b",))] * 4)
    mine = [r.seq for r in reversed(list(world.node.audit.records()))
            if r.event.collection_id == evidence]
    r = client.get("/api/v1/audit", params={"collection": evidence, "limit": 100})
    assert [record["seq"] for record in r.json()] == mine and len(mine) >= 4
    said = io.StringIO()
    monkeypatch.setattr(audit_commands, "err", Console(file=said, width=300))
    done = CliRunner().invoke(app, ["audit", "--json", "--collection", "evidence",
                                    "--db", db_url], catch_exceptions=False)
    assert [orjson.loads(line)["seq"] for line in done.stdout.splitlines()] == mine
    unknown = CliRunner().invoke(app, ["audit", "--collection", "nowhere", "--db", db_url])
    assert unknown.exit_code != 0 and not unknown.stdout


def test_the_next_page_is_named_relative_to_the_page_whatever_host_was_sent(client, trail):
    # A Host header is the client's to make up: announced back, behind a shared cache it
    # would send the next client (and its token) elsewhere.
    r = client.get("/api/v1/audit?action=request&limit=20", headers={"Host": "evil.example"})
    link = r.headers["link"]
    assert link.startswith("</api/v1/audit?") and "evil.example" not in link
    assert client.get(link[1:link.index(">")]).status_code == 200


def test_a_filter_naming_nothing_here_is_refused_not_answered_empty(client, world, trail):
    for params, said in (({"party": "Nobody"}, "party: no party 'Nobody'"),
                         ({"collection": "nope"}, "collection: 'nope'"),
                         ({"person": "Li Wei"}, "person: 'Li Wei' is not a person's id"),
                         ({"person": "5b0e1a2c-3d4f-4a5b-8c6d-7e8f9a0b1c2d"},
                          "person: nobody on this node has the id "
                          "'5b0e1a2c-3d4f-4a5b-8c6d-7e8f9a0b1c2d'")):
        r = client.get("/api/v1/audit", params=params)
        assert r.status_code == 400 and said in r.text, r.text
    # A party by its name is the party by its id; an id this node no longer knows is
    # searched as given (the trail keeps what parties since gone did).
    by_name = client.get("/api/v1/audit", params={"party": world.other.name, "limit": 100})
    by_id = client.get("/api/v1/audit", params={"party": world.other.id, "limit": 100})
    assert by_name.json() == by_id.json() and len(by_id.json()) == 50
    gone = "identity--00000000-0000-4000-8000-000000000000"
    assert client.get("/api/v1/audit", params={"party": gone}).json() == []
    assert client.get("/api/v1/audit", params={"collection": world.evidence.title}
                      ).status_code == 200
    someone = world.node.directory.add_person(world.own, "Li Wei")
    assert client.get("/api/v1/audit", params={"person": someone.id}).status_code == 200
