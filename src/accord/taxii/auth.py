"""Who is calling over TAXII: an API token as HTTP Bearer, or as the password of HTTP Basic."""

from __future__ import annotations

from starlette.requests import Request

from accord.node import Node
from accord.serving.authentication import authenticate as check
from accord.taxii.errors import UNAUTHORIZED_HEADERS, TaxiiError
from accord.trust.access import Principal
from accord.trust.credentials import from_authorization


def authenticate(node: Node, request: Request) -> Principal:
    credential = from_authorization(request.headers.get("authorization"))
    found = check(node, credential, source=request.client.host if request.client else None,
                  via="taxii", method=request.method, path=request.url.path)
    if isinstance(found, Principal):
        return found
    if found.is_throttled:
        raise TaxiiError(429, found.throttled_words,
                         headers={"Retry-After": str(found.retry_after)})
    if credential.form in ("none", "malformed"):
        raise TaxiiError(401, "an API token is required: send 'Authorization: Bearer TOKEN' "
                         "(or HTTP Basic with the token as password)",
                         headers=UNAUTHORIZED_HEADERS)
    # One message for unknown, expired and revoked: a guesser learns nothing.
    raise TaxiiError(401, "the API token is not valid (unknown, expired or revoked)",
                     headers=UNAUTHORIZED_HEADERS)
