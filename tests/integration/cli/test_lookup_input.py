"""What a look-up is given is checked before anything is read: nothing, too long, or not an
id is said as such, not answered with "0 objects"."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accord.cli import app


@pytest.mark.parametrize(("args", "said"), [
    (["lookup", ""], "give a value to look up"),
    (["lookup", "x" * 3000], "a look-up takes 2,048 at most"),
    (["sightings", "garbage"], "'garbage' is not a STIX id"),
])
def test_a_look_up_of_nothing_is_said_not_answered_with_none(world, db_url, args, said):
    done = CliRunner().invoke(app, [*args, "--db", db_url])
    assert done.exit_code == 2 and said in done.stderr, done.output
