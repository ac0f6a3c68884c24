"""TAXII 2.1 §3.4 URL parameters → an ObjectQuery; and the stateless `next` paging token."""

from __future__ import annotations

import base64
import binascii
import re

from starlette.datastructures import QueryParams

from accord.stix.timestamps import is_timestamp, microsecond_key, sort_key
from accord.store.query import ALL, FIRST, LAST, Cursor, ObjectQuery, Reader
from accord.taxii.errors import TaxiiError

OBJECTS_FILTERS = frozenset({"id", "type", "version", "spec_version"})
OBJECT_FILTERS = frozenset({"version", "spec_version"})
VERSIONS_FILTERS = frozenset({"spec_version"})

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_SPEC_VERSION = re.compile(r"^\d\.\d$")
_MATCH = re.compile(r"^match\[([^\]]*)\]$")


def parse_query(params: QueryParams, allowed: frozenset[str], *, max_page: int,
                paging: bool = True, default_versions: frozenset[str] = frozenset({LAST}),
                reader: Reader | None = None, most_bytes: int | None = None,
                bodies: bool = True) -> ObjectQuery:
    for key in params:
        m = _MATCH.match(key)
        if m and m.group(1) not in allowed:
            can = ", ".join(f"match[{f}]" for f in sorted(allowed)) or "no match[] filter"
            raise TaxiiError(400, f"filter {key} is not supported here (this endpoint takes {can})")
    ids = _values(params, "match[id]")
    types = _values(params, "match[type]")
    for t in types:
        if not _TYPE.match(t):
            raise TaxiiError(400, f"match[type]: {t!r} is not a STIX type name")
    spec_versions = _values(params, "match[spec_version]")
    for s in spec_versions:
        if not _SPEC_VERSION.match(s):
            raise TaxiiError(400, f"match[spec_version]: {s!r} is not a version such as 2.1")
    versions = _versions(_values(params, "match[version]")) or default_versions
    added_after, limit, after = (_once(params, k) for k in ("added_after", "limit", "next"))
    return ObjectQuery(
        ids=tuple(ids), types=tuple(types), versions=versions, spec_versions=tuple(spec_versions),
        added_after=_added_after(added_after) if paging else None,
        limit=_limit(limit, max_page) if paging else max_page,
        after=decode_cursor(after) if paging and after else None,
        reader=reader, most_bytes=most_bytes, bodies=bodies,
    )


def _values(params: QueryParams, key: str) -> list[str]:
    values: list[str] = []
    for raw in params.getlist(key):
        parts = [v.strip() for v in raw.split(",")]
        if any(not p for p in parts):
            raise TaxiiError(400, f"{key}: empty value in {raw!r}")
        values += parts
    return values


def _once(params: QueryParams, key: str) -> str | None:
    """A parameter that §3.4 allows once: given twice, which one the client meant is unknown
    (one server would take the first, another the last), so neither is guessed."""
    given = params.getlist(key)
    if len(given) > 1:
        raise TaxiiError(400, f"{key} is given {len(given)} times; give it once")
    return given[0] if given else None


def _versions(values: list[str]) -> frozenset[str]:
    keys: set[str] = set()
    for value in values:
        if value in (LAST, FIRST, ALL):
            if value in keys:  # §3.4: each keyword at most once
                raise TaxiiError(400, f"match[version]: {value} is given twice; give it once")
            keys.add(value)
        elif is_timestamp(value):
            keys.add(sort_key(value))
        else:
            raise TaxiiError(400, f"match[version]: {value!r} is neither first, last, all nor a "
                             "timestamp such as 2016-04-06T20:07:09.000Z")
    if ALL in keys and len(keys) > 1:  # §3.4: `all` stands alone
        raise TaxiiError(400, "match[version]: all already names every version; give it "
                              "alone, without first, last or timestamps")
    return frozenset(keys)


def _added_after(value: str | None) -> str | None:
    if value is None:
        return None
    if not is_timestamp(value):
        raise TaxiiError(400, f"added_after: {value!r} is not a timestamp such as "
                         "2016-04-06T20:07:09.000Z")
    return microsecond_key(value)


def _limit(value: str | None, max_page: int) -> int:
    if value is None:
        return max_page
    # ASCII digits only: int() would also take "1_0", " 10" and other scripts' digits.
    if not (value.isascii() and value.lstrip("-").isdigit()):
        raise TaxiiError(400, f"limit: {value!r} is not a whole number")
    limit = int(value)
    if limit < 1:
        raise TaxiiError(400, f"limit: must be at least 1, not {limit}")
    return min(limit, max_page)  # §3.4: a server may return fewer than asked


def encode_cursor(cursor: Cursor) -> str:
    # Only a date_added the client has seen in the X-TAXII-Date-Added headers already: the
    # token reveals nothing about the rest of the node.
    raw = cursor.date_added.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not is_timestamp(raw):
            raise ValueError(raw)
        return Cursor(microsecond_key(raw))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise TaxiiError(400, f"next: {token!r} is not a paging token this server issued") from None
