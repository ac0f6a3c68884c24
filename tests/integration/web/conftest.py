"""Browsers for the web UI without a browser: a test client per person, signed in with a
token, that reads each page's anti-forgery token and posts forms as the page would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from accord.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None,
             csrf: str | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf": self.csrf if csrf is None else csrf, **(data or {})}
        response = self.client.post(path, data=form, follow_redirects=False, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def sign_in(self, token: str, next_page: str = "/ui/") -> httpx.Response:
        self.get(f"/ui/sign-in?next={next_page}")
        return self.post("/ui/sign-in", {"token": token, "next": next_page})


@pytest.fixture
def browser(world: Any) -> Iterator[Callable[..., Browser]]:
    """browser(token) -> a Browser signed in with it (None: not signed in). Each has its own
    cookies; one of them runs the app's lifespan (the audit buffer)."""
    app = create_app(world.node)
    running = TestClient(app, base_url="http://testserver")
    running.__enter__()

    def make(token: str | None, *, raise_server_errors: bool = True) -> Browser:
        opened = Browser(TestClient(app, base_url="http://testserver",
                                    raise_server_exceptions=raise_server_errors))
        if token is not None:
            signed = opened.sign_in(token)
            assert signed.status_code == 303, signed.text
        return opened

    yield make
    running.__exit__(None, None, None)
