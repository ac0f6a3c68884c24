"""The `accord` command. Commands that create something print only the new id or token on
stdout; every message goes to stderr, so scripts can capture what they need."""

from __future__ import annotations

from accord.cli import (  # noqa: F401  (registers the commands)
    admin,
    attribution,
    data,
    database,
    demo,
    federation,
    keys,
    lookup,
    mechanism,
    requests,
    serve,
    translations,
)
from accord.cli.audit import audit_app
from accord.cli.common import app
from accord.cli.database import db_app

app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")


def main() -> None:
    app()
