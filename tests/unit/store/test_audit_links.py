"""The audit chain checked from the bytes as stored (store.audit_rows.link_of): a record
holds as the appender wrote it, and not once its fields are anything but the JSON it wrote."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from accord.store.audit_rows import link_of, record_of
from accord.trust.audit import GENESIS, Event, chain_hash_of, verify_links


class Row(NamedTuple):  # the columns of a row of `audit`
    seq: int
    at: str
    action: str
    party_id: str | None
    token_id: str | None
    collection_id: str | None
    object_ids: Any
    detail: Any
    prev_hash: str
    hash: str


def stored(detail: dict[str, Any], ids: list[str]) -> Row:
    """A record as AuditLog.append_in writes it: its fields' JSON, hashed as written."""
    listed, written = orjson.dumps(ids), orjson.dumps(detail, option=orjson.OPT_SORT_KEYS)
    event = Event("2026-01-01T00:00:00Z", "objects.read", "identity--cn", None, "c1")
    digest = chain_hash_of(GENESIS, event.content_from(listed, written))
    return Row(1, event.at, event.action, event.party_id, None, "c1", listed, written,
               GENESIS, digest)


def test_a_record_as_written_holds_and_reads_as_it_was_written():
    row = stored({"a": 1, "object_ids": ["x"]}, ["y"])
    assert verify_links([link_of(row)]).is_intact
    assert record_of(row).event.object_ids == ("y",)


def test_bytes_moved_from_one_field_to_the_other_do_not_hold():
    """The hash covers the two fields one after the other: cut where the detail's own
    "object_ids" key begins, the same bytes read as another record (no objects, a detail
    cut short) that the hash alone would not tell apart."""
    row = stored({"a": 1, "object_ids": ["x"]}, ["y"])
    spliced = row._replace(detail=b'{"a":1', object_ids=b'["x"]},"object_ids":["y"]')
    event = Event(row.at, row.action, row.party_id, row.token_id, row.collection_id)
    assert chain_hash_of(GENESIS, event.content_from(spliced.object_ids, spliced.detail)
                         ) == row.hash  # what the hash alone would let through
    verdict = verify_links([link_of(spliced)])
    assert verdict.broken_at == 1 and "edited" in verdict.reason


def test_a_field_written_over_as_text_is_read_and_checked_not_a_crash():
    row = stored({"a": 1}, ["y"])
    as_text = row._replace(detail='{"a": 1}')  # JSON, as SQLite's shell leaves an edit
    assert verify_links([link_of(as_text)]).is_intact  # the same JSON: it still holds
    edited = row._replace(detail='{"a": 2}')
    assert not verify_links([link_of(edited)]).is_intact
    assert record_of(row._replace(detail="not json")).event.detail == {
        "unreadable": "not JSON as stored ('not json')"}


def test_a_field_written_over_with_a_number_is_edited_not_a_crash():
    row = stored({"a": 1}, ["y"])
    for number in (1.5, -1, 10**12):  # SQLite's shell takes any type in any column
        edited = row._replace(detail=number)
        verdict = verify_links([link_of(edited)])
        assert verdict.broken_at == 1 and "edited" in verdict.reason
        assert "unreadable" in record_of(edited).event.detail
