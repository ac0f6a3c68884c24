"""TAXII error messages (§3.6.1): every 4xx and 5xx is JSON of the TAXII media type, never HTML."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from accord.taxii.media import TAXII_21

# Fixed where Python's reason phrases differ from version to version (3.13 renamed 413 and
# 422) or keep RFC 2616's older words: a client sees the same title whatever runs the node.
_TITLES = {413: "Payload Too Large", 414: "URI Too Long", 422: "Unprocessable Entity"}


def title_of(status: int) -> str:
    """The status's reason phrase ("Not Found", "Request Header Fields Too Large"): a title
    for every code, not only the common ones."""
    try:
        return _TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class TaxiiError(Exception):
    """Raised anywhere in a request; the app turns it into one TAXII error message."""

    def __init__(self, status: int, description: str, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.details = details
        self.headers = headers or {}


def error_response(status: int, description: str, *, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "title": title_of(status),
        "description": description,
        "http_status": str(status),  # a string in TAXII 2.1 §3.6.1
    }
    if details:
        body["details"] = details
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII_21,
                    headers=headers)


def response_for(error: TaxiiError) -> Response:
    return error_response(error.status, error.description, details=error.details,
                          headers=error.headers)


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="accord", Basic realm="accord"'}
