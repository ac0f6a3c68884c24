"""Signed authorship: any change to a signed object, or another key, fails verification."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from accord.federation.signing import (
    SIGNATURE_EXTENSION,
    canonical,
    fingerprint,
    load_public,
    public_bytes,
    publish,
    sign,
    why_not_authentic,
)
from accord.stix.validation import validate

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
OBJ = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created_by_ref": "identity--28bb3599-77cd-4a82-a950-b5bc3caf07c4",
    "created": "2016-04-29T14:09:00.000Z", "modified": "2016-04-29T14:09:00.000Z",
    "name": "Sakula C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix", "valid_from": "2016-04-29T14:09:00Z", "confidence": 80,
}


def test_a_signed_object_verifies_and_is_still_valid_stix():
    signed = sign(OBJ, KEY)
    assert why_not_authentic(signed, KEY.public_key()) is None
    assert validate(signed) == []
    assert signed["extensions"][SIGNATURE_EXTENSION]["key"] == fingerprint(
        public_bytes(KEY.public_key()))


@pytest.mark.parametrize("change", [
    lambda o: o.update(name="Someone else's C2"),
    lambda o: o.update(confidence=81),
    lambda o: o.update(created_by_ref="identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
    lambda o: o.pop("valid_from"),
])
def test_any_change_after_signing_is_caught(change):
    signed = sign(OBJ, KEY)
    change(signed)
    assert "does not match its content" in why_not_authentic(signed, KEY.public_key())


def test_another_key_or_no_signature_is_named():
    assert "not its creator's" in why_not_authentic(sign(OBJ, OTHER), KEY.public_key())
    assert "no Accord signature" in why_not_authentic(OBJ, KEY.public_key())


def test_signing_is_deterministic_and_ignores_key_order_and_an_old_signature():
    again = sign(dict(reversed(list(OBJ.items()))), KEY)
    assert again == sign(OBJ, KEY) == sign(sign(OBJ, OTHER), KEY)


def test_other_extensions_are_signed_with_the_object():
    marked = copy.deepcopy(OBJ)
    marked["extensions"] = {"x-custom-ext": {"extension_type": "property-extension", "a": 1}}
    signed = sign(marked, KEY)
    assert set(signed["extensions"]) == {"x-custom-ext", SIGNATURE_EXTENSION}
    signed["extensions"]["x-custom-ext"]["a"] = 2
    assert why_not_authentic(signed, KEY.public_key()) is not None


def test_published_keys_round_trip():
    assert public_bytes(load_public(publish(KEY.public_key()))) == public_bytes(KEY.public_key())


def test_an_object_without_a_canonical_form_is_refused_in_words():
    from accord.federation.signing import UnsignableError

    with pytest.raises(UnsignableError, match="cannot be signed"):
        sign({**OBJ, "x_count": 2**60}, KEY)


@pytest.mark.parametrize("extensions", [[1], "x", None])
def test_extensions_that_are_not_an_object_are_refused_in_words(extensions):
    """Found by fuzz/fuzz_signing.py: such an object had a canonical form, but signing it
    raised a TypeError."""
    from accord.federation.signing import UnsignableError

    with pytest.raises(UnsignableError, match="extensions"):
        sign({**OBJ, "extensions": extensions}, KEY)


@given(st.dictionaries(st.text(min_size=1, max_size=8),
                       st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8), max_size=5))
def test_the_canonical_form_does_not_depend_on_key_order(extra):
    one = {**OBJ, **{f"x_{k}": v for k, v in extra.items()}}
    other = dict(reversed(list(one.items())))
    assert canonical(one) == canonical(other)
