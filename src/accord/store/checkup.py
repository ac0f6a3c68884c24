"""`accord db check`: is the database as this Accord's migrations make it, and still whole?

Four checks, each cheap enough to run on a live node: the schema revision; the tables, indexes
and constraints, compared with a scratch database migrated to the same revision (SQLite: a
temporary file; PostgreSQL: a schema created and rolled back in one transaction); the audit
chain (trust.audit); and rows that point at nothing (the small tables always, every table with
`thorough`).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError

import accord.store.summary_tables  # noqa: F401  (registers the summary tables in metadata)
import accord.store.walk_marks  # noqa: F401  (registers walk_marks in metadata)
import accord.store.web_tables  # noqa: F401  (and the web UI's tables)
from accord.store import quotas, search_index, summaries
from accord.store.audit_log import AuditLog
from accord.store.engine import (
    SCHEMA_REVISION,
    is_sqlite,
    is_standby,
    known_revisions,
    open_engine,
    schema_revision,
    upgrade_in,
)
from accord.store.schema import metadata, parties
from accord.trust.audit import verify_links
from accord.words import how_many

# Tables that grow with the objects and the audit trail: looking for their orphans reads them
# whole, so only `db check --thorough` does. The others hold the directory and its settings.
_LARGE = frozenset({"objects", "recipients", "observables", "sightings", "ledger", "audit",
                    "audit_objects", "statuses"})


@dataclass(frozen=True, slots=True)
class Finding:
    """What one check found: `problems` make the database unhealthy, `notes` do not."""

    check: str
    summary: str
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Checkup:
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def is_healthy(self) -> bool:
        return all(f.is_ok for f in self.findings)


def check(engine: Engine, *, thorough: bool = False) -> Checkup:
    """Every check, in order; a check that cannot run (no schema at all) says so and the
    ones that depend on it are left out."""
    current, known = schema_revision(engine), known_revisions()
    revision = revision_finding(current, known, SCHEMA_REVISION)
    if current is None or current not in known:
        return Checkup((revision,))
    revision = _ran("revision", lambda: _with_node_note(engine, revision))
    present = schema_objects(engine)
    try:
        if is_standby(engine):
            # No scratch schema can be made on a standby; it replays the primary's schema.
            schema = Finding("schema", "not compared on a read-only standby", notes=(
                "a standby replays its primary's schema: run `accord db check` on the "
                "primary to compare it",))
        else:
            schema = schema_finding(reference_objects(engine, current), present)
    except DBAPIError as error:  # e.g. no right to create the scratch schema
        schema = Finding("schema", "not compared", (
            f"cannot migrate a scratch schema to compare with: {error.orig}",))
    findings: tuple[Finding, ...] = (
        revision, schema, _ran("audit", lambda: audit_finding(engine)),
        _ran("references", lambda: references_finding(engine, present, thorough=thorough)))
    if thorough:  # derives every request's state again from its ledger
        findings += (_ran("summaries", lambda: summaries_finding(engine)),
                     _ran("storage", lambda: storage_finding(engine)))
        if is_sqlite(engine):  # read the whole file, and every name
            findings += (_ran("file", lambda: file_finding(engine)),
                         _ran("search", lambda: search_finding(engine)))
    return Checkup(findings)


def _with_node_note(engine: Engine, revision: Finding) -> Finding:
    """The revision's finding, noting a schema that holds no node yet (not a problem: `accord
    db migrate` makes the schema before `accord init` makes the node)."""
    with engine.connect() as conn:
        own = conn.execute(select(parties.c.name).where(parties.c.is_self)
                           .order_by(parties.c.created)).scalars().all()
    if len(own) > 1:
        # Which one the node is would depend on the statement that asked: its tokens, its
        # collections and its signatures could belong to one and its title to another.
        return replace(revision, problems=(*revision.problems, (
            f"{len(own)} parties are this node's own ({', '.join(map(repr, own))}): a node "
            "is one party's; restore a backup made before, or ask for help before serving "
            "it"),))
    if own:
        return revision
    return replace(revision, notes=(*revision.notes, "no node in it yet: `accord init --party "
                                    "NAME` makes one"))


def _ran(name: str, run: Callable[[], Finding]) -> Finding:
    """A check's finding, or, when the database fails it (a table dropped), that failure."""
    try:
        return run()
    except DBAPIError as error:
        return Finding(name, "could not be checked", (
            f"the database failed the check: {str(error.orig).splitlines()[0]}",))


