"""A look-up of a network holding many mentioned addresses reads what lies inside it in
address order, a bounded number of index rows, and says where it stopped: every mention below
that address was read, none past it, and the work is the same however many lie beyond."""

from __future__ import annotations

import io
import ipaddress

import orjson
import pytest
from rich.console import Console
from tests.integration.correlation.test_lookup_work import work_of
from typer.testing import CliRunner

from accord.cli import app
from accord.cli import lookup as lookup_commands
from accord.correlation.values import guess, value_text
from accord.store import inside_seeks
from accord.store.correlations import Correlations

MOST = 60  # the bound, made small


def indicator(n: int, address: str, creator: str) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "created_by_ref": creator,
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '{address}']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def address(n: int) -> str:
    return str(ipaddress.IPv4Address("10.1.0.0") + n)


@pytest.fixture
def bounded(monkeypatch):
    monkeypatch.setattr(inside_seeks, "MOST_INSIDE", MOST)


@pytest.fixture
def spread(world):
    """200 addresses of 10.1.0.0/16, each named once, in two collections the other party may
    read (added highest address first: the newest name the lowest), and lower addresses in a
    collection it may not read."""
    directory, store = world.node.directory, world.node.objects
    us, china = world.own, world.other
    first = directory.create_collection("First", read=[us, china], write=[us])
    second = directory.create_collection("Second", read=[us, china], write=[us])
    secret = directory.create_collection("Secret", read=[us], write=[us])
    store.add(secret.id, [indicator(9000 + n, address(n), us.id) for n in range(100)],
              poster_id=us.id)
    for n in reversed(range(200)):
        target = first if n % 2 else second
        store.add(target.id, [indicator(n, address(n), us.id)], poster_id=us.id)
    return world


def test_a_broad_network_is_read_up_to_the_bound_and_says_where_it_stopped(spread, bounded):
    correlations = Correlations(spread.node.engine)
    looked = correlations.look_up(spread.other.id, guess("10.1.0.0/16"), 20)
    # The other party's rows only (the secret collection's are not even counted): the 61st
    # in address order, merged across both collections, is where reading stopped.
    assert looked.stopped_at is not None and value_text(looked.stopped_at) == address(MOST)
    # The newest of those read: the lowest addresses were named last.
    assert [m.matched.value for m in looked.found] == [
        guess(address(n))[0].value for n in range(20)]
    everything = correlations.look_up(spread.own.id, guess("10.1.0.1"), 20)
    assert everything.stopped_at is None  # an address is no network: nothing left unread


def test_a_network_within_the_bound_is_complete(spread, bounded):
    looked = Correlations(spread.node.engine).look_up(spread.other.id, guess("10.1.0.0/27"),
                                                      100)
    assert looked.stopped_at is None and len(looked.found) == 32


def test_more_addresses_inside_add_no_work(world, bounded):
    directory, store = world.node.directory, world.node.objects
    us = world.own
    shared = directory.create_collection("Shared", read=[us], write=[us])
    store.add(shared.id, [indicator(n, address(n), us.id) for n in range(300)],
              poster_id=us.id)
    correlations = Correlations(world.node.engine)
    query = guess("10.1.0.0/16")

    def look() -> tuple[str, int]:
        looked = correlations.look_up(us.id, query, 10)
        assert looked.stopped_at is not None
        return value_text(looked.stopped_at), len(looked.found)

    before, work_before = work_of(world.node.engine, look)
    store.add(shared.id, [indicator(1000 + n, address(300 + n), us.id) for n in range(2000)],
              poster_id=us.id)
    after, work_after = work_of(world.node.engine, look)
    assert before == after == (address(MOST), 10)
    # Not a row or an instruction per address past the bound (PostgreSQL's planner may choose
    # another way on the larger table, never one that reads more).
    assert work_after - work_before < 100, (work_before, work_after)


def test_the_api_the_search_page_and_the_cli_say_the_answer_is_incomplete(
        spread, bounded, client, db_url, monkeypatch):
    # The node's own party reads the secret collection too: each of its lowest 100
    # addresses is named twice, and the 61st row is the 31st address.
    answered = client.get("/api/v1/lookup", params={"value": "10.1.0.0/16",
                                                      "limit": "5"}).json()
    assert answered["complete"] is False and answered["read_below"] == "10.1.0.30"
    assert answered["count"] == 5
    whole = client.get("/api/v1/lookup", params={"value": "10.1.0.7"}).json()
    assert whole["complete"] is True and whole["read_below"] is None
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["LookupOut"]
    assert {"complete", "read_below"} <= schema["properties"].keys()

    said = io.StringIO()  # the command's standard error (a console made at import)
    monkeypatch.setattr(lookup_commands, "err", Console(file=said, width=200))
    done = CliRunner().invoke(app, ["lookup", "10.1.0.0/16", "--limit", "5", "--json",
                                    "--db", db_url],
                              catch_exceptions=False)
    assert done.exit_code == 0, said.getvalue()
    assert "below 10.1.0.30; look up a narrower network" in said.getvalue()
    assert len([orjson.loads(line) for line in done.stdout.splitlines()]) == 5



def test_a_reader_of_many_collections_is_merged_across_statements(spread, bounded,
                                                                  monkeypatch):
    """The collections a statement seeks in are bounded (SQLite takes 500 terms of a
    compound SELECT): a reader of more is answered from several, merged in address order,
    sharing the bound: no more rows read than for a reader of few, and every mention below
    where it stopped read."""
    [network] = guess("10.1.0.0/16")
    with spread.node.engine.connect() as conn:
        whole = inside_seeks.seek_inside(conn, spread.other.id, [network], 10_000)
    assert whole.stopped_at is None and len(whole.found) == 200
    read: list[int] = []
    real_rows = inside_seeks.direct.rows

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = real_rows(*args, **kwargs)
        read.append(len(got))
        return got

    monkeypatch.setattr(inside_seeks.direct, "rows", counted)
    for per_statement in (1, 2):  # the two collections each a statement of its own, or one
        monkeypatch.setattr(inside_seeks, "_COLLECTIONS", per_statement)
        read.clear()
        with spread.node.engine.connect() as conn:
            split = inside_seeks.seek_inside(conn, spread.other.id, [network], MOST)
        assert sum(read) <= MOST + len(read)  # the bound, and one row a statement
        assert split.stopped_at is not None
        # In the index's order ('0a010000/32': hex, then the prefix): address order.
        below = {seq: value for seq, value in whole.found.items()
                 if value.value < split.stopped_at.value}
        assert split.found == below and 0 < len(below) <= MOST
    correlations = Correlations(spread.node.engine)
    answer = correlations.look_up(spread.other.id, [network], 20)
    assert answer.stopped_at is not None and len(answer.found) == 20
