"""`Idempotency-Key` on the REST API's operations whose retry would make something twice (IETF
draft-ietf-httpapi-idempotency-key-header): a client whose request timed out sends it again
with the same key, and is answered as the first was, with nothing made twice.

The key is the caller's party's own (store.idempotency): another party's request with the
same key is another request, and learns nothing of the first. The same key with another
operation or body is refused, naming the key. A replay answers the first request's status and
what it made, as it stands now (a request acknowledged since reads acknowledged), marked
`Idempotent-Replayed: true`, and is audited. Operations that can be done only once
(acknowledge, respond, withdraw, amend, lift) need no key: their retry is refused as done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel

from accord import clock
from accord.api.problems import ACTING, MEANINGS, Refused, Unusable
from accord.cooperation.desk import First
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.idempotency import (
    KEY_LIFETIME,
    MOST_KEY_CHARS,
    MOST_KEYS,
    IdempotencyKeys,
    Kept,
    KeyTaken,
    TooManyKeys,
)
from accord.trust.access import Principal
from accord.trust.audit import Event

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_HOURS = int(KEY_LIFETIME.total_seconds() // 3600)
_WHERE = ("header", HEADER)
_AT = f"header.{HEADER}"
_NOT_SF = 'quoted, it escapes " and \\ alone (\\" and \\\\): it is not a Structured Field string'


def _key(given: str) -> str:
    """The key a header value gives: a Structured Field string (RFC 8941 §3.3.3, what the
    draft says a key is: "…", with \\" and \\\\), or the same characters unquoted, as many
    clients send it. Unusable (400) otherwise."""
    said = given.strip(" \t")
    if len(said) >= 2 and said[0] == said[-1] == '"':
        inner, key = iter(said[1:-1]), []
        for c in inner:
            if c == "\\":
                c = next(inner, "")
                if c not in ('"', "\\"):
                    _refuse(_NOT_SF)
            elif c == '"':
                _refuse(_NOT_SF)
            key.append(c)
        said = "".join(key)
    if not said.strip(" "):
        _refuse("it is empty: give a key of your own, such as a UUID")
    if len(said) > MOST_KEY_CHARS:
        _refuse(f"{len(said):,} characters, more than the {MOST_KEY_CHARS} a key may have")
    if any(not " " <= c <= "~" for c in said):
        _refuse("a key is printable ASCII (letters, digits, punctuation and spaces), such as "
                "a UUID; this one holds another character")
    return said


def _refuse(why: str) -> NoReturn:
    raise Unusable([{"loc": _WHERE, "type": "idempotency_key", "msg": why}])


def idempotency_key(
    request: Request,
    _declared: Annotated[str | None, Header(
        alias=HEADER,
        description=f"A key of yours that makes a retry of this request safe: for {_HOURS} "
                    "hours, a request of your party with the same key and the same body is "
                    "answered as the first was (its status, and what it made as it stands "
                    f"now, with `{REPLAYED}: true`) and makes nothing more; with another "
                    "operation or body it is a 409. 1 to "
                    f"{MOST_KEY_CHARS} printable ASCII characters (a UUID will do), as a "
                    'Structured Field string ("…") or unquoted. Keys are your party\'s own: '
                    "another party's key of the same characters is another key.",
        examples=['"8e03978e-40d5-43e8-bc93-6894a57f9324"'])] = None,
) -> str | None:
    """The operation's key, or None (400 naming the header for one it cannot be)."""
    given = request.headers.getlist(HEADER)
    if len(given) > 1:
        _refuse("given more than once; give it once")
    return _key(given[0]) if given else None


Key = Annotated[str | None, Depends(idempotency_key)]


def keyed(status: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a keyed operation answering `status` when it makes something."""
    return {**ACTING,
            status: {"headers": {REPLAYED: {
                "description": f"`true` where this answers a retry ({HEADER}): nothing was "
                               "made this time", "schema": {"type": "string"}}}},
            409: {**ACTING[409], "description": MEANINGS[409] + f"; or the `{HEADER}` was "
                  f"used by your party in the last {_HOURS} hours for another request (another "
                  "operation or body): `errors` names it"},
            429: {**ACTING[429], "description": MEANINGS[429] + f"; or, with `{HEADER}`, your "
                  f"party holds the most keys it may ({MOST_KEYS:,}): retry after "
                  "`Retry-After` seconds, when its oldest expires, or without a key"}}


def fingerprint_of(request: Request, body: BaseModel) -> str:
    """The operation and the body as read (not as sent: the same fields in another order, or
    spaced otherwise, are the same request)."""
    said = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.url.path}\0{said}".encode()).hexdigest()


Answer = dict[str, Any]


class Once:
    """The answers of the keyed operations: made once for a party's key, given again to its
    retries."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.keys = IdempotencyKeys(node.engine)

    def answer(self, key: str | None, caller: Principal, request: Request, response: Response,
               body: BaseModel, status: int, make: Callable[[First | None], Answer],
               again: Callable[[str], Answer]) -> Answer:
        """`make(first)`'s answer, where `first` stores the key in make's transaction; or, for
        a key the party used already, `again(id of what it made)`'s. Check the caller's role
        before: a token that may not make this learns nothing of a key."""
        if key is None:
            return make(None)
        fingerprint = fingerprint_of(request, body)
        party = caller.party_id

        def first(conn: Any, made_id: str) -> None:
            self.keys.hold_in(conn, party, key, fingerprint, status, made_id, clock.now())

        for _ in range(2):
            kept = self.keys.kept(party, key, clock.now())
            if kept is not None:
                return self._again(kept, key, fingerprint, caller, request, response, again)
            try:
                return make(first)
            except KeyTaken:  # a request with the key made it meanwhile: answer as it did
                continue
            except TooManyKeys as full:
                raise HTTPException(429, f"your party holds {MOST_KEYS:,} idempotency keys, "
                                         "the most it may; nothing was made. Retry after "
                                         f"{full.retry_after:,} s, when its oldest expires, "
                                         f"or without {HEADER}",
                                    headers={"Retry-After": str(full.retry_after)}) from None
        raise HTTPException(409, f"another request of your party with this {HEADER} is being "
                                 "made: try again in a moment")

    def _again(self, kept: Kept, key: str, fingerprint: str, caller: Principal,
               request: Request, response: Response,
               again: Callable[[str], Answer]) -> Answer:
        if kept.fingerprint != fingerprint:
            # What the draft would have a 422; here a 422 is a request that does not fit the
            # description, and this one does: it conflicts with what was done (409).
            why = (f"{key[:80]!r} was used by your party for another request (another "
                   "operation or body), which it made; a retry sends the same request, a new "
                   "request a new key")
            raise Refused(409, f"{_AT}: {why}", {_AT: why})
        answer = again(kept.made_id)
        # Audited as the read it is: what the key made, and what the answer shows of it.
        shown = answer.get("id")
        self.node.reads.record(Event(
            now_timestamp(), "idempotency.replay", caller.party_id, caller.token_id, None,
            tuple(dict.fromkeys([kept.made_id, *([shown] if isinstance(shown, str) else [])])),
            {"key": key, "operation": f"{request.method} {request.url.path}"}))
        response.status_code = kept.status
        response.headers[REPLAYED] = "true"
        return answer
