"""`accord demo` plays the 2015 story on two federated nodes and leaves them consistent."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.e2e.conftest import ACCORD, ATTACK_SAMPLE, run_accord
from tests.e2e.ports import free_port

# A shell where the PATH does not find `accord` (the venv not activated), as a newcomer's.
WITHOUT_VENV = {**os.environ, "PATH": os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep)
    if p and Path(p).resolve() != ACCORD.parent.resolve())}
WITHOUT_VENV.pop("ACCORD_DB", None)


@dataclass(frozen=True)
class Played:
    directory: Path
    port: int
    cn_port: int
    done: subprocess.CompletedProcess[str]


def _two_ports() -> tuple[int, int]:
    # Two ports the system handed out: the one after a free port may be taken by a parallel test.
    port, cn_port = free_port(), free_port()
    while cn_port == port:
        cn_port = free_port()
    return port, cn_port


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The demo played once (--exit): its nodes set up in a directory the tests reuse. SQLite
    alone, whatever ACCORD_TEST_BACKENDS says: `accord demo` makes its two nodes as files in
    --dir, by design (a newcomer's first run needs no server)."""
    directory = tmp_path_factory.mktemp("demo") / "demo"
    port, cn_port = _two_ports()
    # The ATT&CK excerpt that ships with Accord: the story is the same, and all of Enterprise
    # (the default where ../shared has it) takes minutes on a busy machine.
    done = run_accord("demo", "--dir", str(directory), "--port", str(port),
                      "--cn-port", str(cn_port), "--attack", str(ATTACK_SAMPLE), "--exit",
                      db=None, env=WITHOUT_VENV, timeout=1200)  # some 45 commands
    return Played(directory, port, cn_port, done)


def test_the_demo_sets_up_two_nodes_and_plays_the_story(played):
    directory, port, done = played.directory, played.port, played.done
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


def test_the_commands_it_prints_run_as_printed(played):
    """Not a bare `accord` where the PATH does not find it, and the databases where they are."""
    stderr = played.done.stderr
    tries = [line.strip() for line in stderr[stderr.index("Try:"):].splitlines()[1:]]
    commands = [line for line in tries if line and not line.startswith("curl ")]
    assert len(commands) == 7, stderr
    for command in commands:
        assert not command.startswith("accord "), command
        assert f" --db {played.directory}/" in command, command
    assert f"--db {played.directory / 'us.db'}" in stderr and " --db us.db" not in stderr
    story = json.loads((played.directory / "demo.json").read_text())
    assert commands[0].endswith(f"request show {story['answered']} --db "
                                f"{played.directory / 'us.db'}")
    shown = subprocess.run(commands[0], shell=True, capture_output=True, text=True,
                           env=WITHOUT_VENV, timeout=60)
    assert shown.returncode == 0 and story["answered"] in shown.stdout, shown.stderr


def _is_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# SIGKILL reaches no handler: on Linux the servers are told by the kernel (PR_SET_PDEATHSIG).
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT,
                                    signal.SIGKILL])
def test_a_signal_stops_the_demo_and_both_its_servers(played, signum, tmp_path):
    port, cn_port = _two_ports()
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen([str(ACCORD), "demo", "--dir", str(played.directory),
                             "--port", str(port), "--cn-port", str(cn_port), "--stay"],
                            stdout=log, stderr=subprocess.STDOUT, env=WITHOUT_VENV)
    try:
        deadline = time.monotonic() + 60
        while not (_is_open(port) and _is_open(cn_port)
                   and b"Serving; Ctrl-C" in (tmp_path / "demo.log").read_bytes()):
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "demo.log").read_text()
            time.sleep(0.2)
        demo.send_signal(signum)  # to the demo alone, as `kill` or a service manager does
        try:
            code = demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{demo.pid}/status").read_text()
            masks = [line for line in status.splitlines() if line.startswith("Sig")]
            demo.send_signal(signal.SIGUSR1)  # the demo prints its threads' stacks
            time.sleep(2)
            raise AssertionError(f"the demo still runs 30 s after {signum.name} ({masks}):\n"
                                 + (tmp_path / "demo.log").read_text()[-6000:]) from None
    finally:
        if demo.poll() is None:
            demo.kill()
        log.close()
    told = (tmp_path / "demo.log").read_text()
    assert code in (0, 128 + signum, -signum), told
    assert "Traceback" not in told
    deadline = time.monotonic() + 10
    while _is_open(port) or _is_open(cn_port):
        assert time.monotonic() < deadline, f"a node still serves after {signum.name}:\n{told}"
        time.sleep(0.2)


def test_a_port_another_program_holds_is_said_and_nothing_is_left_running(played):
    # The other program would answer the demo's readiness check (a 401 from another server),
    # and the demo would go on talking to it.
    port, cn_port = _two_ports()
    with socket.socket() as other:
        other.bind(("127.0.0.1", cn_port))
        other.listen()
        done = run_accord("demo", "--dir", str(played.directory), "--port", str(port),
                          "--cn-port", str(cn_port), "--exit", db=None, env=WITHOUT_VENV,
                          timeout=120)
    assert done.returncode == 2, done.stderr  # as for every usage error
    assert (f"port {cn_port} (for China's node) is in use by another program: stop it, or "
            "choose other ports with --port and --cn-port") in done.stderr
    assert "Traceback" not in done.stderr and "401" not in done.stderr
    assert not _is_open(port)  # the US node, started first, was stopped
