"""The node's redirects name a path: a Host header does not choose where they point."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("asked", "path"), [
    ("/taxii2", "/taxii2/"),
    ("/taxii2/accord/collections?x=1", "/taxii2/accord/collections/?x=1"),
    ("/api/v1/node/", "/api/v1/node"),
    ("/ui", "/ui/"),
])
def test_a_slash_redirect_points_at_this_node_whatever_the_host_header(client, asked, path):
    answer = client.get(asked, headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == path
