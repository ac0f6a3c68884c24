"""The SQL a PostgreSQL restore runs around the dump's own statements, in the same transaction
(store.pg_backup): room made for what the dump holds, and a dump of another schema restored
under the target's name (put aside, moved, and the schema of that name put back). Pure: text
for psql."""

from __future__ import annotations

import uuid

from accord.store.pg_archives import Toc


def prologue(schema: str, toc: Toc, clean: bool) -> str:
    """What runs before the dump's own statements, in the same transaction: make room for
    what the dump holds, and where the dump's schema is another, put that aside for the
    duration (the dump's statements name their schema; epilogue moves what they made)."""
    s = ident(schema)
    statements = ["SET client_min_messages = warning;", f"CREATE SCHEMA IF NOT EXISTS {s};"]
    if clean:
        statements.append(_for_each_relation(schema, "DROP {kind} IF EXISTS {name} CASCADE"))
    for kind, name in toc.relations:
        statements.append(f"DROP {kind} IF EXISTS {s}.{ident(name)} CASCADE;")
    for signature in toc.functions:
        statements.append(f"DROP FUNCTION IF EXISTS {s}.{_function(signature)} CASCADE;")
    if toc.schema != schema:
        statements.append(_if_schema(toc.schema, f"ALTER SCHEMA {ident(toc.schema)} "
                                                 f"RENAME TO {ident(_aside(toc))}"))
        statements.append(f"CREATE SCHEMA {ident(toc.schema)};")
        if toc.has_trigram_index:
            # The dump names pg_trgm's operator class by the schema it was in
            # (public.gin_trgm_ops): set aside with that schema, it comes along for the restore.
            statements.append(_move_trigram(_aside(toc), toc.schema))
    return "\n".join(statements) + "\n"


def epilogue(schema: str, toc: Toc) -> str:
    """Move what the dump made in its own schema into the target schema, and put back the
    schema of that name that was there before (if any)."""
    # Servers still serving the schema forget what they remembered of it (store.page_memo):
    # the dump's rows came in before its triggers, which announced nothing.
    announced = f"DO $$ BEGIN PERFORM pg_notify('accord_changed', {literal(schema)}); END $$;\n"
    if toc.schema == schema:
        return announced
    return announced + "\n".join([
        _for_each_relation(toc.schema, f"ALTER {{kind}} {{name}} SET SCHEMA {ident(schema)}"),
        _statistics_to(toc.schema, schema),
        # Functions stay where they were made; the triggers that call them name them by oid.
        *(f"ALTER FUNCTION {ident(toc.schema)}.{_function(signature)} SET SCHEMA "
          f"{ident(schema)};" for signature in toc.functions),
        # pg_trgm here came from the schema set aside (prologue): back with it.
        _move_trigram(toc.schema, _aside(toc)) if toc.has_trigram_index else "",
        f"DROP SCHEMA {ident(toc.schema)};",  # RESTRICT: anything left over stops the restore
        _if_schema(_aside(toc), f"ALTER SCHEMA {ident(_aside(toc))} "
                                f"RENAME TO {ident(toc.schema)}"),
    ]) + "\n"


def _function(signature: str) -> str:
    """`name(args)` with its name quoted: pg_restore lists it unquoted."""
    name, _, args = signature.partition("(")
    return f"{ident(name)}({args}"


def _aside(toc: Toc) -> str:
    # Stable for one dump, so that prologue and epilogue agree on it.
    return f"accord_aside_{uuid.uuid5(uuid.NAMESPACE_OID, toc.schema).hex[:12]}"


def _for_each_relation(schema: str, template: str) -> str:
    """A DO block running `template` for each table, view and sequence of `schema` (a
    sequence a column owns goes with its table, so only the others are named; an extension's
    own relations are the extension's business)."""
    action = template.format(kind="%s", name="%I.%I")
    return f"""DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'VIEW'
      WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
      ELSE 'TABLE' END AS kind
    FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = {literal(schema)})
      AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
  LOOP
    EXECUTE format({literal(action)}, r.kind, {literal(schema)}, r.relname);
  END LOOP;
END $$;"""


def _statistics_to(source: str, schema: str) -> str:
    """A DO block moving every extended-statistics object of `source` to `schema`: a table's
    own go where it is created, not where it is moved (migration 0026 makes one)."""
    return f"""DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT s.stxname FROM pg_statistic_ext s
    JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = {literal(source)}
  LOOP
    EXECUTE format('ALTER STATISTICS %I.%I SET SCHEMA %I', {literal(source)}, r.stxname,
                   {literal(schema)});
  END LOOP;
END $$;"""


def _move_trigram(source: str, schema: str) -> str:
    """A DO block moving pg_trgm into `schema` if it is installed in `source` (indexes using
    it follow: they refer to it by oid). No other extension: the dump names none, and moving
    one takes its owner."""
    return _if_trigram_in(source, f"ALTER EXTENSION pg_trgm SET SCHEMA {ident(schema)}")


def _if_trigram_in(schema: str, statement: str) -> str:
    return (f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON "
            f"n.oid = e.extnamespace WHERE e.extname = 'pg_trgm' AND n.nspname = "
            f"{literal(schema)}) THEN EXECUTE {literal(statement)}; END IF; END $$;")


def _if_schema(schema: str, statement: str) -> str:
    return (f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = "
            f"{literal(schema)}) THEN EXECUTE {literal(statement)}; END IF; END $$;")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def pattern(schema: str) -> str:
    """A pg_dump --schema pattern naming exactly `schema` (quoted: its case is kept)."""
    return ident(schema)
