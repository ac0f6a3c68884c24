"""The `accord` command. Commands that create something print only the new id or token on
stdout; every message goes to stderr, so scripts can capture what they need. Each command's
module is imported when that command runs (accord.cli.root)."""

from __future__ import annotations

from typing import Any


def main() -> None:
    from accord.cli.root import app

    app()


def __getattr__(name: str) -> Any:
    # `from accord.cli import app`: the whole command tree, every command module imported
    # (tests and tools that walk it); the `accord` command itself loads only what it runs.
    if name == "app":
        from accord.cli.root import app, load_every_command

        load_every_command()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
