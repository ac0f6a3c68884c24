"""API tokens: made random, shown once, kept only as a digest."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "accord_"
ROLES = ("reader", "analyst", "liaison", "admin")
# The roles that send and answer requests, translate them and take positions on claims, on
# every path (REST API, web UI, TAXII POST of Accord's own objects).
ACTING_ROLES = ("liaison", "admin")


def new_token() -> str:
    # 256 bits of randomness; the prefix lets secret scanners recognise a leaked token.
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 suffices (no slow hash needed): tokens are random, not guessable passwords."""
    return hashlib.sha256(token.encode()).hexdigest()
