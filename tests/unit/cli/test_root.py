"""The root of `accord`: its table of commands says what the command modules register, and
`accord --help` lists them without importing those modules."""

from __future__ import annotations

import subprocess
import sys

import typer

from accord.cli import app
from accord.cli.root import COMMANDS, DEFAULT_ZONE
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
    for name in COMMANDS:
        assert f" {name} " in done.stdout


def test_the_default_zone_is_the_zones_default():
    assert DEFAULT_ZONE == ZONES_DEFAULT
