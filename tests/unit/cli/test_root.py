"""The root of `accord`: its table of commands says what the command modules register, and
`accord --help` lists them without importing those modules."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from accord.cli import app
from accord.cli.root import COMMANDS, DEFAULT_ZONE, unwrapped
from accord.i18n.zones import DEFAULT_ZONE as ZONES_DEFAULT


def test_the_table_of_commands_is_what_the_modules_register():
    group = typer.main.get_command(app)
    registered = {name: command.get_short_help_str(limit=1000)
                  for name, command in group.commands.items()}
    assert {name: line for name, (_, line) in COMMANDS.items()} == registered


def test_each_command_comes_from_the_modules_the_table_names():
    group = typer.main.get_command(app)
    for name, (modules, _) in COMMANDS.items():
        command = group.commands[name]
        callbacks = [command.callback, *(sub.callback for sub in
                                         getattr(command, "commands", {}).values())]
        origins = {f.__module__.rsplit(".", 1)[-1] for f in callbacks if f is not None}
        assert origins <= set(modules), name
        assert origins, name


def test_help_lists_every_command_without_importing_the_store():
    code = ("import sys; from accord.cli import main; sys.argv = ['accord', '--help'];\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('IMPORTED' if 'sqlalchemy' in sys.modules or 'accord.node' in sys.modules "
            "else 'LIGHT')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().endswith("LIGHT")
    assert "<bool>" not in done.stdout
    for name in COMMANDS:
        assert f" {name} " in done.stdout


def test_the_default_zone_is_the_zones_default():
    assert DEFAULT_ZONE == ZONES_DEFAULT


def test_a_commands_help_is_wrapped_by_the_terminal_not_cut_where_the_source_breaks():
    code = ("import sys; from accord.cli import main; "
            "sys.argv = ['accord', 'import', '--help']; main()")
    done = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"})
    lines = [line.strip() for line in done.stdout.splitlines()]
    # The docstring's second paragraph, in the source broken at 92 columns: each line of the
    # help is full but for the paragraph's last, never a few words left alone.
    start = next(i for i, line in enumerate(lines) if line.startswith("Files of any size"))
    paragraph = lines[start:lines.index("", start)]
    assert len(paragraph) > 2 and all(len(line) > 60 for line in paragraph[:-1]), paragraph
    # A flag takes no value: no `<bool>` beside it (nor beside --help).
    assert "--help" in done.stdout and "<bool>" not in done.stdout, done.stdout


def test_paragraphs_are_joined_and_lists_left_as_they_are():
    assert unwrapped("One\n    two.\n\n    Three\n    four.") == "One two.\n\nThree four."
    listed = "Steps:\n- one\n- two"
    assert unwrapped(listed) == listed


def test_no_commands_help_shows_a_type_beside_a_flag():
    from typer.testing import CliRunner

    def paths(command, prefix):
        yield prefix
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, [*prefix, name])

    runner = CliRunner()
    every = list(paths(typer.main.get_command(app), []))
    assert len(every) > 40
    for argv in every:
        done = runner.invoke(app, [*argv, "--help"])
        assert done.exit_code == 0, (argv, done.output)
        assert "--help" in done.output and "<bool>" not in done.output, argv
