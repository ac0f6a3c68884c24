"""PostgreSQL restarted, and crashed, under load, on a cluster of the test's own: while it is
away every request is answered 503 in the surface's own error format (never a 500, never a
traceback in the log), the node comes back by itself as soon as the database does, and what it
acknowledged is there, whole."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.faults.cluster import Cluster, postgres_bin
from tests.e2e.faults.conftest import Site, make_site
from tests.e2e.faults.invariants import held, problems
from tests.e2e.faults.load import Load
from tests.e2e.faults.processes import Server

OUTAGES, SECONDS = 2, 12  # per round: outages (a clean restart, a crash), and their time
CLIENTS = 3


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL programs (initdb, pg_ctl) on this machine to make a "
                    "private cluster with; the shared server must not be restarted")
    made = Cluster(bindir)
    try:
        made.start()
        yield made
    finally:
        made.remove()


def test_the_node_rides_out_postgresql_restarts_and_crashes_under_load(
        cluster: Cluster, tmp_path: Path, rng: random.Random, faults):
    site: Site = make_site(cluster.url)
    server = Server(site.db, tmp_path / "serve.log", "--sync-every", "0")
    server.start("--tick", "0.5s")  # the deadline watcher ticks through the outages too
    load = Load(server.url, site.shared_id, [site.admin_token, site.partner_token], rng,
                site.partner_id)
    try:
        load.start(CLIENTS)
        turns = rng.sample(["fast", "immediate"], 2)  # a clean restart and a crash, in turn
        for n in faults(OUTAGES, SECONDS):
            mode = turns[n % 2]
            time.sleep(rng.uniform(0.5, 1.5))
            cluster.stop(mode)
            time.sleep(rng.uniform(0.5, 1.5))  # away: every answer meanwhile is a 503
            cluster.start()
            back = time.monotonic()
            time.sleep(1.5)
            # Back: the pool replaces its dead connections before use (a quiet node's first
            # request after a restart: tests/integration/store/test_reconnect.py); nothing
            # fails.
            assert load.failed_since(back) == [], "requests failed once the database was back"
        load.finish()
        assert server.process is not None and server.process.poll() is None, "the node died"
        assert set(load.answers) <= {200, 202, 503}, load.answers
        assert load.answers[503] > 0, "no request met the database away: nothing was tested"
        assert load.wrong == [], load.wrong[:5]
        load.check_stored(held(site.db, site.shared_id))
        load.post_the_rest()
    finally:
        load.finish()
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log, log[-4000:]
    assert "the database is unreachable" in log
    assert problems(site.db) == []
    assert load.everything() <= held(site.db, site.shared_id)
