"""What a caller presented to prove who it is: the secret to look up, and the form it came in.

Whatever is wrong with it — no header, an unknown scheme, broken base64, nothing after the
scheme — the result is a `Credential` like any other, with an empty secret that matches no
token: the node then does the same work for it as for an unknown token (one digest, one
query), so how long a refusal takes says nothing about why. Pure: no I/O.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal

# How a credential came: the audit trail names this, never any part of the secret.
Form = Literal["bearer", "token", "basic", "none", "malformed", "sign-in", "session"]
FORMS: tuple[Form, ...] = ("bearer", "token", "basic", "none", "malformed", "sign-in",
                           "session")


@dataclass(frozen=True, slots=True)
class Credential:
    form: Form
    # Kept out of repr: a credential printed in a log or a traceback shows no secret.
    secret: str = field(default="", repr=False)


def from_authorization(header: str | None) -> Credential:
    """An API token as HTTP Bearer (or `Token`, as taxii2-client sends it), or as the
    password of HTTP Basic (the user name is a free label and is ignored)."""
    if header is None:
        return Credential("none")
    scheme, _, rest = header.partition(" ")
    scheme, rest = scheme.lower(), rest.strip()
    if scheme in ("bearer", "token") and rest:
        return Credential("bearer" if scheme == "bearer" else "token", rest)
    if scheme == "basic" and rest:
        try:
            decoded = base64.b64decode(rest, validate=True).decode()
        except ValueError:  # binascii.Error, UnicodeDecodeError, and a non-ASCII header
            return Credential("malformed")
        password = decoded.partition(":")[2]
        return Credential("basic", password) if password else Credential("malformed")
    return Credential("malformed")
