"""Who calls the REST API: a token, sent as HTTP Bearer or as the password of HTTP Basic (what
`trust.credentials.from_authorization` reads), declared as the OpenAPI description's two
security schemes; failures are counted and throttled per source (`serving.authentication`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, Security
from fastapi.openapi.models import HTTPBase, HTTPBearer
from fastapi.security.base import SecurityBase

from accord.node import Node
from accord.serving.authentication import authenticate
from accord.store.engine import one_connection
from accord.taxii.errors import UNAUTHORIZED_HEADERS
from accord.trust.access import Principal
from accord.trust.credentials import from_authorization


class _Scheme(SecurityBase):
    """A security scheme as the description states it; reading the header is `token_from`'s
    alone, so that the REST API, TAXII and the description agree on what a token is."""

    def __init__(self, name: str, model: HTTPBase) -> None:
        self.scheme_name = name
        self.model = model

    async def __call__(self) -> None:
        return None


BEARER = _Scheme("bearer", HTTPBearer(description="An API token: `Authorization: Bearer TOKEN` "
                                                  "(see `accord token create`)"))
BASIC = _Scheme("basic", HTTPBase(scheme="basic", description="An API token as the password of "
                                                              "HTTP Basic; the user name is a "
                                                              "free label"))


def principal_of(node: Node) -> Callable[..., Awaitable[Principal]]:
    """The dependency every operation but the public ones takes. It runs on the event loop,
    as TAXII's authentication does, on the connection the loop keeps: a token is known from
    its recent use (store.recent_tokens) or read in one statement, and a hop to a worker
    thread and back cost an operation more than that (a millisecond a call on two busy
    cores). A refusal is counted in memory and written by a background thread."""

    async def principal(request: Request, _bearer: None = Security(BEARER),
                        _basic: None = Security(BASIC)) -> Principal:
        return caller_of(node, request)

    return principal


def caller_of(node: Node, request: Request) -> Principal:
    """The token's holder, or HTTPException 401 (429 when its source is throttled), the
    refusal counted and recorded; on the event loop's connection."""
    with one_connection():  # the connection the loop keeps, if it is free
        found = authenticate(node, from_authorization(request.headers.get("authorization")),
                             source=request.client.host if request.client else None,
                             via="api", method=request.method, path=request.url.path)
    if isinstance(found, Principal):
        return found
    if found.is_throttled:
        raise HTTPException(429, found.throttled_words,
                            headers={"Retry-After": str(found.retry_after)})
    raise HTTPException(401, "a valid API token is required (Authorization: Bearer "
                            "TOKEN, or HTTP Basic with the token as password)",
                        headers=UNAUTHORIZED_HEADERS)
