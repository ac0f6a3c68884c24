#!/usr/bin/env python3
"""The web UI's pages on the demo data: server time (the Server-Timing header each page
carries) and the time the client waited, per page, against the issue's bar of 200 ms.

`accord demo --exit` builds the two nodes (ATT&CK Enterprise from ../shared when present, the
2015 story, an answered and an escalated request); the US node is then served by one
`accord serve` process and each page is fetched ROUNDS times by one signed-in liaison officer
(the admin page by an admin), after one warm-up fetch.

usage: ui_bench.py [--dir DEMO_DIR] [--rounds N]
(a DEMO_DIR made by an earlier run is reused: remove it for a fresh one)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

# The pages say how long the server took (web.core.finish), for every viewer here.
os.environ.setdefault("ACCORD_SERVER_TIMING", "1")

ACCORD = Path(sys.executable).parent / "accord"
APT19 = "intrusion-set--fe8796a4-2a02-41a0-9d27-7aa1e995feb6"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_in(base: str, token: str, language: str = "en") -> httpx.Client:
    # The officer has chosen no language: the browser's Accept-Language decides, per client.
    client = httpx.Client(base_url=base, timeout=30, headers={"accept-language": language})
    form = client.get("/ui/sign-in")
    csrf = CSRF.search(form.text)
    if csrf is None:
        raise SystemExit(f"no sign-in form at {base}/ui/sign-in: {form.status_code}")
    done = client.post("/ui/sign-in", data={"token": token, "next": "/ui/",
                                             "csrf": csrf.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"sign-in failed: {done.status_code} {done.text[:200]}")
    return client


def measure(client: httpx.Client, path: str, rounds: int) -> tuple[list[float], list[float]]:
    server, waited = [], []
    client.get(path)  # warm-up: templates compiled, statements prepared
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        waited.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
    return server, waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="accord-ui-bench-"))
    if not (work / "demo.json").exists():
        print(f"building the demo in {work} …", file=sys.stderr)
        subprocess.run([str(ACCORD), "demo", "--dir", str(work), "--port", str(free_port()),
                        "--cn-port", str(free_port()), "--exit"], check=True,
                       capture_output=True)
    story = json.loads((work / "demo.json").read_text())
    us_db = str(work / "us.db")
    port = free_port()
    server = subprocess.Popen([str(ACCORD), "serve", "--db", us_db, "--port", str(port),
                               "--tick", "0", "--sync-every", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/taxii2/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        officer = signed_in(base, story["us_liaison"])
        admin = signed_in(base, story["us_admin"])
        chinese = signed_in(base, story["us_liaison"], "zh-CN")
        pages = [
            (officer, "/ui/"), (officer, f"/ui/requests/{story['answered']}"),
            (officer, f"/ui/requests/{story['stalled']}"), (officer, "/ui/requests/new"),
            (officer, "/ui/review"), (officer, "/ui/hotline"),
            (officer, "/ui/search?q=APT19"), (officer, "/ui/search?q=198.51.100.7"),
            (officer, "/ui/search?q=intrusion-set"), (officer, f"/ui/objects/{APT19}"),
            (officer, "/ui/evidence?q=Sakula"), (admin, "/ui/admin"),
            (officer, "/ui/requests"), (officer, "/ui/requests.csv"),
            (officer, "/ui/review?lang=both"), (officer, "/ui/preferences"),
            # The same pages in Chinese (issue 13): the catalogue and Babel's dates per page.
            (chinese, "/ui/"), (chinese, f"/ui/requests/{story['answered']}"),
            (chinese, "/ui/requests/new"), (chinese, "/ui/requests"),
            (chinese, "/ui/review"), (chinese, f"/ui/objects/{APT19}"),
        ]
        print(f"{'page':58} {'server p50':>10} {'p95':>7} {'max':>7} {'client p50':>11}")
        worst = 0.0
        for client, path in pages:
            server_ms, client_ms = measure(client, path, args.rounds)
            p95 = statistics.quantiles(server_ms, n=20)[-1]
            worst = max(worst, max(server_ms))
            shown = ("[zh] " if client is chinese else "") + path
            print(f"{shown[:58]:58} {statistics.median(server_ms):8.1f}ms {p95:5.1f}ms "
                  f"{max(server_ms):5.1f}ms {statistics.median(client_ms):9.1f}ms")
        print(f"slowest page, slowest round: {worst:.1f} ms server time (bar: 200 ms)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
