"""The server's heap keeps what a request freed: the next request's buffers touch no new pages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from accord.serving.heap import is_glibc

# A page of ATT&CK Enterprise, as a worker makes and frees it at each request: a few buffers
# of megabytes. Prints the page faults of the last 50 requests.
_REQUESTS = """
import resource, sys
from accord.serving.heap import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def answer():
    bodies = [bytes(1400) for _ in range(1000)]
    page = b",".join(bodies)
    return b"[" + page + b"]"
for _ in range(20):
    answer()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    answer()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _run(mode: str, **environment: str) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"} | environment
    done = subprocess.run([sys.executable, "-c", _REQUESTS, mode], capture_output=True,
                          text=True, env=env, check=True)
    kept, faults = done.stdout.split()
    return kept, int(faults)


glibc = pytest.mark.skipif(not is_glibc(),
                           reason="the heap's tuning is glibc's (mallopt)")


@glibc
def test_a_server_keeps_freed_memory_for_its_next_requests():
    kept, faults = _run("keep")
    _, faults_by_default = _run("default")
    assert kept == "True"
    # 50 answers of 3 buffers of 1.4 MB: about 1,300 faults each by default, none kept.
    assert faults_by_default > 10_000
    assert faults < 500


@glibc
def test_the_operators_own_heap_settings_are_left_as_set():
    kept, _ = _run("keep", GLIBC_TUNABLES="glibc.malloc.trim_threshold=0")
    assert kept == "False"


@glibc
def test_workers_started_afterwards_keep_freed_memory_too():
    # As `accord serve --workers N` starts them: a new interpreter, after the parent's call.
    parent = ("import subprocess, sys; from accord.serving.heap import keep_freed_memory; "
              "keep_freed_memory(); "
              "subprocess.run([sys.executable, '-c', sys.argv[1], 'default'], check=True)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run([sys.executable, "-c", parent, _REQUESTS], capture_output=True,
                          text=True, env=env, check=True)
    kept, faults = done.stdout.split()
    assert kept == "None"  # the worker itself did not call it
    assert int(faults) < 500
