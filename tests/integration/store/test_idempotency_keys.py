"""The keys of the REST API's keyed operations (store.idempotency): one row per party and key,
held in the transaction of what it made, for a day, a bounded number per party."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accord.store import idempotency
from accord.store.engine import writing
from accord.store.idempotency import KEY_LIFETIME, IdempotencyKeys, KeyTaken, TooManyKeys
from accord.store.schema import idempotency_keys

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
US, CN = "identity--us", "identity--cn"


def hold(keys, party, key, made, now=NOW, fingerprint="f" * 64):
    with writing(keys.engine) as conn:
        keys.hold_in(conn, party, key, fingerprint, 201, made, now)


def held_rows(keys):
    with keys.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one()


def test_a_key_keeps_what_it_made_for_a_day_and_is_its_partys_own(node):
    keys = IdempotencyKeys(node.engine)
    hold(keys, US, "k", "x-accord-request--1")
    kept = keys.kept(US, "k", NOW + KEY_LIFETIME - timedelta(seconds=1))
    assert kept is not None and (kept.made_id, kept.status) == ("x-accord-request--1", 201)
    assert keys.kept(CN, "k", NOW) is None  # another party's key of the same characters
    hold(keys, CN, "k", "x-accord-request--2")  # is another key
    assert keys.kept(CN, "k", NOW).made_id == "x-accord-request--2"
    assert keys.kept(US, "k", NOW).made_id == "x-accord-request--1"
    assert keys.kept(US, "k", NOW + KEY_LIFETIME) is None  # expired


def test_a_key_is_taken_once_and_free_again_when_it_expired(node):
    keys = IdempotencyKeys(node.engine)
    hold(keys, US, "k", "x-accord-request--1")
    with pytest.raises(KeyTaken):
        hold(keys, US, "k", "x-accord-request--2")
    assert keys.kept(US, "k", NOW).made_id == "x-accord-request--1"
    later = NOW + KEY_LIFETIME
    hold(keys, US, "k", "x-accord-request--3", later)  # the expired row deleted first
    assert keys.kept(US, "k", later).made_id == "x-accord-request--3"
    assert held_rows(keys) == 1


def test_a_key_written_in_a_transaction_that_rolls_back_is_not_kept(node):
    keys = IdempotencyKeys(node.engine)
    with pytest.raises(RuntimeError), writing(node.engine) as conn:
        keys.hold_in(conn, US, "k", "f" * 64, 201, "x-accord-request--1", NOW)
        raise RuntimeError("what the request made was refused")
    assert keys.kept(US, "k", NOW) is None
    hold(keys, US, "k", "x-accord-request--2")
    assert keys.kept(US, "k", NOW).made_id == "x-accord-request--2"


def test_a_second_transaction_with_the_key_waits_for_the_first_and_finds_it_taken(node):
    """Two requests with one key at once: the database decides, on either backend (PostgreSQL
    waits on the key's index entry, SQLite on its write lock)."""
    keys = IdempotencyKeys(node.engine)
    first_holds, outcome = threading.Event(), []

    def second() -> None:
        first_holds.wait()
        try:
            hold(keys, US, "k", "x-accord-request--2")
            outcome.append("made")
        except KeyTaken:
            outcome.append("taken")

    thread = threading.Thread(target=second)
    thread.start()
    with writing(node.engine) as conn:
        keys.hold_in(conn, US, "k", "f" * 64, 201, "x-accord-request--1", NOW)
        first_holds.set()
        time.sleep(0.5)  # the second is waiting meanwhile
        assert outcome == []
    thread.join(30)
    assert outcome == ["taken"]
    assert keys.kept(US, "k", NOW).made_id == "x-accord-request--1"


def test_a_party_holds_a_bounded_number_of_keys_until_its_oldest_expires(node, monkeypatch):
    monkeypatch.setattr(idempotency, "MOST_KEYS", 3)
    keys = IdempotencyKeys(node.engine)
    for n in range(3):
        hold(keys, US, f"k{n}", f"x-accord-request--{n}", NOW + timedelta(minutes=n))
    with pytest.raises(TooManyKeys) as full:
        hold(keys, US, "k3", "x-accord-request--3", NOW + timedelta(hours=1))
    assert full.value.retry_after == (KEY_LIFETIME - timedelta(hours=1)).total_seconds()
    assert keys.kept(US, "k3", NOW) is None and held_rows(keys) == 3
    hold(keys, CN, "k3", "x-accord-request--4")  # another party's keys are not counted
    hold(keys, US, "k3", "x-accord-request--3", NOW + KEY_LIFETIME)  # the oldest expired
    assert keys.kept(US, "k3", NOW + KEY_LIFETIME).made_id == "x-accord-request--3"
