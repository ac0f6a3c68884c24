"""What the harnesses share: instrument Accord's code (and the libraries that parse for it)
for atheris when a harness runs as a program; nothing when the suite imports it to replay
the corpus (tests/unit/test_fuzz_corpus.py), where atheris need not be installed."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

INSTRUMENTED = ("accord", "stix2patterns", "rfc8785")  # pure Python: what atheris can trace


def instrumented(running: bool) -> contextlib.AbstractContextManager[Any]:
    """Around the harness's imports. Instrumenting only these (not all that is loaded, some
    11,000 functions with SQLAlchemy's) starts a run in seconds, not minutes."""
    if not running:
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=list(INSTRUMENTED))


def fuzz(test_one_input: Callable[[bytes], None]) -> None:
    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
