"""TAXII 2.1 resources as JSON: discovery, API root, collection, envelope, manifest, versions.

Envelopes are assembled from the stored JSON bytes of each object, so a page of a thousand
objects costs no parsing and no re-serialising.
"""

from __future__ import annotations

from typing import Any

import orjson

from accord.node import NodeInfo
from accord.store.directory import Collection
from accord.store.query import Page
from accord.taxii.filters import PagingTokens, encode_cursor
from accord.taxii.media import STIX_21, TAXII_21
from accord.trust.access import Grant


def discovery(node: NodeInfo, base_url: str) -> dict[str, Any]:
    root = f"{base_url}taxii2/{node.api_root}/"
    body: dict[str, Any] = {"title": node.title, "description": node.description,
                            "default": root, "api_roots": [root]}
    if node.contact:
        body["contact"] = node.contact
    return body


def api_root(node: NodeInfo) -> dict[str, Any]:
    return {"title": node.title, "description": node.description, "versions": [TAXII_21],
            "max_content_length": node.max_content_length}


def collection(c: Collection, grant: Grant) -> dict[str, Any]:
    body: dict[str, Any] = {"id": c.id, "title": c.title}
    if c.description:
        body["description"] = c.description
    if c.alias:
        body["alias"] = c.alias
    body.update(can_read=grant.can_read, can_write=grant.can_write, media_types=[STIX_21])
    return body


def _paging_prefix(page: Page, tokens: PagingTokens | None) -> bytes:
    head = b'{"more":true' if page.more else b'{"more":false'
    cursor = page.next_cursor
    if cursor is not None:
        token = encode_cursor(cursor) if tokens is None else tokens.encode(cursor)
        head += b',"next":' + orjson.dumps(token)
    return head


def envelope(page: Page, tokens: PagingTokens | None = None) -> bytes:
    head = _paging_prefix(page, tokens)
    if not page.items:
        return head + b"}"
    # One join, the envelope's head and tail on the first and last body: each concatenation
    # around a join would copy the page's megabytes once more.
    parts = [v.body for v in page.items]
    parts[0] = head + b',"objects":[' + parts[0]
    parts[-1] += b"]}"
    return b",".join(parts)


def manifest(page: Page, tokens: PagingTokens | None = None) -> bytes:
    head = _paging_prefix(page, tokens)
    if not page.items:
        return head + b"}"
    records = [{"id": v.id, "date_added": v.date_added, "version": v.version,
                "media_type": f"application/stix+json;version={v.spec_version}"}
               for v in page.items]
    return head + b',"objects":' + orjson.dumps(records) + b"}"


def versions(page: Page) -> bytes:
    head = _paging_prefix(page, None)
    if not page.items:
        return head + b"}"
    return head + b',"versions":' + orjson.dumps([v.version for v in page.items]) + b"}"


def date_added_headers(page: Page) -> dict[str, str]:
    """TAXII 2.1 §3.3.1: the first and last date_added of what this page returns."""
    if not page.items:
        return {}
    return {"X-TAXII-Date-Added-First": page.items[0].date_added,
            "X-TAXII-Date-Added-Last": page.items[-1].date_added}
