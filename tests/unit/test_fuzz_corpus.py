"""The atheris harnesses of fuzz/, run over their kept seed corpora (and over each input a
harness once failed on): the harnesses keep working, and their invariants hold on real data,
without atheris (docs/fuzzing.md says how to fuzz with it)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

FUZZ = Path(__file__).parents[2] / "fuzz"


def harness(name: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], None]:
    monkeypatch.syspath_prepend(str(FUZZ))  # for their shared fuzz/_atheris.py
    spec = importlib.util.spec_from_file_location(f"fuzz_{name}", FUZZ / f"fuzz_{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.test_one_input


@pytest.mark.parametrize("name", ["validator", "patterns", "signing"])
def test_every_harness_holds_on_its_corpus(name: str, monkeypatch: pytest.MonkeyPatch):
    inputs = sorted((FUZZ / "corpus" / name).iterdir())
    assert len(inputs) >= 20
    run = harness(name, monkeypatch)
    for path in inputs:
        run(path.read_bytes())
