"""End-to-end fixtures: the real `accord` command, and a real `accord serve` on a loopback port.

The whole session shares one server per backend (SQLite file, PostgreSQL schema), set up only
through the command line, exactly as an operator would; each test module makes its own
collections on it (`own_collection`), so modules do not see each other's objects.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

ACCORD = Path(sys.executable).parent / "accord"
TAXII = "application/taxii+json;version=2.1"
# Seven China-nexus groups from ATT&CK Enterprise 18.1, with every relationship and every
# referenced object: real data with MITRE's x_mitre_* properties (1.3 MB, 635 objects).
ATTACK_SAMPLE = (Path(__file__).parents[2] / "src" / "accord" / "demo"
                 / "attack-enterprise-18.1-china-groups.json")
OWN_PARTY = "United States (US-CERT)"
PARTNER = "China (CNCERT/CC)"
STARTUP_SECONDS = 30


def run_accord(
    *args: str, db: str | None, stdin: bytes | None = None, env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `accord ARGS --db DB` (no --db when `db` is None) as a script would, stdout and
    stderr being pipes, and return what it did; never raises on a non-zero exit."""
    # Without COLUMNS, as in cron jobs and CI: the width a pipe gets is the program's choice.
    inherited = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "ACCORD_DB")}
    completed = subprocess.run(
        [str(ACCORD), *args, *(["--db", db] if db is not None else [])],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**inherited, **(env or {})},
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def created(*args: str, db: str) -> str:
    """Run a command that creates something and return the one line it prints on stdout."""
    done = run_accord(*args, db=db)
    assert done.returncode == 0, f"accord {' '.join(args)} failed:\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"accord {' '.join(args)} printed {lines!r} on stdout"
    return lines[0]


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer TOKEN` for taxii2-client (whose own TokenAuth sends `Token`)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass(frozen=True)
class LiveNode:
    """A running `accord serve` and what was set up for it through the CLI."""

    url: str  # http://127.0.0.1:PORT
    db: str  # the --db value the server and the CLI share
    log: Path  # the server's stderr
    admin_token: str  # own party
    partner_token: str  # the second party's analyst token
    shared_id: str  # own party and the partner may read and write

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def api_root_url(self) -> str:
        return f"{self.url}/taxii2/accord/"

    def collection_url(self, collection_id: str) -> str:
        return f"{self.api_root_url}collections/{collection_id}/"

    def auth(self, token: str | None = None) -> BearerAuth:
        return BearerAuth(token or self.admin_token)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def node_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    pg_schemas: Callable[[str], AbstractContextManager[str]],
) -> Iterator[str]:
    """A --db URL for the session's node: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("sqlite") / "accord.db")
        return
    with pg_schemas("e2e") as url:
        yield url


def _wait_until_serving(server: subprocess.Popen[bytes], url: str, token: str, log: Path
                        ) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"accord serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            answer = httpx.get(
                url, headers={"Authorization": f"Bearer {token}", "Accept": TAXII}, timeout=2
            )
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"accord serve did not answer {url} within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_node(node_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    admin = created("init", "--party", OWN_PARTY, db=node_db)
    created("party", "add", PARTNER, db=node_db)
    partner = created("token", "create", "--party", PARTNER, "--role", "analyst", db=node_db)
    both = ("--read", PARTNER, "--write", PARTNER)
    shared = created("collection", "create", "Shared", "--alias", "shared", *both, db=node_db)
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [str(ACCORD), "serve", "--db", node_db, "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(server, f"{url}/taxii2/", admin, log)
        yield LiveNode(url, node_db, log, admin, partner, shared)
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop a server (`accord serve`, pgbouncer) as an operator would (SIGTERM); killed if it
    hangs."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def first_collection(server: subprocess.Popen[bytes], url: str, token: str, log: Path) -> str:
    """Once `accord serve` at `url` answers: the id of the first collection `token` sees."""
    answer = _wait_until_serving(server, f"{url}/taxii2/accord/collections/", token, log)
    return str(answer.json()["collections"][0]["id"])


@pytest.fixture(scope="module")
def own_collection(live_node: LiveNode, request: pytest.FixtureRequest) -> str:
    """A collection only the node's own party may use, made for this module while the server
    runs; its alias is the module's name."""
    alias = request.module.__name__.rsplit(".", 1)[-1]
    return created(
        "collection", "create", f"Own data of {alias}", "--alias", alias, db=live_node.db
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test against a live server fails, show what the server wrote to stderr."""
    report = yield
    node = getattr(item, "funcargs", {}).get("live_node")
    if report.failed and isinstance(node, LiveNode) and node.log.exists():
        report.sections.append(("accord serve stderr", node.log.read_text()[-8000:] or "(empty)"))
    return report


@pytest.fixture(scope="session")
def accord() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The `accord` command: accord("party", "list", db=URL) → CompletedProcess."""
    return run_accord


@pytest.fixture(scope="session")
def attack_sample() -> Path:
    return ATTACK_SAMPLE


@pytest.fixture(scope="session")
def attack_objects() -> list[dict[str, Any]]:
    return list(json.loads(ATTACK_SAMPLE.read_text())["objects"])


@contextmanager
def serving(db: str, log: Path, port: int | None = None,
            env: dict[str, str] | None = None,
            options: tuple[str, ...] = ("--tick", "0", "--sync-every", "0")) -> Iterator[str]:
    """`accord serve` on DB, yielding its base URL; stopped at the end. By default with no
    watcher and no automatic sync: the test drives both."""
    with serving_process(db, log, port, env, options) as (url, _):
        yield url


@contextmanager
def serving_process(db: str, log: Path, port: int | None = None,
                    env: dict[str, str] | None = None,
                    options: tuple[str, ...] = ("--tick", "0", "--sync-every", "0"),
                    ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `serving`, yielding the process too (to watch its PID)."""
    port = port or _free_port()
    with log.open("wb") as sink:
        server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                                   *options],
                                  stdout=sink, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "taxii2/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)
