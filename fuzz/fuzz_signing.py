"""atheris harness: the canonical-JSON signer of federation (`federation.signing`).

Input: the bytes of a JSON object, read by orjson (what TAXII intake uses) or, when the first
byte is odd, by the standard library (what a peer's answer goes through: httpx's .json()).
Invariants: `canonical` and `sign` give bytes or refuse with UnsignableError, nothing else;
the canonical form is idempotent; sign → verify holds, also after the object crossed the wire
as JSON; signing is deterministic; any change of content breaks the signature;
`why_not_authentic` never raises, whatever signature an object claims.
Run: see docs/fuzzing.md.
"""

from __future__ import annotations

import json
from typing import Any

from _atheris import fuzz, instrumented

with instrumented(__name__ == "__main__"):
    import orjson
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.federation.signing import (
        UnsignableError,
        canonical,
        sign,
        unsigned,
        why_not_authentic,
    )

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key()


def _parsed(data: bytes) -> Any:
    if not data:
        return None
    try:
        if data[0] % 2:
            return json.loads(data[1:])
        return orjson.loads(data[1:])
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None


def test_one_input(data: bytes) -> None:
    obj = _parsed(data)
    if not isinstance(obj, dict):
        return
    assert isinstance(why_not_authentic(obj, PUBLIC), (str, type(None)))
    try:
        form = canonical(obj)
    except UnsignableError:
        return
    # RFC 8785 reads every number as an IEEE 754 double: so must the check. (Python's own
    # reading makes 1.1e20, written 111100000000297390000, an integer beyond 2^53, which the
    # signer refuses, rightly: two such integers would share one canonical form.)
    again = json.loads(form, parse_int=float)
    assert canonical(again) == form, "canonical form is not idempotent"
    try:
        signed = sign(obj, KEY)
    except UnsignableError:  # in words, e.g. extensions that are not an object
        return
    assert sign(obj, KEY) == signed, "signing is not deterministic"
    assert why_not_authentic(signed, PUBLIC) is None, "a fresh signature does not verify"
    assert canonical(signed) == form and unsigned(signed) == unsigned(obj)
    crossed = json.loads(json.dumps(signed))
    assert why_not_authentic(crossed, PUBLIC) is None, "the signature did not survive JSON"
    if "x_fuzz_tampered" not in obj:
        tampered = {**signed, "x_fuzz_tampered": True}
        assert why_not_authentic(tampered, PUBLIC) is not None, "a change went unnoticed"


if __name__ == "__main__":
    fuzz(test_one_input)
