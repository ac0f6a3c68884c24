"""Party names: checked as names (store.names) wherever a party is added, and one differing
from another in case alone refused, since either would be taken for the other."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.store.directory import DirectoryError


def test_a_name_differing_in_case_alone_is_refused(world):
    with pytest.raises(DirectoryError, match="already exists"):
        world.node.directory.add_party("china (cncert/cc)")


@pytest.mark.parametrize("name", ["Evil\x1b[31mRED\x07", "A\nB", "x" * 201])
def test_accord_party_add_refuses_what_is_no_name_and_adds_nothing(world, db_url, name):
    before = len(world.node.directory.parties())
    done = CliRunner().invoke(app, ["party", "add", name, "--db", db_url])
    assert done.exit_code == 2, done.output
    assert "\x1b" not in done.stderr  # said, not acted on
    assert len(world.node.directory.parties()) == before


def test_a_person_and_a_collection_are_named_the_same_way(world):
    with pytest.raises(DirectoryError, match="control or formatting"):
        world.node.directory.add_person(world.other, "Li\x1bWei")
    with pytest.raises(DirectoryError, match="too long"):
        world.node.directory.create_collection("t" * 201, read=[], write=[])


def test_an_unknown_party_asked_for_at_length_is_repeated_cut(world):
    with pytest.raises(DirectoryError) as raised:
        world.node.directory.party("y" * 100_000)
    assert len(str(raised.value)) < 1_000
