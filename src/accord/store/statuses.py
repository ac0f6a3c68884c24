"""TAXII status resources (§4.3): the result of each POST, readable by the party that posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from accord.store.engine import reading
from accord.store.schema import statuses


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    party_id: str
    collection_id: str
    request_timestamp: str
    successes: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def resource(self) -> dict[str, Any]:
        """The TAXII status resource; every POST is processed before it is answered.

        TAXII 2.1 §4.3.1: the lists are optional and, like every list in TAXII, must not be
        empty: an empty one is left out (the counts say 0). Nothing is ever pending.
        """
        resource: dict[str, Any] = {
            "id": self.id, "status": "complete", "request_timestamp": self.request_timestamp,
            "total_count": len(self.successes) + len(self.failures),
            "success_count": len(self.successes), "failure_count": len(self.failures),
            "pending_count": 0,
        }
        if self.successes:
            resource["successes"] = self.successes
        if self.failures:
            resource["failures"] = self.failures
        return resource


class StatusStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_in(self, conn: Connection, status: Status) -> None:
        conn.execute(statuses.insert().values(
            id=status.id, party_id=status.party_id, collection_id=status.collection_id,
            request_timestamp=status.request_timestamp,
            total_count=len(status.successes) + len(status.failures),
            success_count=len(status.successes), failure_count=len(status.failures),
            details=orjson.dumps({"successes": status.successes, "failures": status.failures})))

    def get(self, status_id: str, party_id: str) -> Status | None:
        """A status exists only for the party whose POST made it."""
        with reading(self.engine) as conn:
            row = conn.execute(select(statuses).where(statuses.c.id == status_id,
                                                      statuses.c.party_id == party_id)).first()
        if row is None:
            return None
        details = orjson.loads(row.details)
        return Status(row.id, row.party_id, row.collection_id, row.request_timestamp,
                      details["successes"], details["failures"])
