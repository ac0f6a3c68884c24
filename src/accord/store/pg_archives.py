"""What a pg_dump archive of a node holds, read from pg_restore's own output: the table of
contents (`pg_restore --list`: its schema and relations), and the schema revision in the COPY
of alembic_version (`pg_restore --data-only`). Running the tools: store.pg_backup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accord.store.backup import BackupError

# The search index's trigram index (migration 0018): it needs pg_trgm, which a dump of one
# schema leaves out (an extension belongs to the database).
_TRIGRAM_INDEX = " ix_object_names_text "


@dataclass(frozen=True, slots=True)
class Toc:
    """What `pg_restore --list` says a dump holds: its schema, and its tables, sequences and
    views by name; `lines` is the list, to hand back to pg_restore --use-list."""

    schema: str
    relations: tuple[tuple[str, str], ...]  # (kind, name): ("TABLE", "objects")
    lines: tuple[str, ...]
    # Functions by signature, "accord_announce_change()" (migration 0043's, for triggers).
    functions: tuple[str, ...] = ()

    @property
    def has_trigram_index(self) -> bool:
        """The search index's trigram index is in the dump: it needs pg_trgm."""
        return any(_TRIGRAM_INDEX in line for line in self.lines)

    def without_schema(self) -> str:
        """The list without the schema's own entries: the restore makes the schema itself
        (it may exist already, and its owner and grants are the target's)."""
        return "\n".join(line for line in self.lines
                         if not _SCHEMA_ENTRY.match(line)) + "\n"


_ENTRY = re.compile(r"^\d+; \d+ \d+ (TABLE|SEQUENCE|VIEW|MATERIALIZED VIEW) "
                    r"(?!(?:DATA|SET|OWNED BY) )(.+)$")
_FUNCTION = re.compile(r"^\d+; \d+ \d+ FUNCTION (.+) \S+$")
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (?:SCHEMA -|COMMENT - SCHEMA|ACL - SCHEMA) ")
_DECLARED_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - (.+) \S+$")


def parse_toc(listing: str) -> Toc:
    """Read `pg_restore --list` output (one entry a line: `id; oid oid KIND SCHEMA NAME OWNER`,
    comments after `;`). Names are not quoted there: a schema whose name has a space in it is
    known by its own entry (`SCHEMA - NAME OWNER`)."""
    lines = tuple(listing.splitlines())
    declared = sorted({found.group(1) for line in lines
                       if (found := _DECLARED_SCHEMA.match(line))}, key=len, reverse=True)
    relations: list[tuple[str, str]] = []
    functions: list[str] = []
    schemas: set[str] = set()
    for line in lines:
        if function := _FUNCTION.match(line):
            rest = function.group(1)
            schema = next((d for d in declared if rest.startswith(d + " ")),
                          rest.partition(" ")[0])
            functions.append(rest[len(schema) + 1:])
            continue
        found = _ENTRY.match(line)
        if not found:
            continue
        kind, rest = found.groups()
        schema = next((d for d in declared if rest.startswith(d + " ")),
                      rest.partition(" ")[0])
        name = rest[len(schema) + 1:].partition(" ")[0]
        if name:
            schemas.add(schema)
            relations.append((kind, name))
    if not relations:
        raise BackupError("the dump holds no tables: not a backup of a node")
    if len(schemas) != 1:
        raise BackupError(f"the dump holds the tables of several schemas ({sorted(schemas)}): "
                          "`accord backup` dumps one")
    if ("TABLE", "alembic_version") not in relations:
        raise BackupError("the dump holds no Accord schema version (alembic_version): not a "
                          "backup of a node")
    return Toc(schemas.pop(), tuple(relations), lines, tuple(functions))


def revision_in_copy(script: str) -> str | None:
    """The first row of the COPY of alembic_version in pg_restore's script output."""
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.split("\t", 1)[0].strip()
    return None
