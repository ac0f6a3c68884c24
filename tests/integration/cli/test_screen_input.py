"""`accord screen` says what is wrong with a name it cannot screen, as the REST API does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accord.cli import app


@pytest.mark.parametrize(("args", "said"), [
    (["screen", ""], "the NAME to screen is empty"),
    (["screen", "   "], "the NAME to screen is empty"),
    (["screen", "a" * 501], "has 501 characters; a name has 500 at most"),
    (["screen"], "give a NAME to screen, or --file names.csv"),
])
def test_a_name_that_cannot_be_screened_is_refused_in_words(world, db_url, args, said):
    done = CliRunner().invoke(app, [*args, "--db", db_url])
    assert done.exit_code == 2 and done.stdout == ""
    assert said in " ".join(done.stderr.split())
