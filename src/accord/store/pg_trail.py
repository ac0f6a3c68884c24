"""The audit trail a PostgreSQL restore brings, checked inside the restore's own transaction
before it commits (store.pg_backup): psql, which runs the restore, prints each record, and its
chain is verified as any trail's (trust.audit.verify_links). Its columns are the audit table's,
in its order; the two stored as bytes travel in hex."""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Iterator
from typing import IO

import orjson

from accord.store.audit_rows import link_of
from accord.store.schema import audit
from accord.trust.audit import Link, Verdict, verify_links

_COLUMNS = [c.name for c in audit.columns]
_BYTES = ("object_ids", "detail")
_Row = namedtuple("_Row", _COLUMNS)  # type: ignore[misc]


class _TrailUnread(Exception):
    """psql stopped before it had printed the whole trail: its own words say why."""


def trail_verdict(script: IO[bytes], output: IO[bytes], quoted_schema: str) -> Verdict | None:
    """The chain of the audit trail restored in `quoted_schema`, read through the psql whose
    input is `script` and output `output`, one record a line as JSON (printed unaligned, which
    adds nothing); None if psql stopped first."""
    end = f"accord-trail-end-{uuid.uuid4().hex}".encode()
    script.write(trail_query(quoted_schema, end.decode()).encode())
    script.flush()

    def links() -> Iterator[Link]:
        for line in output:
            if line.rstrip(b"\n") == end:
                return
            if line.startswith(b"["):
                fields = orjson.loads(line)
                yield link_of(_Row(*(bytes.fromhex(value) if name in _BYTES else value
                                     for name, value in zip(_COLUMNS, fields, strict=True))))
        raise _TrailUnread

    try:
        return verify_links(links())
    except _TrailUnread:
        return None


def trail_query(quoted_schema: str, end: str) -> str:
    """The psql script that prints each audit record as a JSON list of its columns, a few
    thousand at a time, then the line `end`."""
    columns = ", ".join(f"encode({c}, 'hex')" if c in _BYTES else c for c in _COLUMNS)
    return "\n".join([
        "\\o", "\\pset format unaligned", "\\pset tuples_only on",
        "\\set FETCH_COUNT 5000",
        f"SELECT json_build_array({columns}) FROM {quoted_schema}.audit ORDER BY seq;",
        f"\\echo {end}", ""])
