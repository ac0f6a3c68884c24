"""The root of the `accord` command: its --tz option and the table of its commands, each
command's module imported only when that command runs (or its own help is asked for), so that
`accord import` does not pay for the server, the demo or the review's imports."""

from __future__ import annotations

import importlib
import inspect
from typing import Annotated

import typer
from typer import _click as click  # typer ships its own click: its classes are these
from typer.core import TyperCommand, TyperGroup

# accord.i18n.zones.DEFAULT_ZONE (a test holds them equal): importing zones loads the
# catalogue, which a run in UTC never needs.
DEFAULT_ZONE = "UTC"

# Each command, the modules that register it (a group's subcommands may come from several)
# and its line in `accord --help`; tests/unit/cli/test_root.py holds this equal to the
# commands the modules register. Order: as `accord --help` lists them.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "init": (("admin",),
             "Create the node and its own party; prints an admin token (shown only this once)."),
    "screen": (("attribution",),
               "Is a name designated, or a known actor's? Screens against the designations in "
               "force and the actors' names and aliases this party may read; says why each "
               "result matched."),
    "import": (("data",),
               "Validate and store STIX 2.1 objects; lists each rejected object and why."),
    "export": (("data",), "Write a STIX 2.1 bundle of what the node holds (its own view, or "
                          "--for a party)."),
    "demo": (("demo",),
             "Two federated nodes on loopback — US-CERT and CNCERT/CC — and the 2015 story."),
    "sync": (("federation",), "One sync round: pull what each peer lets this node read."),
    "lookup": (("lookup",), "Every object that mentions VALUE and that the party may read."),
    "sightings": (("lookup",), "Who reported seeing an object: every report for its creator, "
                               "else what the party may read."),
    "review": (("mechanism",), "The review of timeliness and quality of responses, per "
                               "direction between parties."),
    "serve": (("serve",),
              "Serve TAXII 2.1 at http://HOST:PORT/taxii2/ (https:// with --tls-cert) and the "
              "REST API at /api/v1/, and watch request deadlines (creates the node on first "
              "run)."),
    "party": (("admin",), "Parties: the organisations this node knows."),
    "person": (("admin",), "People and machine accounts of a party: who holds tokens."),
    "token": (("admin",), "API tokens: who may call this node."),
    "collection": (("admin",), "TAXII collections and who may read and write them."),
    "claim": (("attribution",), "Attribution claims and the positions parties take on them."),
    "designation": (("attribution",), "Designations of firms and individuals for measures."),
    "peer": (("federation", "keys"), "Peers: other parties' nodes this node federates with."),
    "key": (("keys",), "This node's signing key: its history, and rotating it."),
    "guidelines": (("mechanism",), "The agreed guidelines: deadlines per urgency, required "
                                   "content per kind, the escalation ladder."),
    "hotline": (("mechanism",), "The hotline: where escalations are announced, and its log."),
    "request": (("requests", "translations"),
                "Requests for information and assistance, and what follows."),
    "backup": (("database",), "Copy the whole database to FILE, while the server runs."),
    "restore": (("database",), "Replace the database with a backup made by `accord backup` "
                               "(stop the servers first)."),
    "db": (("database",), "The database: bring its schema up to date, check that it is whole."),
    "audit": (("audit",), "The audit trail: every read and write, chained by hash."),
}


class LazyCommands(TyperGroup):
    """A group whose commands are listed from COMMANDS and built from their modules on use."""

    listing = False  # True while the root's help is written: a command's line is enough

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            modules, line = COMMANDS[cmd_name]
            if self.listing:
                return TyperCommand(cmd_name, short_help=line)
            load(*modules)
            self.commands.update(typer.main.get_group(app).commands)
        command = self.commands.get(cmd_name)
        if command is not None:
            _flags_shown_bare(command, ctx)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _flags_shown_bare(self, ctx)
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


def _flags_shown_bare(command: click.Command, ctx: click.Context) -> None:
    """A flag takes no value: no type beside it in the help (Typer would show `<bool>`, as if
    `--force true` were asked for), --help's own included."""
    for param in [*command.params, command.get_help_option(ctx)]:
        if getattr(param, "is_flag", False):
            param.metavar = ""  # type: ignore[union-attr]
    for sub in getattr(command, "commands", {}).values():
        _flags_shown_bare(sub, ctx)


def load(*modules: str) -> None:
    """Import command modules: each registers its commands on `app`."""
    for module in modules:
        importlib.import_module(f"accord.cli.{module}")
    _unwrap_helps(app)


def _unwrap_helps(commands: typer.Typer) -> None:
    """Each command's help (its docstring) with each paragraph on one line, for the terminal
    to wrap: Typer keeps the source's line breaks, which in an 80-column terminal cut every
    sentence of a long help in two."""
    for info in commands.registered_commands:
        text = info.help if info.help is not None else inspect.getdoc(info.callback)
        if text:
            info.help = unwrapped(text)
    for group in commands.registered_groups:
        if group.typer_instance is not None:
            _unwrap_helps(group.typer_instance)


def unwrapped(text: str) -> str:
    """`text`'s paragraphs each joined into one line (a paragraph holding a list or an
    indented example is left as it is)."""
    return "\n\n".join(
        paragraph if any(line.startswith((" ", "- ", "* ", "\b"))
                         for line in paragraph.splitlines()[1:])
        else " ".join(line.strip() for line in paragraph.splitlines())
        for paragraph in inspect.cleandoc(text).split("\n\n"))


def load_every_command() -> None:
    load(*sorted({module for modules, _ in COMMANDS.values() for module in modules}))


app = typer.Typer(
    name="accord",
    cls=LazyCommands,
    help="Accord: a node of the cooperation mechanism — STIX 2.1 store and TAXII 2.1 server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# The zone the tables and messages of this run show times in (--tz); JSON stays in UTC, as
# STIX timestamps are (RFC 3339 with Z), for scripts.
shown_zone = {"name": DEFAULT_ZONE}


@app.callback()
def _options(tz: Annotated[str, typer.Option(
        "--tz", envvar="ACCORD_TZ", metavar="ZONE",
        help="Show times in this IANA time zone (e.g. Asia/Shanghai) instead of UTC; "
             "--json output stays in UTC.")] = DEFAULT_ZONE) -> None:
    """Accord: a node of the cooperation mechanism — STIX 2.1 store and TAXII 2.1 server."""
    if tz != DEFAULT_ZONE:
        from accord.cli.common import fail
        from accord.i18n.zones import UnknownZone, zone

        try:
            zone(tz)
        except UnknownZone as error:
            raise fail(f"--tz: {error}") from None
    shown_zone["name"] = tz

