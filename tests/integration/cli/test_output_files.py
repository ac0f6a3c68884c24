"""A file a command cannot write is said in one line, naming it and why, exit 2: never a
traceback, and never a half file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app


def _run(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [*args, "--db", db_url])


@pytest.mark.parametrize("fmt", ["html", "pdf", "csv"])
def test_a_review_to_a_folder_that_does_not_exist_says_so(world, db_url, tmp_path, fmt):
    target = tmp_path / "missing" / f"review.{fmt}"
    done = _run(db_url, "review", "--from", "2026-01-01", "--to", "2026-07-01",
                "--format", fmt, "-o", str(target))
    assert done.exit_code == 2, done.output
    assert f"--output {target}: cannot write it" in done.stderr
    assert isinstance(done.exception, SystemExit)  # an exit, not an error of Python's


def test_a_review_onto_a_folder_says_so_and_leaves_it(world, db_url, tmp_path):
    done = _run(db_url, "review", "--from", "2026-01-01", "--to", "2026-07-01",
                "-o", str(tmp_path))
    assert done.exit_code == 2 and "cannot write it" in done.stderr
    assert tmp_path.is_dir() and not list(tmp_path.glob(".*partial"))


def test_screening_results_to_a_folder_that_does_not_exist_say_so(world, db_url,
                                                                   tmp_path: Path):
    names = tmp_path / "names.csv"
    names.write_text("name\nWang Dong\n", encoding="utf-8")
    target = tmp_path / "missing" / "results.csv"
    done = _run(db_url, "screen", "--file", str(names), "-o", str(target))
    assert done.exit_code == 2, done.output
    assert f"--output {target}: cannot write it" in done.stderr
    written = tmp_path / "results.csv"
    done = _run(db_url, "screen", "--file", str(names), "-o", str(written))
    assert done.exit_code == 0, done.output
    assert written.read_bytes().startswith(b"\xef\xbb\xbfquery,match")

