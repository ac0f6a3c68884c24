"""The README's Quick start is what CI runs: its second line is `.ci/run`'s, verbatim."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_ci_runs_the_readmes_second_quick_start_line():
    readme = ROOT.joinpath("README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.startswith("    ")]
    assert len(lines) == 2, lines
    ci = [line for line in ROOT.joinpath(".ci/run").read_text().splitlines()
          if line and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci == [lines[1]]
    assert "accord demo" in lines[0] and "[test]" not in lines[0]
