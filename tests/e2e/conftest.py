"""End-to-end fixtures: the real `accord` command, and a real `accord serve` on a loopback port.

The whole session shares one server per backend (SQLite file, PostgreSQL schema), set up only
through the command line, exactly as an operator would; each test module makes its own
collections on it (`own_collection`), so modules do not see each other's objects.

With ACCORD_TEST_SERVERS=N, each server is N `accord serve` processes on one database behind a
round-robin proxy (tests/e2e/round_robin.py), as several hosts behind one address: nothing a
test does may depend on one process remembering it (docs/testing.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from sqlalchemy import text
from tests.conftest import backends, fresh_pg_schema
from tests.e2e.ports import free_port
from tests.e2e.round_robin import round_robin

ACCORD = Path(sys.executable).parent / "accord"
TAXII = "application/taxii+json;version=2.1"
# Seven China-nexus groups from ATT&CK Enterprise 18.1, with every relationship and every
# referenced object: real data with MITRE's x_mitre_* properties (1.3 MB, 635 objects).
ATTACK_SAMPLE = (Path(__file__).parents[2] / "src" / "accord" / "demo"
                 / "attack-enterprise-18.1-china-groups.json")
OWN_PARTY = "United States (US-CERT)"
PARTNER = "China (CNCERT/CC)"


def _servers_per_node() -> int:
    given = os.environ.get("ACCORD_TEST_SERVERS", "1")
    if not given.isdigit() or int(given) < 1:
        raise pytest.UsageError(f"ACCORD_TEST_SERVERS={given!r}: give a number of server "
                                "processes, 1 or more")
    return int(given)


# How many `accord serve` processes stand behind each server the tests start (live_node,
# `serving`): 1 unless ACCORD_TEST_SERVERS says more.
SERVERS = _servers_per_node()
# How long a server may take to answer: the processes after the first start together, and on
# a busy 2-core machine (load average 20) four of them took over 30 s; at load average 9 one
# `accord serve` on PostgreSQL took 50 s to open its port. A server that exits is reported at
# once, so the allowance only costs when a server hangs.
STARTUP_SECONDS = 60 * (SERVERS + 1)
# How long one request may take while a server is waited for: on that machine the first
# requests took over a second.
_ANSWER_SECONDS = 10


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


def imported_indicator(db: str, directory: Path, suffix: str) -> str:
    """Import one indicator (of 198.51.100.7, id ending in `suffix`, 2 hex digits) into `db`
    as a request's evidence; its id."""
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--7d5c1a2e-3b4f-4c6d-8e9f-0a1b2c3d4e{suffix}",
           "created": "2015-06-04T10:00:00.000Z", "modified": "2015-06-04T10:00:00.000Z",
           "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
           "valid_from": "2015-06-04T10:00:00Z"}
    bundle = directory / f"evidence-{suffix}.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--7d5c1a2e-3b4f-4c6d-8e9f-"
                                  f"0a1b2c3d4f{suffix}", "objects": [obj]}))
    done = run_accord("import", str(bundle), db=db)
    assert done.returncode == 0, done.stderr
    return str(obj["id"])


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


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The backend of the nodes the end-to-end tests start: each test that makes one runs once
    per backend ACCORD_TEST_BACKENDS selects (by default SQLite, and PostgreSQL if it
    answers)."""
    return str(request.param)


class NodeDatabases:
    """Where a test's nodes keep their data: `new(name)` is the --db of a new, empty database
    on the test's backend, a file in the test's folder or a fresh PostgreSQL schema (dropped
    when the test, or the module, is done)."""

    def __init__(self, backend: str, folder: Path, stack: ExitStack) -> None:
        self.backend = backend
        self.folder = folder  # also where the test keeps its other files (logs, bundles)
        self._stack = stack

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def new(self, name: str) -> str:
        if self.is_sqlite:
            return str(self.folder / f"{name}.db")
        return self._stack.enter_context(fresh_pg_schema(re.sub(r"\W", "_", name).lower()))


def _own_node_backends() -> list[object]:
    """The backends of the nodes a test makes for itself: those ACCORD_TEST_BACKENDS names
    (the issue's check: every node on PostgreSQL); unset, SQLite alone. By default PostgreSQL is
    covered by the session's node and the integration tests, and running every self-made
    node (browsers, federations) on both backends would double the suite's time."""
    if os.environ.get("ACCORD_TEST_BACKENDS"):
        return backends()
    return ["sqlite"]


@pytest.fixture(scope="session", params=_own_node_backends())
def own_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def databases(own_backend: str, tmp_path: Path) -> Iterator[NodeDatabases]:
    """New node databases for one test (its files in tmp_path)."""
    with ExitStack() as stack:
        yield NodeDatabases(own_backend, tmp_path, stack)


@pytest.fixture(scope="module")
def module_databases(own_backend: str, tmp_path_factory: pytest.TempPathFactory,
                     request: pytest.FixtureRequest) -> Iterator[NodeDatabases]:
    """New node databases for a module's nodes (its files in a folder of the module's)."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with ExitStack() as stack:
        yield NodeDatabases(own_backend, folder, stack)


def sql(db: str, statement: str, **params: Any) -> list[Any]:
    """Run one SQL statement on a node's database behind its back (a test doing damage, or
    looking at what is stored), on either backend; the rows it returns, if any."""
    from accord.store.engine import open_engine

    engine = open_engine(db)
    try:
        with engine.begin() as conn:
            done = conn.execute(text(statement), params)
            return list(done) if done.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def node_db(backend: str, tmp_path_factory: pytest.TempPathFactory,
            pg_schemas: Callable[[str], AbstractContextManager[str]]) -> Iterator[str]:
    """A --db URL for the session's node: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield str(tmp_path_factory.mktemp("sqlite") / "accord.db")
        return
    with pg_schemas("e2e") as url:
        yield url


