"""`accord demo` plays the 2015 story on two federated nodes and leaves them consistent."""

from __future__ import annotations

import json

from tests.e2e.conftest import _free_port, run_accord


def test_the_demo_sets_up_two_nodes_and_plays_the_story(tmp_path):
    directory = tmp_path / "demo"
    # Two ports the system handed out: the one after a free port may be taken by a parallel test.
    port, cn_port = _free_port(), _free_port()
    while cn_port == port:
        cn_port = _free_port()
    done = run_accord("demo", "--dir", str(directory), "--port", str(port),
                      "--cn-port", str(cn_port), "--exit", db=None,
                      timeout=300)  # all of ATT&CK Enterprise, where ../shared has it
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    story = json.loads((directory / "demo.json").read_text())
    us, cn = str(directory / "us.db"), str(directory / "cn.db")

    def state(rid: str, db: str) -> str:
        shown = run_accord("request", "show", rid, "--json", db=db)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)["state"]

    assert state(story["answered"], us) == "closed"
    assert state(story["stalled"], us) == "escalated"
    assert state(story["answered"], cn) in ("answered", "closed")  # China pulls the rating later
    review = (directory / "review.html").read_text()
    assert "<svg" in review and "United States (US-CERT)" in review
    assert f"http://127.0.0.1:{port}/taxii2/" in done.stderr
    assert story["us_admin"] in done.stderr and story["cn_admin"] in done.stderr
    assert f"web UI http://127.0.0.1:{port}/ui/" in done.stderr
    assert story["us_liaison"] in done.stderr and story["cn_liaison"] in done.stderr
    # the attribution reads the same, contested, on both nodes
    claims = [json.loads(run_accord("claim", "show", story["claim"], "--json", db=db).stdout)
              for db in (us, cn)]
    assert claims[0] == claims[1] and claims[0]["status"] == "contested"
    assert [p["position"] for p in claims[0]["positions"]] == ["agree", "deny"]
    assert claims[0]["attributed_to_names"] == ["APT19", "Deep Panda"]
    # 王东, screened on China's node, hit the US's designation of Wang Dong
    assert story["screened"]["name"] == "Wang Dong" and story["screened"]["match"] is True
    # the evidence crossed: China's node holds the US's signed indicator
    found = run_accord("lookup", "198.51.100.7", "--json", db=cn)
    assert "indicator--7f0b6c1e-2d3a-4b5c-9d8e-000000000001" in found.stdout
