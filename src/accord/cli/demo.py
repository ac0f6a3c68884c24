"""`accord demo`: the 2015 mechanism on two federated nodes on this machine, ready to explore.

Two real `accord serve` processes — the US's and China's — meet as their operators would (a
token each way, `accord peer add` both ways) and the 2015 story is played through the command
line: ATT&CK loaded, evidence on Deep Panda / APT19 and Sakula shared, a US request for
assistance about a command-and-control server answered and rated, another left unacknowledged
until the deadline watcher escalates it to the hotline, and the review written. Every step is
an ordinary `accord` command, printed as it runs, so the demo doubles as a script to copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import faulthandler
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from accord.cli.common import app, err, fail, signals_reach_us

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
SAMPLE = Path(__file__).parents[1] / "demo" / "attack-enterprise-18.1-china-groups.json"
ENTERPRISE = Path("../shared/data/attack/enterprise-attack-18.1.json")
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"  # ATT&CK's creator
SAKULA = "malware--96b08451-b27a-4ff6-893f-790e26393a8e"
APT19 = "intrusion-set--fe8796a4-2a02-41a0-9d27-7aa1e995feb6"
DEEP_PANDA = "intrusion-set--a653431d-6a5e-4600-8ad3-609b5af57064"
C2 = "indicator--7f0b6c1e-2d3a-4b5c-9d8e-000000000001"
OPM = "campaign--7f0b6c1e-2d3a-4b5c-9d8e-000000000005"
# China's guidelines for the demo: an urgent request must be acknowledged within 20 seconds,
# so that the watcher's escalation happens while you watch.
PR_SET_PDEATHSIG = 1  # linux/prctl.h
DEMO_GUIDELINES = """
[urgency.urgent]
acknowledge = "PT20S"
respond = "PT10M"
"""


class DemoError(Exception):
    pass


class Stopped(Exception):
    """The demo was told to stop (SIGTERM, SIGHUP): its servers stop with it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the demo as Ctrl-C does, through its `finally`: by default they
    would end only this process and leave both servers running, orphaned."""

    def stop_now(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGHUP, stop_now)
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


@cache
def accord_command() -> str:
    """How to run this very `accord` from the shell the demo was started in: the bare name
    when the PATH finds it, else the path it was started by (e.g. .venv/bin/accord)."""
    started = Path(sys.argv[0])
    if started.name != "accord" or not started.is_file():  # python -m accord
        return f"{shlex.quote(sys.executable)} -m accord"
    found = shutil.which("accord")
    if found is not None and Path(found).resolve() == started.resolve():
        return "accord"
    try:
        return shlex.quote(str(started.resolve().relative_to(Path.cwd().resolve())))
    except ValueError:  # outside the working directory
        return shlex.quote(str(started.resolve()))


def shown(*words: str) -> str:
    """A command line as the shell reads it, to copy and paste."""
    return " ".join([accord_command(), *(shlex.quote(w) for w in words)])


@dataclass
class DemoNode:
    name: str
    party: str
    db: str
    port: int
    admin: str = ""
    server: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def run(*args: str, db: str, quiet: bool = False) -> str:
    """Run one `accord` command as a user would; echo it; return its stdout."""
    line = shown(*args, "--db", db)
    if not quiet:
        err.print(f"[dim]$ {escape(line)}[/]")
    done = subprocess.run([sys.executable, "-m", "accord", *args, "--db", db],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise DemoError(f"{line} failed:\n{done.stderr}")
    return done.stdout.strip()


def _die_with_parent() -> None:
    """In the server's process, before it runs: Linux sends it SIGTERM when the demo dies,
    even by SIGKILL, which no handler sees. Elsewhere the demo's own handlers must do."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(node: DemoNode, log: Path) -> None:
    # Another program on the port would answer the readiness check below in the new
    # server's stead (a 401, a page of its own), and the demo would talk to it.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", node.port))
        except OSError:
            raise DemoError(
                f"port {node.port} (for {node.name}'s node) is in use by another program: "
                "stop it, or choose other ports with --port and --cn-port") from None
    with log.open("ab") as sink:
        node.server = subprocess.Popen(
            [sys.executable, "-m", "accord", "serve", "--db", node.db, "--port", str(node.port),
             "--tick", "1s", "--sync-every", "2s"], stdout=sink, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    for _ in range(300):
        if node.server.poll() is not None:
            raise DemoError(f"{node.name}'s server stopped:\n{log.read_text()[-2000:]}")
        try:
            httpx.get(node.url + "taxii2/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise DemoError(f"{node.name}'s server did not start:\n{log.read_text()[-2000:]}")


def stop(nodes: list[DemoNode]) -> None:
    """Both servers told at once, then waited for; one that does not stop in 10 s is killed.
    The 10 s are counted once for both, not one after the other: a server in a sync round
    with the other, which is stopping too, may wait out its exchange's time.

    Waited for with waitpid, not Popen.wait: a Ctrl-C that lands inside Popen.poll (the main
    loop's, every second) can leave the Popen's internal lock taken, and Popen.wait would then
    block for ever."""
    running = [n.server for n in nodes if n.server is not None and n.server.returncode is None]
    for server in running:
        _signal(server, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for server in running:
        if not _ended(server, deadline):
            _signal(server, signal.SIGKILL)
            _ended(server, time.monotonic() + 5)


def _signal(server: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):  # ended, and reaped
        os.kill(server.pid, signum)


def _ended(server: subprocess.Popen[bytes], until: float) -> bool:
    """Whether the server's process ended by `until` (time.monotonic()), reaping it."""
    while True:
        try:
            pid, _ = os.waitpid(server.pid, os.WNOHANG)
        except ChildProcessError:  # reaped already (by Popen.poll)
            return True
        if pid:
            return True
        if time.monotonic() > until:
            return False
        time.sleep(0.05)


def bundle(path: Path, objects: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--2d1f0e4c-5b6a-4c7d-8e9f-"
                                "0a1b2c3d4e5f", "objects": objects}))
    return path


def evidence(us_id: str) -> list[dict[str, object]]:
    """The US's evidence: the C2 address Sakula used, tied to the malware and the groups."""
    made = "2015-06-04T10:00:00.000Z"

    def sdo(kind: str, n: int, **more: object) -> dict[str, object]:
        return {"type": kind, "spec_version": "2.1",
                "id": f"{kind}--7f0b6c1e-2d3a-4b5c-9d8e-{n:012d}", "created_by_ref": us_id,
                "created": made, "modified": made, "object_marking_refs": [AMBER], **more}

    c2 = sdo("indicator", 1, name="Sakula command-and-control server, 198.51.100.7",
             description="Beaconing from hosts of a US federal agency, April–June 2015.",
             pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix",
             valid_from="2015-04-15T00:00:00Z", indicator_types=["malicious-activity"])
    return [c2,
            sdo("relationship", 2, relationship_type="indicates", source_ref=c2["id"],
                target_ref=SAKULA),
            sdo("relationship", 3, relationship_type="indicates", source_ref=c2["id"],
                target_ref=DEEP_PANDA),
            sdo("relationship", 4, relationship_type="indicates", source_ref=c2["id"],
                target_ref=APT19),
            sdo("campaign", 5, name="Intrusions into OPM's networks",
                description="Personnel records of 21.5 million people taken from the US "
                            "Office of Personnel Management, 2014–2015.",
                first_seen="2014-03-01T00:00:00Z", last_seen="2015-06-04T00:00:00Z")]


def wait_for(node: DemoNode, rid: str, state: str, seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        shown = json.loads(run("request", "show", rid, "--json", db=node.db, quiet=True))
        if shown["state"] == state or time.monotonic() > deadline:
            return dict(shown)
        time.sleep(1)


def set_up(us: DemoNode, cn: DemoNode, work: Path, attack: Path) -> dict[str, Any]:
    """Meet, load, and play the story; returns what to print."""
    err.print("[bold]1. Two sovereign nodes meet.[/]")
    run("party", "add", US, db=cn.db)
    us_on_cn = run("token", "create", "--party", US, "--role", "liaison", "--name", "US node",
                   "--machine", db=cn.db)
    # Both nodes on this machine's loopback: plain HTTP, said so (--insecure). Between
    # machines, nodes serve https:// and pin each other's certificates (docs/federation.md).
    fingerprint = run("peer", "add", "cncert", "--url", cn.url, "--token", us_on_cn,
                      "--insecure", db=us.db)
    cn_on_us = run("token", "create", "--party", CN, "--role", "liaison", "--name", "CN node",
                   "--machine", db=us.db)
    run("peer", "add", "us-cert", "--url", us.url, "--token", cn_on_us, "--party", US,
        "--insecure", db=cn.db)
    run("peer", "trust", MITRE, db=cn.db)  # ATT&CK comes unsigned; China takes it as MITRE's
    us_id = json.loads(run("peer", "list", "--json", db=cn.db, quiet=True))["party_id"]

    err.print("[bold]2. Evidence: ATT&CK, and the US's own on Sakula, Deep Panda and APT19.[/]")
    run("import", str(attack), "--collection", "evidence", db=us.db)
    run("import", str(bundle(work / "evidence.json", evidence(us_id))), "--collection",
        "evidence", db=us.db)
    run("collection", "grant", "evidence", "--party", CN, "--read", db=us.db)
    run("guidelines", "set", str(_write(work / "china-guidelines.toml", DEMO_GUIDELINES)),
        db=cn.db)

    err.print("[bold]3. The US asks China for assistance; China answers; the US rates it.[/]")
    answered = run("request", "create", "--to", CN, "--kind", "investigation",
                   "--category", "intrusion", "--urgency", "priority",
                   "--summary", "Identify who operates the Sakula C2 server at 198.51.100.7",
                   "--activity-start", "2015-04-15T00:00:00Z",
                   "--evidence", "indicator--7f0b6c1e-2d3a-4b5c-9d8e-000000000001",
                   "--legal-basis", "2015 US–China cybercrime cooperation commitments",
                   db=us.db)
    run("sync", "--peer", "cncert", db=us.db)
    run("request", "ack", answered, "--note", "Received; assigned to our investigations team",
        db=cn.db)
    run("request", "report", answered, "--text", "Server located at a hosting provider in "
        "Tianjin; logs preserved", db=cn.db)
    run("request", "respond", answered, "--outcome", "action-taken", "--text",
        "Server taken down on 2015-10-02; its operator was identified and referred to the "
        "Ministry of Public Security", db=cn.db)
    run("sync", "--peer", "us-cert", db=cn.db)
    run("sync", "--peer", "cncert", db=us.db)
    run("request", "rate", answered, "--score", "4", "--comment",
        "Timely and useful; attribution details thin", db=us.db)

    err.print("[bold]4. A second, urgent request goes unacknowledged: the watcher escalates it "
              "to the hotline (about 20 seconds).[/]")
    stalled = run("request", "create", "--to", CN, "--kind", "information",
                  "--category", "ip-theft", "--urgency", "urgent",
                  "--summary", "Who exfiltrated personnel records through 198.51.100.7?",
                  "--evidence", "indicator--7f0b6c1e-2d3a-4b5c-9d8e-000000000001", db=us.db)
    run("sync", "--peer", "cncert", db=us.db)
    escalated = wait_for(us, stalled, "escalated", 60)
    if escalated["state"] != "escalated":
        raise DemoError(f"the watcher did not escalate {stalled} in time")

    err.print("[bold]5. Attribution: the US attributes the OPM intrusions to APT19 and Deep "
              "Panda; China denies it; the US designates a person.[/]")
    claim = run("claim", "create", "--subject", OPM, "--attributed-to", f"{APT19},{DEEP_PANDA}",
                "--sponsor", "CN", "--basis", "technical-forensics,law-enforcement",
                "--confidence", "80", "--evidence", C2,
                "--summary", "The intrusions into OPM's networks are the work of APT19 and "
                             "Deep Panda, acting for the Chinese state.", db=us.db)
    run("sync", "--peer", "cncert", db=us.db)
    run("claim", "respond", claim, "--position", "deny", "--basis", "government-statement",
        "--text", "China firmly opposes groundless accusations; China is itself a major "
                  "victim of cyber attacks.", db=cn.db)
    run("sync", "--peer", "us-cert", db=cn.db)
    designation = run("designation", "add", "Wang Dong", "--kind", "individual",
                      "--alias", "王东", "--alias", "UglyGorilla", "--programme", "CYBER2",
                      "--legal-basis", "Executive Order 13694 (April 2015)", "--claim", claim,
                      db=us.db)
    run("sync", "--peer", "cncert", db=us.db)  # the designation reaches China's node too
    screened = json.loads(run("screen", "王东", "--json", db=cn.db))["matches"]
    if not screened or not screened[0]["match"]:
        raise DemoError("screening 王东 on China's node did not find the designation")
    err.print(f"  screening 王东 on China's node: it is {screened[0]['name']}, designated "
              f"({screened[0]['why']})")

    err.print("[bold]6. The review, as the officials will read it.[/]")
    today = datetime.now(UTC).date()
    report = work / "review.html"
    run("review", "--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1)),
        "--format", "html", "-o", str(report), db=us.db)
    # A liaison officer on each side, for the web UI: what the demo hands to a person.
    officers = {
        "us_liaison": run("token", "create", "--party", US, "--role", "liaison", "--name",
                          "US liaison officer", db=us.db, quiet=True),
        "cn_liaison": run("token", "create", "--party", CN, "--role", "liaison", "--name",
                          "CNCERT liaison officer", db=cn.db, quiet=True),
    }
    return {"answered": answered, "stalled": stalled, "review": str(report),
            "claim": claim, "designation": designation, "screened": screened[0],
            "fingerprint": fingerprint, **officers}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the two nodes' databases and "
                                                         "logs go.")] = Path("accord-demo"),
    port: Annotated[int, typer.Option(help="The US node's port.")] = 8401,
    cn_port: Annotated[int | None, typer.Option(
        help="China's node's port (default: the one after the US node's).")] = None,
    attack: Annotated[Path | None, typer.Option(
        help="ATT&CK bundle to load (default: Enterprise from ../shared if present, else the "
             "China-groups excerpt that ships with Accord).")] = None,
    stay: Annotated[bool, typer.Option("--stay/--exit", help="Keep serving until Ctrl-C.")]
    = True,
) -> None:
    """Two federated nodes on loopback — US-CERT and CNCERT/CC — and the 2015 story."""
    source = attack or (ENTERPRISE if ENTERPRISE.exists() else SAMPLE)
    if not source.exists():
        raise fail(f"--attack {source}: no such file")
    directory.mkdir(parents=True, exist_ok=True)
    us = DemoNode("US", US, str(directory / "us.db"), port)
    cn = DemoNode("China", CN, str(directory / "cn.db"), cn_port or port + 1)
    fresh = not Path(us.db).exists()
    nodes = [us, cn]
    # SIGUSR1 prints every thread's stack to stderr: what a demo that will not stop is doing.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    signals_reach_us()
    with stopped_by_signals():
        _play(us, cn, nodes, fresh, directory, source, stay)


