"""`accord serve` killed -9 while TAXII POSTs (and reads) are in flight, again and again: what
was acknowledged (202) is there after the restart, with its status; a POST whose answer was
lost is stored whole or not at all; posting it again stores exactly what was missing."""

from __future__ import annotations

import time

import httpx
from tests.e2e.conftest import TAXII
from tests.e2e.faults.invariants import held, problems
from tests.e2e.faults.load import Load
from tests.e2e.faults.processes import Server

KILLS, SECONDS = 3, 10  # per round: kills, and the time they may take
CLIENTS = 3


def test_a_server_killed_with_posts_in_flight_keeps_what_it_acknowledged(
        site, tmp_path, rng, faults):
    server = Server(site.db, tmp_path / "serve.log", "--tick", "0", "--sync-every", "0")
    load = Load(server.url, site.shared_id, [site.admin_token, site.partner_token], rng,
                site.partner_id)
    server.start()
    try:
        load.start(CLIENTS)
        for _ in faults(KILLS, SECONDS):
            time.sleep(rng.uniform(0.5, 2.5))
            server.kill()
            server.start()
        time.sleep(0.5)
        load.finish()
        assert set(load.answers) <= {200, 202}, load.answers
        acknowledged = [p for p in load.posts if p.answer is not None]
        assert len(acknowledged) > 1, "too few POSTs answered to tell anything"
        load.check_stored(held(site.db, site.shared_id))
        for post in acknowledged:  # and the status of each, kept across the restarts
            assert post.answer is not None
            found = httpx.get(f"{server.url}taxii2/accord/status/{post.answer['id']}/",
                              timeout=10, headers={"Authorization": f"Bearer {post.token}",
                                                   "Accept": TAXII})
            assert found.status_code == 200, found.text[:500]
            assert found.json()["success_count"] == post.answer["success_count"]
        load.post_the_rest()
    finally:
        load.finish()
        server.stop()
    assert problems(site.db) == []
    assert load.everything() <= held(site.db, site.shared_id)