def revision_finding(current: str | None, known: list[str], head: str) -> Finding:
    if current is None:
        return Finding("revision", "no schema", (
            "the database holds no Accord schema: create a node with `accord init`, or "
            "restore a backup",))
    if current == head:
        return Finding("revision", f"at {head}, as this Accord expects")
    if current not in known:
        return Finding("revision", f"at {current}, unknown to this Accord", (
            f"the schema is at revision {current}, newer than this Accord knows (up to "
            f"{head}): run the Accord that migrated it",))
    return Finding("revision", f"at {current}, {head} expected", (
        f"migrations pending: the schema is at {current}, this Accord needs {head}; run "
        "`accord db migrate`",))


# A table, index or constraint by kind and name ("index ix_audit_at"), and how it is defined.
SchemaObjects = Mapping[str, str]


def schema_finding(expected: SchemaObjects, present: SchemaObjects) -> Finding:
    """Missing or changed objects are problems; objects the migrations do not make (an index
    an operator added, say) are notes."""
    problems = [f"{key} is missing" + _remedy(key, expected[key])
                for key in sorted(expected.keys() - present.keys())]
    problems += [f"{key} differs: {present[key]!r}, the migrations make {expected[key]!r}"
                 for key in sorted(expected.keys() & present.keys())
                 if expected[key] != present[key]]
    notes = [f"{key} is not made by the migrations"
             for key in sorted(present.keys() - expected.keys())
             # A table the migrations do not make is noted once, not with each column.
             if not key.startswith("column ")
             or f"table {key.split(' ', 1)[1].split('.', 1)[0]}" in expected]
    kinds = sorted({key.split(" ", 1)[0] for key in expected})
    nouns = {"index": ("index", "indexes"), "statistics": ("statistics object", None)}
    counts = ", ".join(how_many(sum(k.startswith(kind + " ") for k in expected),
                                *nouns.get(kind, (kind, None))) for kind in kinds)
    return Finding("schema", f"{counts} expected", tuple(problems), tuple(notes))


def _remedy(key: str, definition: str) -> str:
    """How to make a missing index again (the statement the migrations ran; `accord db
    migrate` has nothing to do on a schema at its revision)."""
    if key.startswith("index ") and definition.upper().startswith("CREATE "):
        return f": make it again with {definition}"
    return ""


