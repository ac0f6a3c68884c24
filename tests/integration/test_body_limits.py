"""How much of a body the web UI and the REST API read: each its own bound, refused before the
app reads a byte more (TAXII's POST keeps max_content_length: tests/integration/taxii)."""

from __future__ import annotations

from collections.abc import Iterator

from accord.serving.bodies import API_BODY_BYTES, UI_BODY_BYTES


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


def test_a_form_past_the_ui_bound_is_refused_without_a_sign_in(client):
    # 950 fields of a megabyte each, posted to the sign-in form: the whole gigabyte was read
    # and parsed before anything was checked, by anyone.
    big = b"token=" + b"a" * (UI_BODY_BYTES + 1)
    for path in ("/ui/sign-in", "/ui/language"):
        refused = client.post(path, content=big,
                              headers={"Content-Type": "application/x-www-form-urlencoded",
                                       "Authorization": ""})
        assert refused.status_code == 413, path
        assert "larger than this page or endpoint takes" in refused.text
    # Sent in chunks, declaring no length: counted as it comes.
    chunked = client.post("/ui/sign-in", content=_chunks(UI_BODY_BYTES + 1024),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert chunked.status_code == 413


def test_a_json_body_past_the_api_bound_is_refused(client):
    refused = client.post("/api/v1/screen", content=b"[" + b" " * API_BODY_BYTES + b"]",
                          headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    # In the REST API's error shape, as every other refusal of it.
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["status"] == 413
    assert "larger than this page or endpoint takes" in refused.json()["title"]


def test_bodies_within_the_bounds_are_read_as_before(client, world):
    page = client.get("/ui/sign-in")
    assert page.status_code == 200
    screened = client.post("/api/v1/screen", json={"names": ["Wang Dong"] * 1000})
    assert screened.status_code == 200 and len(screened.json()) == 1000
