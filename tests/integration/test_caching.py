"""What a token reads is not kept by caches in between: every TAXII and REST answer, and
every error, says `Cache-Control: no-store`; answers that are the same for everyone keep the
caching they ask for."""

from __future__ import annotations

import pytest

COLLECTION = "/taxii2/accord/collections/evidence/"


@pytest.mark.parametrize("path", [
    "/taxii2/", "/taxii2/accord/", "/taxii2/accord/collections/", COLLECTION,
    COLLECTION + "objects/", COLLECTION + "manifest/",
    "/api/v1/requests", "/api/v1/node",
])
def test_authenticated_answers_are_not_stored(client, path):
    answered = client.get(path)
    assert answered.status_code == 200, answered.text
    assert answered.headers.get_list("cache-control") == ["no-store"]


@pytest.mark.parametrize("path", [
    COLLECTION + "objects/indicator--7f0b6c1e-2d3a-4b5c-9d8e-1f2a3b4c5d6e/",  # 404
    "/taxii2/accord/collections/nowhere/objects/",  # 404
    "/nowhere",
])
def test_errors_are_not_stored_either(client, path):
    answered = client.get(path)
    assert answered.status_code == 404
    assert answered.headers.get_list("cache-control") == ["no-store"]


def test_a_refused_token_is_not_stored(client):
    answered = client.get("/taxii2/", headers={"Authorization": "Bearer wrong"})
    assert answered.status_code == 401
    assert answered.headers.get_list("cache-control") == ["no-store"]


def test_what_is_the_same_for_everyone_keeps_its_own_caching(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers.get_list("cache-control") == ["public, max-age=86400"]
    # The UI's assets are kept, and asked again each time: a release changes them.
    sheet = client.get("/ui/static/accord.css")
    assert sheet.status_code == 200
    assert sheet.headers.get_list("cache-control") == ["no-cache"]
    again = client.get("/ui/static/accord.css", headers={"If-None-Match": sheet.headers["etag"]})
    assert again.status_code == 304
