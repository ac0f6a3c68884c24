"""Reading a --db URL: the schema a PostgreSQL URL's search_path option selects."""

from __future__ import annotations

import pytest

from accord.store.engine import search_path_schema


@pytest.mark.parametrize(("url", "schema"), [
    ("postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dnode_a", "node_a"),
    ("postgresql://postgres@127.0.0.1/test?options=-csearch_path=node_a,public", "node_a"),
    ("postgresql://u@h/d?options=-c%20search_path%3D%22NodeA%22", "NodeA"),
    ("postgresql://u@h/d?options=-c%20statement_timeout%3D5s%20-c%20search_path%3Dx", "x"),
    ("postgresql://u@h/d?sslmode=require", None),
    ("accord.db", None),
])
def test_the_schema_is_the_first_of_the_search_path(url, schema):
    assert search_path_schema(url) == schema
