"""Screening ahead on the second core: the same verdicts as screening in place."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from accord import validator_process
from accord.intake import screen
from accord.stix.bundle_stream import Batch, batches_in
from accord.validator_process import screen_ahead


def identity(n: int, **changes: Any) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}", **changes}


@pytest.fixture
def batches() -> list[Batch]:
    """Seven batches, every third object invalid (and one that is not an object at all)."""
    objs: list[Any] = [identity(n, **({"created": "yesterday"} if n % 3 == 0 else {}))
                       for n in range(40)]
    objs[5] = "not an object"
    return list(batches_in(io.BytesIO(json.dumps(objs).encode()), first=4, size=6,
                           max_bytes=1 << 20))


def verdicts(screened) -> list[tuple[list[str], list[tuple[str | None, str]]]]:
    return [([o["id"] for o in s.valid], [(r.id, r.message) for r in s.rejected])
            for s in screened]


def test_screening_ahead_gives_each_batch_the_verdicts_of_screening_in_place(batches):
    assert len(batches) == 7
    expected = verdicts(screen(b.objects) for b in batches)
    assert sum(len(rejected) for _, rejected in expected) == 15
    assert verdicts(screen_ahead(iter(batches))) == expected


def test_when_the_helper_process_dies_the_rest_is_screened_in_place(batches, monkeypatch):
    monkeypatch.setattr(validator_process, "_validate_batches", lambda *fds: 1)  # exits at once
    expected = verdicts(screen(b.objects) for b in batches)
    assert verdicts(screen_ahead(iter(batches))) == expected