def schema_objects(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return _sqlite_objects(conn) if is_sqlite(engine) else _pg_objects(conn)


def reference_objects(engine: Engine, revision: str) -> dict[str, str]:
    """The tables, indexes, constraints and (PostgreSQL) statistics objects the migrations up
    to `revision` make, read from a scratch database of the same kind that nothing else
    sees."""
    if is_sqlite(engine):
        with tempfile.TemporaryDirectory(prefix="accord-check-") as scratch:
            reference = open_engine(str(Path(scratch) / "reference.db"))
            try:
                with reference.connect().execution_options(accord_write=True) as conn, \
                        conn.begin():
                    upgrade_in(conn, revision)
                return schema_objects(reference)
            finally:
                reference.dispose()
    scratch = f"accord_check_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            # DDL is transactional in PostgreSQL: the scratch schema is never committed.
            conn.execute(text(f'CREATE SCHEMA "{scratch}"'))
            conn.execute(text(f'SET LOCAL search_path TO "{scratch}"'))
            upgrade_in(conn, revision)
            return _pg_objects(conn)
        finally:
            transaction.rollback()


def _sqlite_objects(conn: Connection) -> dict[str, str]:
    found: dict[str, str] = {}
    tables: list[str] = []
    # sqlite_autoindex_* (behind UNIQUE and primary keys) have no SQL: named by their table.
    # Triggers too: those that keep the search's FTS5 index in step (migrations 0018, 0028).
    for kind, name, table, sql in conn.execute(text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('table', 'index', 'trigger') AND tbl_name NOT LIKE 'sqlite_%'")):
        if kind == "table":
            tables.append(name)
            found[f"table {name}"] = ""
        else:
            found[f"{kind} {name}"] = _spaced(sql) if sql else f"on {table}"
    for table in tables:
        # PRAGMA foreign_key_list: (id, seq, table, from, to, on_update, on_delete, match)
        for row in conn.execute(text(f'PRAGMA foreign_key_list("{table}")')):
            found[f"constraint {table}.{row[3]}"] = f"references {row[2]}.{row[4]}"
        # PRAGMA table_xinfo: (cid, name, type, notnull, dflt_value, pk, hidden)
        for _, column, kind, notnull, default, pk, _hidden in conn.execute(
                text(f'PRAGMA table_xinfo("{table}")')):
            found[f"column {table}.{column}"] = _column(
                kind, bool(notnull), default, primary=bool(pk))
    return found


def _column(kind: str, notnull: bool, default: str | None, *, primary: bool = False) -> str:
    """A column as `db check` compares it: its type, whether it may be null, its default."""
    said = f"{kind.lower() or 'any'} {'not null' if notnull else 'null'}"
    return said + (f" default {default}" if default is not None else "") \
        + (" primary key" if primary else "")


def _pg_objects(conn: Connection) -> dict[str, str]:
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    found: dict[str, str] = {}
    for (table,) in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")):
        found[f"table {table}"] = ""
    for name, definition in conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")):
        found[f"index {name}"] = _unqualified(definition, str(schema))
    for name, table, definition in conn.execute(text(
            "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.connamespace = current_schema()::regnamespace")):
        found[f"constraint {name}"] = f"on {table}: {_unqualified(definition, str(schema))}"
    # Every column of the schema's tables: a column dropped, its type or nullability changed
    # by hand, breaks the node at its next statement that names it.
    for table, column, kind, notnull, default in conn.execute(text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped")):
        found[f"column {table}.{column}"] = _column(
            kind, bool(notnull), _unqualified(default, str(schema)) if default else None)
    # The triggers that announce changes to the serving processes (migration 0043): without
    # one, a process that remembers pages would not hear of a change there.
    for name, definition in conn.execute(text(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal")):
        found[f"trigger {name}"] = _unqualified(definition, str(schema))
    # What the planner is told beyond per-column statistics (migration 0026): without it, an
    # object's audit records are gathered whole instead of read newest first.
    for name, definition in conn.execute(text(
            "SELECT stxname, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext "
            "WHERE stxnamespace = current_schema()::regnamespace")):
        found[f"statistics {name}"] = _unqualified(definition, str(schema))
    return found


def _unqualified(definition: str, schema: str) -> str:
    """A definition without its schema, so that two schemas' definitions compare; nor public,
    where extensions live (pg_trgm's operator classes): PostgreSQL writes `public.` only where
    the search_path does not hold it, which differs between a node's schema and the scratch."""
    for prefix in (f'"{schema}".', f"{schema}.", "public."):
        definition = definition.replace(f" {prefix}", " ").replace(f"({prefix}", "(") \
            .replace(f"'{prefix}", "'")
    return definition


def _spaced(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def audit_finding(engine: Engine) -> Finding:
    log = AuditLog(engine)
    verdict = verify_links(log.links())
    if not verdict.is_intact:
        return Finding("audit", f"{how_many(verdict.records, 'record')} before the break", (
            f"audit trail broken at record {verdict.broken_at}: {verdict.reason}",))
    stray = log.index_disagreement()
    if stray is not None:
        return Finding("audit", f"{how_many(verdict.records, 'record')} chained", (
            f"audit index broken at record {stray}: the objects indexed for it differ from "
            "those the record names",))
    return Finding("audit", f"{how_many(verdict.records, 'record')}, chain intact"
                   + (f", head {verdict.head[:16]}…" if verdict.records else ""))


_SHOWN = 20  # differences listed before "and N more"


def summaries_finding(engine: Engine) -> Finding:
    """The request summaries (a cache the lists read) and the review's figures kept beside them,
    against the ledgers they derive from."""
    differences = summaries.check(engine)
    if not differences:
        return Finding("summaries", "every request's summary and review figures agree with its "
                                    "ledger")
    more = len(differences) - _SHOWN
    return Finding("summaries", f"{len(differences)} differences from the ledger", (
        *differences[:_SHOWN], *([f"… and {more} more"] if more > 0 else []),
        "the ledger is the truth: `accord db rebuild-summaries` derives them again"))


def storage_finding(engine: Engine) -> Finding:
    """What each party is counted as storing (what its quota is held to) against the lengths
    of the versions it added."""
    apart = quotas.counts_apart(engine)
    if not apart:
        return Finding("storage", "what each party is counted as storing is what its "
                                  "versions hold")
    more = len(apart) - _SHOWN
    return Finding("storage", f"{how_many(len(apart), 'party', 'parties')} counted apart from "
                              "what they hold", (
        *(f"{r.shown}: counted {r.counted_bytes:,} bytes in "
          f"{r.counted_versions:,} versions, holds {r.held_bytes:,} bytes in "
          f"{r.held_versions:,} versions"
          for r in apart[:_SHOWN]),
        *([f"… and {more} more"] if more > 0 else []),
        "the versions are the truth: `accord db recount-storage` counts them again"))


def file_finding(engine: Engine) -> Finding:
    """SQLite: the file itself, page by page (PRAGMA quick_check: every page and record read,
    indexes not matched against their tables; a read, so writers go on)."""
    with engine.connect() as conn:
        said = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check(20)")]
    if said == ["ok"]:
        return Finding("file", "every page of the database file reads whole")
    return Finding("file", "the database file is damaged", (
        *said, "restore the latest backup (`accord restore`); copy the damaged file aside "
               "first"))


def search_finding(engine: Engine) -> Finding:
    """SQLite: the FTS5 indexes of names and of the requests' words against the rows they
    index (PostgreSQL's trigram indexes are indexes like any other, kept by PostgreSQL
    itself)."""
    with engine.connect() as conn:
        unindexed, stray = search_index.fts_apart(conn)
        words_unindexed, words_stray = search_index.fts_apart(conn, "request_words", "word_id")
    if not (unindexed or stray or words_unindexed or words_stray):
        return Finding("search", "the full-text indexes hold every name and every request's "
                                 "words, and nothing else")
    summary = ("the full-text index of names differs from the names" if unindexed or stray
               else "the full-text index of requests' words differs from their words")
    return Finding("search", summary, (
        *([f"{how_many(unindexed, 'name')} not in the full-text index: a search by name "
           "misses them"] if unindexed else []),
        *([f"{how_many(stray, 'entry', 'entries')} of the full-text index for no name"]
          if stray else []),
        *([f"{how_many(words_unindexed, 'row')} of requests' words not in their full-text "
           "index: a search of the requests list misses them"] if words_unindexed else []),
        *([f"{how_many(words_stray, 'entry', 'entries')} of the full-text index of requests' "
           "words for no row"] if words_stray else []),
        "`accord db rebuild-search` makes the indexes again from the names and the words"))


def references_finding(engine: Engine, present: SchemaObjects, *,
                       thorough: bool = False) -> Finding:
    """Rows whose foreign key names no row. PostgreSQL enforces foreign keys, so there it also
    checks that none is switched off or left unvalidated; SQLite enforces them only on
    connections that ask (Accord's do), so there the rows are what tells."""
    problems: list[str] = []
    checked = skipped = 0
    with engine.connect() as conn:
        if not is_sqlite(engine):
            problems += _pg_unenforced(conn)
        for child, column, parent, key in _foreign_keys(present):
            if child in _LARGE and not thorough:
                skipped += 1
                continue
            checked += 1
            orphans = conn.execute(text(
                f'SELECT c."{column}" FROM "{child}" c WHERE c."{column}" IS NOT NULL AND NOT '
                f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{key}" = c."{column}") LIMIT 3'
            )).scalars().all()
            if orphans:
                shown = ", ".join(str(o) for o in orphans)
                problems.append(f"{child}.{column} names {parent} rows that do not exist "
                                f"({shown}{', …' if len(orphans) == 3 else ''})")
    summary = f"{checked} foreign keys checked for orphans"
    if skipped:
        summary += f" ({skipped} on large tables left to --thorough)"
    return Finding("references", summary, tuple(problems))


def _foreign_keys(present: SchemaObjects) -> Iterable[tuple[str, str, str, str]]:
    """(child table, column, parent table, parent column) of every single-column foreign key
    the schema declares that the database has the tables for."""
    tables = {key.split(" ", 1)[1] for key in present if key.startswith("table ")}
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            if table.name in tables and fk.column.table.name in tables:
                yield table.name, fk.parent.name, fk.column.table.name, fk.column.name


def _pg_unenforced(conn: Connection) -> list[str]:
    problems = [f"foreign key {name} on {table} is not validated: rows written before it was "
                "added were never checked" for name, table in conn.execute(text(
                    "SELECT c.conname, t.relname FROM pg_constraint c "
                    "JOIN pg_class t ON t.oid = c.conrelid "
                    "WHERE c.connamespace = current_schema()::regnamespace "
                    "AND c.contype = 'f' AND NOT c.convalidated"))]
    problems += [f"the triggers that enforce {table}'s foreign keys are disabled"
                 for (table,) in conn.execute(text(
                     "SELECT DISTINCT t.relname FROM pg_trigger g "
                     "JOIN pg_class t ON t.oid = g.tgrelid "
                     "WHERE t.relnamespace = current_schema()::regnamespace "
                     "AND g.tgisinternal AND g.tgenabled = 'D'"))]
    return problems

