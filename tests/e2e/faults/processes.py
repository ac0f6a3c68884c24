"""Start, kill -9 and wait for the processes under test."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from tests.e2e.conftest import ACCORD
from tests.e2e.ports import free_port


def accord(*args: str, db: str, log: Path, **popen: object) -> subprocess.Popen[bytes]:
    """`accord ARGS --db DB` in a session of its own (so that whatever it forks can be found),
    writing to `log`."""
    with log.open("ab") as sink:
        return subprocess.Popen([str(ACCORD), *args, "--db", db], stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                **popen)  # type: ignore[call-overload]


def kill(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the process itself (not what it forked: that must find its own way out)."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()


def orphans(process: subprocess.Popen[bytes], wait: float = 5.0) -> list[int]:
    """The processes still in the killed process's session after `wait` seconds (its forked
    children that did not notice their parent is gone)."""
    deadline = time.monotonic() + wait
    while True:
        left = [int(pid) for pid in os.listdir("/proc") if pid.isdigit()
                and _session_of(int(pid)) == process.pid]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # pid comm state ppid pgrp SESSION


class Server:
    """`accord serve` on a database, started and killed as often as a test likes, on one
    port; its output goes to `log`."""

    def __init__(self, db: str, log: Path, *options: str,
                 env: dict[str, str] | None = None) -> None:
        self.db, self.log, self.options = db, log, options
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *more: str, preexec: Callable[[], None] | None = None) -> None:
        self.process = accord("serve", "--port", str(self.port), *self.options, *more,
                              db=self.db, log=self.log, preexec_fn=preexec,
                              env={**os.environ, **(self.env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"accord serve exited:\n{self.log.read_text()[-4000:]}")
            try:
                httpx.get(self.url + "taxii2/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"accord serve did not start:\n{self.log.read_text()[-4000:]}")

    def kill(self) -> None:
        assert self.process is not None
        kill(self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill(self.process)