def _wait_until_serving(server: subprocess.Popen[bytes], url: str, log: Path,
                        token: str | None = None) -> httpx.Response:
    """Once `server` answers `url` (with `token`: 200; without: anything at all), its answer.
    Fails the test, with the server's log, if it exits first or does not answer within
    STARTUP_SECONDS."""
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII} if token else {}
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"accord serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            answer = httpx.get(url, headers=headers, timeout=_ANSWER_SECONDS)
            if token is None or answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"accord serve did not answer {url} within {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextmanager
def _listening(command: list[str], log: Path, servers: int,
               ready: Callable[[str, subprocess.Popen[bytes]], None],
               env: dict[str, str] | None = None, output: bool = False) -> Iterator[str]:
    """`servers` processes of `accord serve` + `command` (which names no port), each on a
    port of its own, writing stderr (and stdout when `output`) to `log`; yields the base URL
    that reaches them: the one process's own, or a round-robin proxy's in front of them all.
    `ready(url, process)` returns once that process serves. The first is ready before the
    others start, so a node that is new is set up by one process alone."""
    processes: list[tuple[int, subprocess.Popen[bytes]]] = []

    def start() -> tuple[int, subprocess.Popen[bytes]]:
        port = free_port()
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [str(ACCORD), "serve", *command, "--host", "127.0.0.1", "--port", str(port)],
                stdout=sink if output else subprocess.DEVNULL, stderr=sink,
                env={**os.environ, **(env or {})})
        processes.append((port, process))
        return port, process

    try:
        port, process = start()
        ready(f"http://127.0.0.1:{port}", process)
        for port, process in [start() for _ in range(servers - 1)]:
            ready(f"http://127.0.0.1:{port}", process)
        if servers == 1:
            yield f"http://127.0.0.1:{processes[0][0]}"
            return
        with round_robin([("127.0.0.1", port) for port, _ in processes]) as (port, _):
            yield f"http://127.0.0.1:{port}"
    finally:
        for _, process in processes:
            process.terminate()  # all at once, then wait for each
        for _, process in processes:
            stop_server(process)


@pytest.fixture(scope="session")
def live_node(node_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    admin = created("init", "--party", OWN_PARTY, db=node_db)
    created("party", "add", PARTNER, db=node_db)
    partner = created("token", "create", "--party", PARTNER, "--role", "analyst", db=node_db)
    both = ("--read", PARTNER, "--write", PARTNER)
    shared = created("collection", "create", "Shared", "--alias", "shared", *both, db=node_db)
    log = tmp_path_factory.mktemp("server") / "stderr.log"

    def ready(url: str, process: subprocess.Popen[bytes]) -> None:
        _wait_until_serving(process, f"{url}/taxii2/", log, admin)

    with _listening(["--db", node_db], log, SERVERS, ready) as url:
        yield LiveNode(url, node_db, log, admin, partner, shared)


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
    answer = _wait_until_serving(server, f"{url}/taxii2/accord/collections/", log, token)
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
            options: tuple[str, ...] = ("--tick", "0", "--sync-every", "0"),
            servers: int | None = None) -> Iterator[str]:
    """`accord serve` on DB, yielding its base URL; stopped at the end. By default with no
    watcher and no automatic sync: the test drives both. `servers` processes behind one
    round-robin proxy (default: ACCORD_TEST_SERVERS); a fixed `port` is one process's."""
    servers = 1 if port is not None else servers or SERVERS
    if servers == 1:
        with serving_process(db, log, port, env, options) as (url, _):
            yield url
        return

    def ready(url: str, process: subprocess.Popen[bytes]) -> None:
        _wait_until_serving(process, f"{url}/taxii2/", log)

    with _listening(["--db", db, *options], log, servers, ready, env, output=True) as url:
        yield url + "/"


@contextmanager
def serving_process(db: str, log: Path, port: int | None = None,
                    env: dict[str, str] | None = None,
                    options: tuple[str, ...] = ("--tick", "0", "--sync-every", "0"),
                    ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `serving`, yielding the process too (to watch its PID)."""
    port = port or free_port()
    with log.open("wb") as sink:
        server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                                   *options],
                                  stdout=sink, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(server, f"{url}taxii2/", log)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)
