"""The STIX objects in a JSON document: a bundle, a TAXII envelope, a list or one object.

`objects_in` reads a parsed document (a stream of any size: stix.bundle_stream);
`write_bundle` writes one, an object at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, BinaryIO


class NotStixError(ValueError):
    """The document holds no STIX objects in any form Accord reads."""


class MalformedJsonError(ValueError):
    """The document stops being valid JSON at byte `offset` (counted from 0)."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"not valid JSON at byte {offset}: {reason}")
        self.offset = offset
        self.reason = reason


def objects_in(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if document.get("type") == "bundle" or ("objects" in document and "type" not in document):
            found = document.get("objects", [])
            if not isinstance(found, list):
                raise NotStixError("'objects' is not a list")
            return found
        if "type" in document:
            return [document]
    raise NotStixError(NOT_STIX)


NOT_STIX = "expected a STIX bundle, a TAXII envelope, a list of objects or one object"


def write_bundle(out: BinaryIO, bodies: Iterable[bytes]) -> None:
    """A STIX 2.1 bundle of these objects (each one's JSON text) written to `out` as they come,
    holding none of them after it is written."""
    out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'"')
    separator = b',"objects":['
    for body in bodies:
        out.write(separator)
        out.write(body)
        separator = b","
    # STIX 2.1 §3.3: no empty lists; a bundle with nothing in it has no 'objects'.
    out.write(b"}\n" if separator != b"," else b"]}\n")
