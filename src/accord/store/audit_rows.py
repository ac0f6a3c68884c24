"""An audit row as stored, read back: a Record to show (store.audit_search, AuditLog), a Link
whose chain is checked (trust.audit.verify_links). The appender writes each row's object ids
and detail as JSON; a row written over in the database may hold anything in them (SQLite's
shell takes any type in any column), and is shown as far as it can be read, and found edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson

from accord.trust.audit import Event, Link, Record


def record_of(row: Any) -> Record:  # a row of audit, or anything with its columns by name
    """A stored record; one whose object ids or detail are no longer JSON (written over in the
    database) is shown with what can be read of it, and fails verification."""
    ids, detail = read_field(row.object_ids), read_field(row.detail)
    event = Event(row.at, row.action, row.party_id, row.token_id, row.collection_id,
                  tuple(str(i) for i in ids) if isinstance(ids, list) else (),
                  detail if isinstance(detail, dict) else {UNREADABLE: _shown(row.detail)})
    return Record(row.seq, event, row.prev_hash, row.hash)


def link_of(row: Any) -> Link:  # a row of audit, or anything with its columns by name
    """A stored record as its chain is checked: the hash covers the bytes the appender wrote
    (AuditLog.append_in), so they are tried as stored first, and only then, for a record
    whose bytes an older Accord wrote otherwise, its fields encoded again."""
    event = Event(row.at, row.action, row.party_id, row.token_id, row.collection_id)
    ids, detail = read_field(row.object_ids), read_field(row.detail)
    if not (isinstance(ids, list) and isinstance(detail, dict)):
        # The appender writes both as JSON, always: a field that is not was edited, whatever
        # the hash says (the hash covers the two fields' bytes one after the other, so bytes
        # moved from one to the other would still match it).
        return Link(row.seq, row.prev_hash, row.hash, ())

    def contents() -> Iterator[bytes]:
        yield event.content_from(raw_field(row.object_ids), raw_field(row.detail))
        yield replace(event, object_ids=tuple(ids), detail=detail).content()

    return Link(row.seq, row.prev_hash, row.hash, contents())


# The detail shown for a record whose stored fields are not JSON.
UNREADABLE = "unreadable"


def raw_field(stored: Any) -> bytes:
    """A field as stored: bytes; or, written over by hand in SQLite's shell (which takes any
    type in any column), text or a number."""
    if isinstance(stored, bytes | bytearray | memoryview):
        return bytes(stored)
    return str(stored).encode("utf-8", "surrogatepass")


def read_field(stored: Any) -> Any:
    """A field's JSON as stored; None where it is none (edited)."""
    if stored is None:
        return None
    try:
        return orjson.loads(raw_field(stored))
    except orjson.JSONDecodeError:
        return None


def _shown(stored: Any) -> str:
    raw = raw_field(stored)
    text = raw[:60].decode("utf-8", "replace")
    return f"not JSON as stored ({text!r}{'…' if len(raw) > 60 else ''})"
