"""A redirect names a path, never the host a client put in its Host header."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accord.allowed_methods import AllowedMethods
from accord.serving.redirects import relative


@pytest.mark.parametrize(("location", "path"), [
    (b"http://evil.example/taxii2/", b"/taxii2/"),
    (b"https://evil.example:8443/taxii2/accord/?limit=5", b"/taxii2/accord/?limit=5"),
    (b"http://evil.example//other.example/x/", b"/other.example/x/"),
    (b"http://evil.example", b"/"),
    (b"/ui/sign-in", b"/ui/sign-in"),  # the node's own: a path already
    (b"/ui/requests/x?done=created#timeline", b"/ui/requests/x?done=created#timeline"),
])
def test_an_absolute_location_becomes_its_path(location, path):
    assert relative(location) == path


def test_the_router_s_slash_redirect_does_not_point_where_the_host_header_says():
    async def here(_request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("here")

    app = Starlette(routes=[Route("/taxii2/", here)], middleware=[Middleware(AllowedMethods)])
    with TestClient(app, base_url="http://node.example") as client:
        answer = client.get("/taxii2", headers={"Host": "evil.example"}, follow_redirects=False)
        assert answer.status_code == 307
        assert answer.headers["location"] == "/taxii2/"
        assert client.get("/taxii2").text == "here"  # followed: the same place
