"""Kill -9 China's puller and China's server together, at random moments, again and again,
while the US keeps adding to what it shares: China ends holding exactly what the US shares,
nothing lost, nothing twice, nothing retracted. Bounded: a fixed number of kills, ~60 s."""

from __future__ import annotations

import random
import signal
import subprocess
import time

import httpx
from tests.e2e.conftest import ACCORD, ATTACK_SAMPLE, TAXII, created, run_accord
from tests.e2e.federation_nodes import MITRE, Node, export, meet, sync

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
KILLS = 6
BUDGET = 25.0  # seconds for the kills; setup and the final rounds come on top


def _share_more(us: Node, shared: str, token: str, n: int) -> None:
    """Three new indicators (no creator: taken as they are), POSTed to the US node."""
    objects = [{"type": "indicator", "spec_version": "2.1",
                "id": f"indicator--00000000-0000-4000-8000-{n:06d}{k:06d}",
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "pattern": f"[ipv4-addr:value = '198.51.100.{k}']", "pattern_type": "stix",
                "valid_from": "2024-01-01T00:00:00Z"} for k in range(3)]
    posted = httpx.post(f"{us.url}taxii2/accord/collections/{shared}/objects/",
                        json={"objects": objects}, timeout=30, headers={
                            "Authorization": f"Bearer {token}", "Accept": TAXII,
                            "Content-Type": TAXII})
    assert posted.status_code == 202 and posted.json()["success_count"] == 3, posted.text


def test_puller_and_server_killed_at_random_moments_lose_and_double_nothing(databases, tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    us, cn = Node(databases, "us", US), Node(databases, "cn", CN)
    us.start()
    cn.start()
    try:
        meet(us, "china", cn, "us")
        created("peer", "trust", MITRE, db=cn.db)
        shared = created("collection", "create", "Shared with China", "--read", CN, db=us.db)
        assert run_accord("import", str(ATTACK_SAMPLE), "--collection", shared,
                          db=us.db).returncode == 0
        token = created("token", "create", "--party", US, db=us.db)
        cn.kill()
        began = time.monotonic()
        for n in range(KILLS):
            if time.monotonic() - began > BUDGET:
                break
            # China's server pulls every second, and a puller of its own runs beside it.
            cn.start(sync_every="1s")
            puller = subprocess.Popen(
                [str(ACCORD), "sync", "--peer", "us", "--page-size", str(rng.choice((7, 25, 100))),
                 "--db", cn.db], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # The US shares more while both pull: a round's manifest may predate what the
            # other round stores (the window that lost objects for good).
            time.sleep(rng.uniform(0.1, 1.0))
            _share_more(us, shared, token, n)
            time.sleep(rng.uniform(0.1, 1.0))
            for victim in rng.sample(["server", "puller"], 2):
                if victim == "server":
                    cn.kill()
                else:
                    puller.send_signal(signal.SIGKILL)
                    puller.wait()
        cn.start(sync_every="1s")
        done = sync(cn.db, "us", "--page-size", "50")
        assert done.returncode == 0, (seed, done.stderr)

        held = export(cn.db, "--collection", f"from-us-{shared[:8]}")  # none held twice
        assert held == export(us.db, "--collection", shared), f"seed {seed}"
        retracted = run_accord("audit", "--action", "sync.retracted", "--json", db=cn.db)
        assert retracted.stdout.strip() == "", f"seed {seed}: {retracted.stdout}"
    finally:
        for node in (us, cn):
            node.stop()
