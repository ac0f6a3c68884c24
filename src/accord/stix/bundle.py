"""The STIX objects in a parsed JSON document: a bundle, a TAXII envelope, a list or one object."""

from __future__ import annotations

from typing import Any


class NotStixError(ValueError):
    """The document holds no STIX objects in any form Accord reads."""


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
    raise NotStixError("expected a STIX bundle, a TAXII envelope, a list of objects or one object")
