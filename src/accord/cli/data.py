"""Moving STIX in and out of a node: import and export."""

from __future__ import annotations

import gzip
import sys
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from accord.cli.common import DEFAULT_DB, Db, app, err, fail, opened, split_names, user_errors
from accord.intake import IntakeReport, screen_ahead, store
from accord.memory import no_cyclic_gc
from accord.node import Node
from accord.stix.bundle import NotStixError, objects_in
from accord.stix.timestamps import is_timestamp, microsecond_key
from accord.store.directory import Collection
from accord.store.query import ALL, LAST, ObjectQuery, Reader
from accord.trust.markings import creator_permits_forwarding, may_forward, tlp_of

BATCH = 5000
FIRST_BATCH = 1000  # small, so that storing starts while the rest is still being validated


def _sources(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    for name in paths:
        if name == "-":
            yield "stdin", sys.stdin.buffer.read()
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.endswith((".json", ".json.gz")):
                    yield str(child), child.read_bytes()
        elif path.is_file():
            yield str(path), path.read_bytes()
        else:
            raise fail(f"{name}: no such file or directory")


def _maybe_gunzip(raw: bytes) -> bytes:
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _target(node: Node, collection: str | None) -> Collection:
    if collection:
        return node.directory.collection(collection)
    # The requests collection holds ledgers, not evidence: never the default.
    known = [c for c in node.directory.all_collections() if c.alias != "requests"]
    if len(known) == 1:
        return known[0]
    raise fail("this node has several collections: name one with --collection "
               f"({', '.join(c.alias or c.title for c in known)})")


@app.command("import")
def import_(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or - for stdin; "
                                                    ".json or .json.gz.")],
    collection: Annotated[str | None, typer.Option(help="Collection id, alias or title.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Validate and store STIX 2.1 objects; lists each rejected object and why."""
    with opened(db) as node, user_errors(), no_cyclic_gc():
        target = _target(node, collection)
        documents: list[tuple[str, list[Any]]] = []
        unreadable: list[str] = []
        for name, raw in _sources(paths):
            try:
                documents.append((name, objects_in(orjson.loads(_maybe_gunzip(raw)))))
            except (EOFError, OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
                unreadable.append(f"{name}: not a readable gzip file ({error})")
            except orjson.JSONDecodeError as error:
                unreadable.append(f"{name}: not valid JSON ({error})")
            except NotStixError as error:
                unreadable.append(f"{name}: {error}")
        total = sum(len(objs) for _, objs in documents)
        report = IntakeReport()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=False) as progress:
            task = progress.add_task(f"Importing into {escape(target.title)}", total=total)
            for screened in screen_ahead(list(_batches(documents))):
                done = store(node.engine, target, screened, party_id=node.party.id,
                             operator=True)
                report.merge(done)
                progress.advance(task, len(done.added) + len(done.unchanged) + len(done.rejected))
        for line in unreadable:
            err.print(f"[red]unreadable[/] {escape(line)}")
        for rejection in report.rejected:
            err.print(f"[red]rejected[/] {escape(rejection.id or '(no id)')}: "
                      f"{escape(rejection.message)}")
        err.print(f"{len(report.added)} accepted, {len(report.unchanged)} unchanged, "
                  f"{len(report.rejected)} rejected"
                  + (f", {len(unreadable)} unreadable file(s)" if unreadable else "")
                  + f" — collection {escape(target.title)} ({target.id})")
        if report.rejected or unreadable:
            raise typer.Exit(1)


def _batches(documents: list[tuple[str, list[Any]]]) -> Iterator[list[Any]]:
    size = FIRST_BATCH
    for _, objs in documents:
        start = 0
        while start < len(objs):
            yield objs[start:start + size]
            start += size
            size = BATCH


@app.command("export")
def export(
    collection: Annotated[str | None, typer.Option(help="Collection id, alias or title "
                                                        "(default: every collection).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Object types, comma-separated.")]
    = None,
    added_after: Annotated[str | None, typer.Option(help="Only objects added after this "
                                                         "timestamp.")] = None,
    all_versions: Annotated[bool, typer.Option(help="Every version, not only the latest.")]
    = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write "
                                                "(default: stdout).")] = None,
    for_party: Annotated[str | None, typer.Option(
        "--for", help="Only what may be handed to this other party: TLP:CLEAR and TLP:GREEN "
                      "that it may read, TLP:AMBER whose creator permits forwarding; never "
                      "AMBER+STRICT or RED.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Write a STIX 2.1 bundle of what the node holds (its own view, or --for a party)."""
    if added_after is not None and not is_timestamp(added_after):
        raise fail(f"--added-after: {added_after!r} is not a timestamp such as "
                   "2016-04-06T20:07:09.000Z")
    with opened(db) as node, user_errors():
        targets = ([node.directory.collection(collection)] if collection
                   else node.directory.all_collections())
        query = ObjectQuery(
            types=tuple(split_names(type_)),
            versions=frozenset({ALL if all_versions else LAST}),
            added_after=microsecond_key(added_after) if added_after else None,
            limit=BATCH,
        )
        recipient = node.directory.party(for_party) if for_party else None
        if recipient is not None:
            # Only collections the party may read, and only newest versions: what travels is
            # decided by the marking an object has now.
            targets = [t for t in targets
                       if (found := node.directory.collection_for(recipient.id, t.id))
                       and found[1].can_read]
            query = replace(query, versions=frozenset({LAST}))
        seen: set[tuple[str, str]] = set()
        bodies: list[bytes] = []
        withheld = 0
        parties = frozenset(p.id for p in node.directory.parties())
        for target in targets:
            # The node's own view: what its own party may read under each object's TLP; for
            # another party, what that party may read and what may travel (TLP 2.0).
            reader = recipient or node.party
            query = replace(query, reader=Reader(reader.id, int(target.default_tlp)))
            page = node.objects.page(target.id, query)
            while True:
                for item in page.items:
                    if recipient is not None:
                        obj = orjson.loads(item.body)
                        level = tlp_of(obj)
                        if not may_forward(target.default_tlp if level is None else level,
                                           creator_permits=creator_permits_forwarding(
                                               obj, parties)):
                            withheld += 1
                            continue
                    if (item.id, item.version) not in seen:
                        seen.add((item.id, item.version))
                        bodies.append(item.body)
                if not page.more:
                    break
                page = node.objects.page(target.id, replace(query, after=page.next_cursor))
        # STIX 2.1 §3.3: no empty lists; a bundle with nothing in it has no 'objects'.
        held = b',"objects":[' + b",".join(bodies) + b"]" if bodies else b""
        bundle = (b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'"'
                  + held + b"}\n")
        if output is None:
            sys.stdout.buffer.write(bundle)
            sys.stdout.flush()
        else:
            output.write_bytes(bundle)
        err.print(f"{len(bodies)} objects exported"
                  + (f" to {escape(str(output))}" if output else "")
                  + (f"; {withheld} withheld (TLP:AMBER without its creator's permission, "
                     "AMBER+STRICT and RED may not be handed on)"
                     if withheld else ""))

