"""The REST API's errors: one body shape for every 4xx and 5xx, and its place in the OpenAPI
description, so a client (and schemathesis) knows what each operation may answer."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from accord.nul import NUL, nul_in


class FieldProblem(BaseModel):
    where: str  # e.g. "body.kind", "query.limit"
    problem: str


class Problem(BaseModel):
    """What every error of the API answers."""

    title: str
    status: int
    errors: list[FieldProblem] | None = None  # each part of the request refused, if known


MEANINGS = {
    400: "The request fits this description but cannot be used (a NUL character, a query "
         "parameter given twice, an unknown party …); `title` says why and `errors` where",
    401: "No valid API token (send `Authorization: Bearer TOKEN`, or HTTP Basic with the "
         "token as password)",
    403: "The token's role does not allow this; `title` says which role would",
    404: "Nothing the caller may read is there (the same whether it exists or not)",
    409: "The request conflicts with what was already done (answered, withdrawn, lifted …)",
    422: "A parameter or the body does not match this description; `errors` says where",
    429: "Too many failed authentications from the caller's address: try again after "
         "`Retry-After` seconds (a valid token is still served)",
    503: "The node's database cannot be reached for the moment: try again after "
         "`Retry-After` seconds",
    507: "The node's disk is full: nothing was stored",
}
_CHALLENGE = {"WWW-Authenticate": {"description": "The schemes a token may be sent in",
                                   "schema": {"type": "string"}}}
_WAIT = {"Retry-After": {"description": "Seconds to wait before trying again",
                         "schema": {"type": "integer"}}}
_HEADERS = {401: _CHALLENGE, 429: _WAIT, 503: _WAIT}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation that may answer these error statuses."""
    return {status: {"model": Problem, "description": MEANINGS[status],
                     **({"headers": _HEADERS[status]} if status in _HEADERS else {})}
            for status in statuses}


# The sets the operations use, by what an operation does. Any may answer 400 (`plain_input`).
PUBLIC = errors(400, 503)
READS = errors(400, 401, 422, 429, 503)
READS_ONE = errors(400, 401, 404, 422, 429, 503)
ACTING = errors(400, 401, 403, 404, 409, 422, 429, 503, 507)
# An operation on an id that answers what the caller may read of it, the same whether it
# exists or not (no sightings; "no party attributes this activity"): its 404 is only the
# node's, for a path its router cannot take.
UNROUTED = ("Only for a path no operation answers: an id holding a line break (which no id "
            "holds) is not routed. An id that names nothing, or nothing the caller may read, "
            "is answered as one with nothing to show")
READS_ANY_ID = {**READS, 404: {**errors(404)[404], "description": UNROUTED}}


def problem(status: int, title: str, headers: Mapping[str, str] | None = None,
            errors: Sequence[FieldProblem] | None = None) -> JSONResponse:
    return JSONResponse(Problem(title=title, status=status, errors=list(errors or ()) or None)
                        .model_dump(exclude_none=True), status_code=status, headers=headers)


class Refused(HTTPException):
    """A refusal that knows which parts of the request it is about: answered with `title`,
    and each part with what is wrong with it in `errors` (`where` as the 422s say it:
    "body.to", "query.party", "header.Idempotency-Key")."""

    def __init__(self, status: int, title: str, where: Mapping[str, str],
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, title, dict(headers) if headers else None)
        self.where = dict(where)


def refused(status: int, where: str, problem: str, title: str | None = None) -> Refused:
    """The refusal of one part of the request (`where`: "query.party"), titled as the API's
    refusals are, by the part's own name ("party: no party 'X' on this node")."""
    return Refused(status, title or f"{where.split('.', 1)[-1]}: {problem}", {where: problem})