def _play(us: DemoNode, cn: DemoNode, nodes: list[DemoNode], fresh: bool, directory: Path,
          source: Path, stay: bool) -> None:
    try:
        if fresh:
            us.admin = run("init", "--party", US, db=us.db)
            cn.admin = run("init", "--party", CN, db=cn.db)
        for node in nodes:
            start(node, directory / f"{node.name.lower()}.log")
        if fresh:
            story = set_up(us, cn, directory, source)
            (directory / "demo.json").write_text(json.dumps(
                {**story, "us_admin": us.admin, "cn_admin": cn.admin}, indent=2))
        else:
            err.print(f"Serving the demo nodes set up before in {escape(str(directory))} "
                      "(remove the directory for a fresh start).")
        _tell(us, cn, json.loads((directory / "demo.json").read_text()), directory)
        if stay:
            err.print("Serving; Ctrl-C stops both nodes.")
            while all(n.server is not None and n.server.poll() is None for n in nodes):
                time.sleep(1)
    except DemoError as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        pass
    except Stopped as signalled:
        err.print(f"{signalled}: stopping both nodes.")
        raise typer.Exit(128 + signalled.signum) from None  # as the shell reports a signal
    finally:
        # A second signal while the servers stop must not leave one of them running.
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        stop(nodes)


