"""OPTIONS and 405 name every method a path serves, on TAXII, the REST API and the web UI."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount, Route

from accord.app import create_app

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "/taxii2/accord/collections/c1/"


@pytest.mark.parametrize(("path", "allow", "error_type"), [
    ("/api/v1/requests", "GET, OPTIONS, POST", "application/json"),
    ("/api/v1/screen", "GET, OPTIONS, POST", "application/json"),
    ("/api/v1/claims", "GET, OPTIONS, POST", "application/json"),
    ("/api/v1/requests/x-accord-request--1", "GET, OPTIONS", "application/json"),
    ("/api/v1/docs", "GET, OPTIONS", "application/json"),
    ("/taxii2/", "GET, HEAD, OPTIONS", TAXII),
    (COLLECTION + "objects/", "GET, HEAD, OPTIONS, POST", TAXII),
    (COLLECTION + "objects/indicator--1/", "DELETE, GET, HEAD, OPTIONS", TAXII),
    ("/", "GET, HEAD, OPTIONS", TAXII),
    # /ui/requests/new is also what /ui/requests/{request_id} matches: its GET counts.
    ("/ui/requests/new", "GET, HEAD, OPTIONS, POST", "text/html; charset=utf-8"),
    ("/ui/sign-out", "OPTIONS, POST", "text/html; charset=utf-8"),
    ("/ui/static/app.css", "GET, HEAD, OPTIONS", "text/html; charset=utf-8"),
])
def test_options_and_405_name_every_method_of_the_path(client, path, allow, error_type):
    answered = client.options(path)
    assert answered.status_code == 204 and answered.content == b""
    assert answered.headers["allow"] == allow
    refused = client.request("PATCH", path)
    assert refused.status_code == 405
    assert refused.headers["allow"] == allow
    # The body stays in the area's own error format.
    assert refused.headers["content-type"] == error_type


def test_a_path_no_route_has_is_still_not_found(client):
    assert client.options("/nowhere").status_code == 404
    assert client.request("PATCH", "/api/v1/nowhere").status_code == 404


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _every_route(routes, prefix=""):
    for route in routes:
        if isinstance(route, Mount):
            yield from _every_route(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route.methods


def test_every_route_of_the_node_is_named_by_options(world):
    """A sweep over the app's own route table: a route added later is covered too."""
    from starlette.testclient import TestClient

    app = create_app(world.node)
    seen = 0
    with TestClient(app) as client:
        for path, methods in _every_route(app.routes):
            allow = set(client.options(_sample(path)).headers["allow"].split(", "))
            assert methods <= allow, path
            seen += 1
    assert seen > 40  # TAXII, the REST API and the web UI were all walked