class Unusable(Exception):
    """Input the description allows but no operation can use (a 400, with where)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


# How deep a body may nest: every operation's body is a few levels deep (a request's fields,
# a list of names). Deeper, its walks (here, and pydantic's) would only cost.
MOST_NESTED = 32


class _Repeated(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it names a key twice: which value counts would be a guess
    (Python's parser keeps the last, another reader the first)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return found


def _body_problems(raw: bytes) -> list[dict[str, Any]]:
    """What no operation can mean in a JSON body: a key given twice in one object, nesting
    past MOST_NESTED, a NUL character in a value or a key. Walked without recursion: a body
    of a few hundred brackets must not overflow the stack (a 500, before any token is read)."""
    try:
        body = json.loads(raw, object_pairs_hook=_unique_keys)
    except _Repeated as repeated:
        return [{"loc": ("body", repeated.key), "type": "repeated",
                 "msg": "given more than once in one object; give it once"}]
    except RecursionError:
        return [{"loc": ("body",), "type": "nested",
                 "msg": f"nested more than {MOST_NESTED} levels deep"}]
    except ValueError:
        return []  # FastAPI's own parsing says what is wrong with it
    problems: list[dict[str, Any]] = []
    walk: list[tuple[Any, tuple[Any, ...]]] = [(body, ())]
    while walk:
        value, where = walk.pop()
        if len(where) > MOST_NESTED:
            return [{"loc": ("body", *where[:MOST_NESTED]), "type": "nested",
                     "msg": f"nested more than {MOST_NESTED} levels deep"}]
        if isinstance(value, str):
            if NUL in value:
                problems.append({"loc": ("body", *where), "type": "nul",
                                 "msg": "holds a NUL character"})
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    problems.append({"loc": ("body", *where, key.replace(NUL, "\\0")),
                                     "type": "nul", "msg": "its name holds a NUL character"})
                walk.append((item, (*where, key)))
        elif isinstance(value, list):
            walk.extend((item, (*where, n)) for n, item in enumerate(value))
    return problems


async def plain_input(request: Request) -> None:
    """Refuses what no operation can mean: a query parameter given twice (which value counts
    would be a guess, and a proxy or a log may read the other; no operation takes a list in
    its query), and a NUL character anywhere (no text column of PostgreSQL can hold one, so
    it could only fail later, as a 500)."""
    seen: set[str] = set()
    problems: list[dict[str, Any]] = []
    for name, _value in request.query_params.multi_items():
        if name in seen:
            problems.append({"loc": ("query", name), "type": "repeated",
                             "msg": "given more than once; give it once"})
        seen.add(name)
    nul = nul_in(request)
    if nul is not None:
        problems.append({"loc": nul, "type": "nul", "msg": "holds a NUL character"})
    if "json" in request.headers.get("content-type", ""):
        problems += _body_problems(await request.body())
    if problems:
        raise Unusable(problems)


def _where(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "request"


def install(api: FastAPI) -> None:
    """Every HTTP error and every refused parameter or body answers a `Problem`."""

    @api.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        located = exc.where if isinstance(exc, Refused) else {}
        return problem(exc.status_code, str(exc.detail), exc.headers,
                       [FieldProblem(where=w, problem=p) for w, p in located.items()])

    @api.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _located(422, exc.errors())

    @api.exception_handler(Unusable)
    async def _unusable(_request: Request, exc: Unusable) -> JSONResponse:
        return _located(400, exc.problems)


def _said(problem: Mapping[str, Any]) -> str:
    if problem.get("type") == "extra_forbidden":  # pydantic's "Extra inputs are not permitted"
        return "no such field here (a typo? see /api/v1/docs)"
    return str(problem.get("msg"))


def _located(status: int, problems: Sequence[Any]) -> JSONResponse:
    found = [FieldProblem(where=_where(tuple(p.get("loc", ()))), problem=_said(p))
             for p in problems]
    title = "; ".join(f"{f.where}: {f.problem}" for f in found[:3])
    if len(found) > 3:
        title += f" (and {len(found) - 3} more)"
    return JSONResponse(Problem(title=title or "the request is not valid", status=status,
                                errors=found).model_dump(exclude_none=True), status_code=status)
