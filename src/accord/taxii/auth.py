"""Who is calling over TAXII: an API token as HTTP Bearer, or as the password of HTTP Basic."""

from __future__ import annotations

from typing import Any, cast

from starlette.requests import Request

from accord.node import Node
from accord.nul import NUL
from accord.serving.authentication import authenticate as check
from accord.store.directory import Collection
from accord.taxii.errors import UNAUTHORIZED_HEADERS, TaxiiError
from accord.trust.access import Grant, Principal
from accord.trust.credentials import from_authorization


def authenticate(node: Node, request: Request) -> Principal:
    """The caller; on a collection's URL, its grant there is read in the same statement and
    kept for `collection_named`."""
    credential = from_authorization(request.headers.get("authorization"))
    key = request.path_params.get("collection_id")
    look_up = None
    if isinstance(key, str) and NUL not in key:  # a NUL is refused after this, with a 400

        def look_up(secret: str) -> Principal | None:
            # Looked up already by the hot lane, which handed the request over (a token
            # refused, a grant that does not let read): not looked up twice.
            kept = request.scope.get(LOOKED_UP)
            if kept is not None and kept[0] == secret and kept[1] == key:
                found = kept[2]
            else:
                found = node.directory.principal_and_collection(secret, key)
            principal, request.state.taxii_collection = found
            return principal

    found = check(node, credential, source=request.client.host if request.client else None,
                  via="taxii", method=request.method,
                  path=lambda: request.url.path,  # a URL parsed only for a refusal
                  look_up=look_up)
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


# The scope's key for the hot lane's look-up of a request it handed over: (the secret, the
# collection's id or alias, what principal_and_collection found).
LOOKED_UP = "accord.taxii_looked_up"


def collection_named(node: Node, request: Request, principal: Principal
                     ) -> tuple[Collection, Grant] | None:
    """The collection the URL names and the caller's party's grant on it, if it may read or
    write it: as read with the token by `authenticate`, or now."""
    found: Any = getattr(request.state, "taxii_collection", _UNREAD)
    if found is _UNREAD:
        return node.directory.collection_for(principal.party_id,
                                             request.path_params["collection_id"])
    return cast(tuple[Collection, Grant] | None, found)


_UNREAD = object()
