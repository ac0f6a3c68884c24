"""TAXII 2.1 §3.4 URL parameters → an ObjectQuery; and the stateless `next` paging token."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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
                bodies: bool = True, tokens: PagingTokens | None = None,
                most_walked: int | None = None) -> ObjectQuery:
    if not params:  # no parameter at all: the most common read (an object by id, a poll)
        return _unfiltered(paging, default_versions, reader, max_page, most_bytes, bodies,
                           most_walked)
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
        after=(tokens.decode(after) if tokens else decode_cursor(after))
        if paging and after else None,
        reader=reader, most_bytes=most_bytes, bodies=bodies, most_walked=most_walked,
    )


@lru_cache(maxsize=256)
def _unfiltered(paging: bool, default_versions: frozenset[str], reader: Reader | None,
                max_page: int, most_bytes: int | None, bodies: bool, most_walked: int | None
                ) -> ObjectQuery:
    """parse_query of no parameters, made once per reader and endpoint (ObjectQuery is
    immutable): as the general path makes it, which a test holds equal."""
    return ObjectQuery(versions=default_versions, limit=max_page, reader=reader,
                       most_bytes=most_bytes, bodies=bodies, most_walked=most_walked)


def _values(params: QueryParams, key: str) -> list[str]:
    """A match field's values, comma-separated. §3.4: each field "MUST NOT occur more than
    once in a request"; given twice, it is refused as `limit` is, not read as one list."""
    values: list[str] = []
    given = params.getlist(key)
    if len(given) > 1:
        raise TaxiiError(400, f"{key} is given {len(given)} times; give it once, its values "
                         f"separated by commas ({key}={','.join(given)[:200]})")
    for raw in given:
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
    # token reveals nothing about the rest of the node. One it has not seen is sealed
    # (PagingTokens), never written out as it is, whichever path a page took.
    if cursor.hidden:
        raise ValueError("a position the client has not seen needs PagingTokens to seal it")
    raw = cursor.date_added.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    try:
        raw = _unpadded(token).decode()
        if not is_timestamp(raw):
            raise ValueError(raw)
        return Cursor(microsecond_key(raw))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _not_ours(token) from None


_SEALED = "~"  # (not in base64url's alphabet: a sealed token is told from a plain one)


class PagingTokens:
    """The `next` tokens of one node, for one collection and reader.

    A position the client has seen (the date_added of a page's last object, which the
    X-TAXII-Date-Added-Last header gave it) is its own token, as encode_cursor makes it. A
    position it has not seen (where a page's walk stopped, past rows hidden from it:
    ObjectQuery.most_walked) is sealed, AES-GCM under the node's paging key, with the
    collection and the reader as associated data: it tells nothing of the hidden row's
    date_added, cannot be made up, and names a position only in the read it came from."""

    def __init__(self, key: Callable[[], bytes], collection_id: str, reader: str) -> None:
        self._key = key  # asked for only when a token is sealed or opened: most never are
        self._context = f"{collection_id}\n{reader}".encode()

    def _aead(self) -> AESGCM:
        return AESGCM(self._key())

    def encode(self, cursor: Cursor) -> str:
        if not cursor.hidden:
            return encode_cursor(cursor)
        nonce = os.urandom(12)
        sealed = self._aead().encrypt(nonce, cursor.date_added.encode(), self._context)
        return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decode(self, token: str) -> Cursor:
        if not token.startswith(_SEALED):
            return decode_cursor(token)
        try:
            raw = _unpadded(token[len(_SEALED):])
            opened = self._aead().decrypt(raw[:12], raw[12:], self._context).decode()
            if not is_timestamp(opened):
                raise ValueError(opened)
        except (ValueError, binascii.Error, UnicodeDecodeError, InvalidTag):
            raise _not_ours(token) from None
        return Cursor(microsecond_key(opened), hidden=True)


def _unpadded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _not_ours(token: str) -> TaxiiError:
    shown = token if len(token) <= 80 else token[:80] + "…"
    return TaxiiError(400, f"next: {shown!r} is not a paging token this server issued for "
                           "this collection and this party")
