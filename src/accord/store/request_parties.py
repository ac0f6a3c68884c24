"""The requests a call's ledger entries belong to, read in its write transaction: each as its
STIX object, for cooperation.reach to check the entries against."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, select

from accord.store.schema import objects

_CHUNK = 500  # ids a statement


def requests_by_id(conn: Connection, collection_id: str, ids: Iterable[str]
                   ) -> dict[str, dict[str, Any]]:
    """The requests of `ids` held in `collection_id` (the requests collection), by id. A
    request is one version, never replaced."""
    wanted = sorted(set(ids))
    found: dict[str, dict[str, Any]] = {}
    o = objects.c
    for start in range(0, len(wanted), _CHUNK):
        for oid, body in conn.execute(
                select(o.id, o.body).where(o.collection_id == collection_id,
                                           o.id.in_(wanted[start:start + _CHUNK]),
                                           o.type == "x-accord-request")):
            found.setdefault(oid, orjson.loads(body))
    return found
