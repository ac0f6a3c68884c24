"""Who is calling: an API token as HTTP Bearer, or as the password of HTTP Basic."""

from __future__ import annotations

import base64
import binascii

from accord.store.directory import Directory
from accord.taxii.errors import UNAUTHORIZED_HEADERS, TaxiiError
from accord.trust.access import Principal


def token_from(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme in ("bearer", "token"):
        # "Token" is what taxii2-client's TokenAuth sends; same meaning as Bearer.
        return credentials or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        # The user name is free text (a label for logs); the token is the password.
        return decoded.partition(":")[2] or None
    return None


def authenticate(directory: Directory, authorization: str | None) -> Principal:
    token = token_from(authorization)
    if token is None:
        raise TaxiiError(401, "an API token is required: send 'Authorization: Bearer TOKEN' "
                         "(or HTTP Basic with the token as password)",
                         headers=UNAUTHORIZED_HEADERS)
    principal = directory.principal(token)
    if principal is None:
        # One message for unknown, expired and revoked: a guesser learns nothing.
        raise TaxiiError(401, "the API token is not valid (unknown, expired or revoked)",
                         headers=UNAUTHORIZED_HEADERS)
    return principal
