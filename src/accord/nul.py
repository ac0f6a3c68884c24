"""The NUL character in what a client sends: no text column of PostgreSQL can hold one, so a
look-up of it could only fail (it was a 500 on every interface); each interface refuses it
with its own 400, using `nul_in` to say where."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

NUL = "\x00"


def nul_in(request: Request, form: FormData | None = None) -> tuple[str, str] | None:
    """Where the first NUL stands: ("path", name), ("query", name) or ("form", name)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            return "path", name
    raw = request.scope.get("query_string", b"")
    # A NUL in a query is %00 or the byte itself: a query with neither is not decoded here
    # (most are not, and this runs for every TAXII request).
    if b"%00" in raw or b"\x00" in raw:
        for name, value in request.query_params.multi_items():
            if NUL in name or NUL in value:
                return "query", name
    for name, value in (form.multi_items() if form is not None else ()):
        if NUL in name or (isinstance(value, str) and NUL in value):
            return "form", name
    return None
