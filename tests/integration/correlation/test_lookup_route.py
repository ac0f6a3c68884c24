"""`GET /api/v1/lookup` answered ahead of FastAPI's route (api.lookup_route.Plain) when the
question is plain: the same answer, the same refusal (counted once), and everything else still
FastAPI's (its problems)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from tests.integration.correlation.test_lookup import indicator, post

from accord.api.lookup_route import Plain
from accord.store.audit_log import AuditQuery


@pytest.fixture
def routed(client, monkeypatch):
    """How many look-ups FastAPI's route answered (the rest, Plain did)."""
    seen: list[str] = []
    handle = APIRoute.handle

    async def counted(self, scope, receive, send):
        if self.path == "/lookup":
            seen.append(scope["query_string"].decode())
        await handle(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counted)
    return seen


def test_a_plain_question_is_answered_ahead_of_the_route_with_the_same_answer(
        client, world, routed):
    post(client, world.evidence.id, [indicator(n, "[domain-name:value = 'plain.example']",
                                               world.own.id) for n in range(3)])
    plain = client.get("/api/v1/lookup", params={"value": "plain.example", "limit": "2"})
    assert routed == [] and plain.status_code == 200
    # A content type sends the same question through FastAPI's route: the same bytes.
    through = client.get("/api/v1/lookup", params={"value": "plain.example", "limit": "2"},
                         headers={"Content-Type": "text/plain"})
    assert routed == ["value=plain.example&limit=2"]
    assert through.content == plain.content and plain.json()["count"] == 2
    assert plain.headers["content-type"] == through.headers["content-type"]
    # Both are audited alike.
    world.node.reads.flush()
    audited = world.node.audit.query(AuditQuery(action="lookup", limit=10))
    assert [r.event.detail for r in audited] == [{"value": "plain.example"}] * 2


@pytest.mark.parametrize("query, status", [
    ({"value": ""}, 422), ({"value": "x" * 2049}, 422), ({}, 422),
    ({"value": "a.example", "limit": "0"}, 422), ({"value": "a.example", "limit": "1001"}, 422),
    ({"value": "a.example", "limit": "ten"}, 422), ({"value": "a.example", "limit": "-1"}, 422),
    ({"value": ["a.example", "b.example"]}, 400), ({"value": "a\x00.example"}, 400),
    ({"value": "a.example", "other": "1"}, 200), ({"value": "a.example", "limit": "0100"}, 200),
])
def test_anything_but_a_plain_question_is_the_routes_to_answer(client, routed, query, status):
    answered = client.get("/api/v1/lookup", params=query)
    assert answered.status_code == status, answered.text
    assert len(routed) == 1
    if status != 200:  # FastAPI's Problem, saying what is wrong
        assert answered.json()["status"] == status and answered.json()["title"]


def test_a_token_it_does_not_know_is_refused_as_the_route_refuses_it_and_counted_once(
        client, world, routed):
    bad = {"Authorization": "Bearer not-a-token"}
    refused = client.get("/api/v1/lookup", params={"value": "a.example"}, headers=bad)
    assert refused.status_code == 401 and routed == []
    world.node.reads.flush()
    assert len(world.node.audit.query(AuditQuery(action="auth.refused", limit=10))) == 1
    # The route's own refusal of the same token: the same Problem, the same challenge.
    through = client.get("/api/v1/lookup", params={"value": "a.example"},
                         headers={**bad, "Content-Type": "text/plain"})
    assert len(routed) == 1 and through.status_code == 401
    assert through.content == refused.content
    assert through.headers["www-authenticate"] == refused.headers["www-authenticate"]
    world.node.reads.flush()
    assert len(world.node.audit.query(AuditQuery(action="auth.refused", limit=10))) == 2


def test_the_plain_way_stands_before_the_route_and_the_route_is_documented(client):
    api = next(r.app for r in client.app.routes if getattr(r, "path", "") == "/api/v1")
    both = [r for r in api.router.routes if r.path == "/lookup"]
    assert isinstance(both[0].app, Plain) and isinstance(both[1], APIRoute)
    assert "/lookup" in client.get("/api/v1/openapi.json").json()["paths"]


def test_the_methods_allowed_are_the_routes(client):
    """GET only, as FastAPI declares it: the plain way adds no HEAD to what is allowed."""
    options = client.options("/api/v1/lookup", params={"value": "a.example"})
    assert options.status_code == 204 and options.headers["allow"] == "GET, OPTIONS"
    for method in ("HEAD", "POST", "DELETE"):
        refused = client.request(method, "/api/v1/lookup", params={"value": "a.example"})
        assert refused.status_code == 405, method


def test_a_default_look_up_takes_the_small_way(client, world, monkeypatch):
    # Asking one more than the page to say whether there are more took them past the small
    # look-up's bound: every one went the long way, off the event loop.
    from accord.store.correlations import Correlations

    post(client, world.evidence.id, [indicator(n, "[domain-name:value = 'plain.example']",
                                               world.own.id) for n in range(3)])

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the long way")

    monkeypatch.setattr(Correlations, "look_up", refused)
    answered = client.get("/api/v1/lookup", params={"value": "plain.example"}).json()
    assert (answered["count"], answered["more"]) == (3, False)
