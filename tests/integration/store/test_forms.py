"""The stores behind safe forms: one-time form keys, sealed kept forms, peers' guidelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from accord.store.forms import (
    KEEP_MOST_BYTES,
    SENDING,
    FormKeys,
    KeptForm,
    KeptForms,
    PeerGuidelines,
    is_form_key,
    new_form_key,
)
from accord.store.web_tables import kept_forms

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_form_key_is_claimed_once_and_names_the_request_it_made(node):
    keys, key = FormKeys(node.engine), new_form_key()
    assert is_form_key(key) and not is_form_key("short") and not is_form_key("x" * 65)
    assert keys.claim("identity--us", key, NOW) is None
    assert keys.claim("identity--us", key, NOW) == SENDING  # the first send is under way
    assert keys.claim("identity--cn", key, NOW) is None  # each party's keys are its own
    keys.settle("identity--us", key, "x-accord-request--1")
    assert keys.claim("identity--us", key, NOW) == "x-accord-request--1"


def test_a_released_or_expired_key_may_be_claimed_again(node):
    keys, key = FormKeys(node.engine), new_form_key()
    keys.claim("identity--us", key, NOW)
    keys.release("identity--us", key)
    assert keys.claim("identity--us", key, NOW) is None
    keys.settle("identity--us", key, "x-accord-request--1")
    assert keys.claim("identity--us", key, NOW + timedelta(days=2)) is None  # gone since


def test_a_kept_form_is_sealed_and_opens_once_with_its_secret(node):
    forms = KeptForms(node.engine)
    kept = KeptForm("/ui/requests/new", (("summary", "Secret words"), ("to", "identity--cn")))
    secret = forms.keep(kept, NOW)
    assert secret is not None
    with node.engine.connect() as conn:
        [sealed] = conn.execute(select(kept_forms.c.sealed)).scalars()
    assert b"Secret words" not in bytes(sealed)
    assert forms.take("not the secret", NOW) is None
    assert forms.take(secret, NOW) == kept
    assert forms.take(secret, NOW) is None  # once


def test_a_kept_form_expires_and_its_size_is_bounded(node):
    forms = KeptForms(node.engine)
    secret = forms.keep(KeptForm("/ui/requests/new", (("summary", "x"),)), NOW)
    assert secret is not None and forms.take(secret, NOW + timedelta(hours=2)) is None
    huge = KeptForm("/ui/requests/new", (("description", "x" * KEEP_MOST_BYTES),))
    assert forms.keep(huge, NOW) is None


def test_a_peer_s_guidelines_are_replaced_by_the_newer_reading(node):
    store = PeerGuidelines(node.engine)
    assert store.get("identity--cn") is None
    store.put("identity--cn", {"version": 1}, NOW)
    store.put("identity--cn", {"version": 2}, NOW + timedelta(minutes=1))
    assert store.get("identity--cn") == ({"version": 2}, "2026-12-01T12:01:00.000000Z")
