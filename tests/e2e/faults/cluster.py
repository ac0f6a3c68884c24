"""A PostgreSQL cluster of the test's own, made with the machine's PostgreSQL programs in a
temporary directory, on a free port: one the test may stop, crash and restart, unlike the
shared server at 127.0.0.1:5432 that other tests use."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.ports import free_port


def postgres_bin() -> Path | None:
    """The newest PostgreSQL's programs on this machine (Debian's layout), or what
    pg_config names; None if there are none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if (Path(bindir.stdout.strip()) / "initdb").exists():
            return Path(bindir.stdout.strip())
    return None


class Cluster:
    """initdb, pg_ctl start, stop (fast or immediate: a crash), on a port of its own. As root
    (PostgreSQL refuses to run as root) its programs run as the user `postgres`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        # Not under pytest's tmp_path: its folders are root's alone, and postgres must enter.
        self.dir = Path(tempfile.mkdtemp(prefix="accord-faults-pg-"))
        self.data = self.dir / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bindir / program), *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{program} failed:\n{done.stdout}\n{done.stderr}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=60")
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l",
                  str(self.dir / "postgres.log"), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean shutdown that ends every session; `immediate`: as if the server
        crashed (recovery from its write-ahead log at the next start)."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))

    def remove(self) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "stop", "-m", "immediate",
                        "-D", str(self.data)], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