def _tell(us: DemoNode, cn: DemoNode, story: dict[str, Any], directory: Path) -> None:
    us_db, cn_db = us.db, cn.db
    lines = [
        "",
        "[bold]Accord demo: two federated nodes on this machine[/]",
        f"  US-CERT     web UI {us.url}ui/   TAXII {us.url}taxii2/   REST {us.url}api/v1/docs",
        f"              liaison officer's token {story.get('us_liaison', '(none)')}",
        f"              admin token {story['us_admin']}",
        f"  CNCERT/CC   web UI {cn.url}ui/   TAXII {cn.url}taxii2/   REST {cn.url}api/v1/docs",
        f"              liaison officer's token {story.get('cn_liaison', '(none)')}",
        f"              admin token {story['cn_admin']}",
        "  Open a web UI and sign in with a token: the dashboard shows what each side owes.",
        f"  China's key fingerprint, as the US pinned it: {story['fingerprint']}",
        "",
        f"  answered and rated: {story['answered']}",
        f"  escalated:          {story['stalled']}",
        f"  review for the officials: {story['review']}",
        f"  attribution, contested: {story.get('claim', '(none)')}",
        "",
        "Try:",
        "  " + escape(shown("request", "show", story["answered"], "--db", us_db)),
        "  " + escape(shown("request", "list", "--db", cn_db)),
        "  " + escape(shown("hotline", "log", "--db", us_db)),
        "  " + escape(shown("claim", "view", OPM, "--db", cn_db)),
        "  " + escape(shown("screen", "Dong Wang", "--db", us_db)),
        "  " + escape(shown("lookup", "198.51.100.7", "--db", us_db)),
        "  " + escape(shown("audit", "--db", cn_db)),
        f"  curl -H 'Authorization: Bearer {story['us_admin']}' {us.url}api/v1/requests",
    ]
    for line in lines:
        err.print(line, highlight=False)
