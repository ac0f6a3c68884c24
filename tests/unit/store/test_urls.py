"""Reading a --db URL: the schema a PostgreSQL URL's search_path option selects."""

from __future__ import annotations

import pytest

from accord.store.urls import search_path, search_path_schema


@pytest.mark.parametrize(("url", "schema"), [
    ("postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dnode_a", "node_a"),
    ("postgresql://postgres@127.0.0.1/test?options=-csearch_path=node_a,public", "node_a"),
    ("postgresql://u@h/d?options=-c%20search_path%3D%22NodeA%22", "NodeA"),
    ("postgresql://u@h/d?options=-c%20statement_timeout%3D5s%20-c%20search_path%3Dx", "x"),
    ("postgresql://u@h/d?options=-csearch_path%3DNode_B", "node_b"),  # as PostgreSQL reads it
    ("postgresql://u@h/d?options=-csearch_path%3D%22%24user%22,public", None),  # the role's
    ("postgresql://u@h/d?options=-csearch_path%3D%C3%84bc", "Äbc"),  # A-Z only lowered
    ("postgresql://u@h/d?options=-c%20search_path%3Da%20-c%20search_path%3Db", "b"),  # last
    ("postgresql://u@h/d?options=-csearch_path%3D" + "n" * 70, "n" * 63),
    ("postgresql://u@h/d?sslmode=require", None),
    ("accord.db", None),
])
def test_the_schema_is_the_first_of_the_search_path(url, schema):
    assert search_path_schema(url) == schema


def test_the_search_path_is_read_as_postgresql_reads_it():
    url = "postgresql://u@h/d?options=-csearch_path%3DNode_B,%22Mixed%22,public"
    assert search_path(url) == ["node_b", "Mixed", "public"]
    assert search_path("postgresql://u@h/d") is None
