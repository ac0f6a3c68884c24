"""Where a NUL stands in a request: in its path, its query (as %00 or the byte itself, in a name
or a value) or a form; and nowhere when the query only looks like it."""

from __future__ import annotations

from starlette.requests import Request

from accord.nul import nul_in


def _request(query: bytes, **path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query,
                    "headers": [], "path_params": path})


def test_a_nul_in_the_query_is_found_in_a_value_or_a_name():
    assert nul_in(_request(b"limit=10&match[type]=a%00b")) == ("query", "match[type]")
    assert nul_in(_request(b"a%00=1")) == ("query", "a\x00")
    assert nul_in(_request(b"x=a\x00b")) == ("query", "x")


def test_a_nul_in_the_path_comes_first():
    assert nul_in(_request(b"x=%00", object_id="indicator--\x00")) == ("path", "object_id")


def test_nothing_that_only_looks_like_a_nul_is_one():
    assert nul_in(_request(b"")) is None
    assert nul_in(_request(b"limit=100&match[type]=indicator")) is None
    assert nul_in(_request(b"value=%2500&x=%250")) is None  # "%00" and "%0" written out
    assert nul_in(_request(b"x=1", object_id="indicator--1")) is None
