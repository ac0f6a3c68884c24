"""What a page says an act did: a party on this node reads it at once; one on a peer's node
when the next sync carries it there."""

from __future__ import annotations

from html import unescape

import pytest
from tests.integration.web.test_request_pages import REQUEST, request_id, shared

from accord.web import request_page, translations_page

pytestmark = pytest.mark.usefixtures(shared.__name__)


def test_a_request_sent_to_a_party_on_this_node_is_said_to_be_there_now(world, browser):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    sent = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id})
    page = us.get(sent.headers["location"]).text
    assert "The addressee reads it on this node now." in page and "next sync" not in page
    china = browser(world.other_token)
    rid = request_id(sent)
    china.get(f"/ui/requests/{rid}")
    acked = china.post(f"/ui/requests/{rid}/acknowledge", {})
    assert "The requester reads it on this node now." in china.get(
        acked.headers["location"]).text
    china.get(f"/ui/requests/{rid}")
    translated = china.post(f"/ui/requests/{rid}/translations", {
        "object": rid, "lang": "zh-Hans", "text-summary": "谁在运营 198.51.100.7？"})
    assert "The other party reads it on this node now." in china.get(
        translated.headers["location"]).text


def test_one_to_a_party_a_peers_node_stands_for_waits_for_the_sync(world, browser, monkeypatch):
    for module in (request_page, translations_page):
        monkeypatch.setattr(module, "hosted_parties", lambda engine: frozenset({world.own.id}))
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    sent = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id})
    assert "It reaches the addressee's node at the next sync." in unescape(us.get(
        sent.headers["location"]).text)
