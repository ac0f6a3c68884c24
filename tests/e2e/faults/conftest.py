"""Fixtures of the crash-consistency suite: a seed for each test (printed when it fails, and
taken from ACCORD_FAULTS_SEED to replay a failure), how many rounds of faults to inject
(ACCORD_FAULTS_ROUNDS, 1 in CI; see docs/testing-faults.md for a long run), and nodes set up
in this process, not through the command line (the faults, not the set-up, take the time)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.e2e.conftest import OWN_PARTY, PARTNER, NodeDatabases

from accord.node import initialise, open_node


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """The test's randomness, from one seed: ACCORD_FAULTS_SEED, else a new one."""
    given = os.environ.get("ACCORD_FAULTS_SEED")
    seed = int(given) if given else random.randrange(1 << 32)
    request.node.faults_seed = seed
    return random.Random(seed)


@pytest.fixture
def rounds() -> int:
    """How many times each test repeats its faults: ACCORD_FAULTS_ROUNDS, default 1."""
    return max(1, int(os.environ.get("ACCORD_FAULTS_ROUNDS", "1")))


@pytest.fixture
def faults(rounds: int) -> Callable[[int, float], Iterator[int]]:
    """faults(n, seconds): the numbers of the faults to inject, n per round, stopping early
    (after the first) once `seconds` per round have passed: bounded on a slow machine too."""

    def schedule(per_round: int, seconds: float) -> Iterator[int]:
        began = time.monotonic()
        for n in range(per_round * rounds):
            if n and time.monotonic() - began > seconds * rounds:
                return
            yield n

    return schedule


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    seed = getattr(item, "faults_seed", None)
    if report.failed and seed is not None:
        report.sections.append(("faults seed", f"replay with ACCORD_FAULTS_SEED={seed}"))
    return report


def cli(*args: str, db: str) -> str:
    """`accord ARGS --db DB` run in this process (the same code as the command, without a
    second's start-up); its one line of stdout."""
    from typer.testing import CliRunner

    from accord.cli import app

    done = CliRunner().invoke(app, [*args, "--db", db], catch_exceptions=False)
    assert done.exit_code == 0, f"accord {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@dataclass(frozen=True)
class Site:
    """A node's database, set up: its own party, a partner, their tokens, a shared
    collection."""

    db: str
    admin_token: str
    partner_token: str
    shared_id: str
    partner_id: str
    own_id: str


def make_site(db: str) -> Site:
    node = open_node(db)
    try:
        own, admin = initialise(node, OWN_PARTY)
        partner = node.directory.add_party(PARTNER)
        token = node.directory.create_token(partner, role="analyst")
        shared = node.directory.create_collection("Shared", alias="shared", read=[own, partner],
                                                  write=[own, partner])
        return Site(db, admin, token, shared.id, partner.id, own.id)
    finally:
        node.engine.dispose()


@pytest.fixture
def site(databases: NodeDatabases) -> Iterator[Site]:
    yield make_site(databases.new("node"))
