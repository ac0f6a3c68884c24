"""Every TAXII 2.1 endpoint through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import replace

import orjson
import pytest

from accord.store.audit_log import AuditQuery
from accord.trust.access import Grant

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


def indicator(n: int, modified: str = "2020-01-01T00:00:00.000Z"):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2020-01-01T00:00:00.000Z", "modified": modified,
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z",
    }


def post(client, collection_id, objects, **headers):
    return client.post(f"{ROOT}collections/{collection_id}/objects/",
                       content=orjson.dumps({"objects": objects}),
                       headers={"Content-Type": TAXII, **headers})


def objects_url(world, suffix=""):
    return f"{ROOT}collections/{world.evidence.id}/objects/{suffix}"


def assert_taxii_error(response, status):
    assert response.status_code == status
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]
    return body


def test_discovery_points_at_the_api_root(client):
    r = client.get("/taxii2/")
    assert r.status_code == 200 and r.headers["content-type"] == TAXII
    body = r.json()
    assert body["default"] == "/taxii2/accord/"  # relative: no public URL is configured
    assert body["api_roots"] == [body["default"]]


def test_discovery_does_not_announce_what_the_host_header_says(client):
    body = client.get("/taxii2/", headers={"Host": "evil.example"}).json()
    assert "evil" not in str(body) and body["api_roots"] == ["/taxii2/accord/"]


def test_api_root_information(client, world):
    body = client.get(ROOT).json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] == world.node.info.max_content_length
    assert_taxii_error(client.get("/taxii2/elsewhere/"), 404)


def test_collections_list_only_what_the_party_may_use(client, world):
    listed = client.get(f"{ROOT}collections/").json()["collections"]
    assert [c["id"] for c in listed] == [world.evidence.id]
    assert listed[0]["can_read"] and listed[0]["can_write"]
    assert listed[0]["media_types"] == ["application/stix+json;version=2.1"]
    other = client.get(f"{ROOT}collections/",
                       headers={"Authorization": f"Bearer {world.other_token}"})
    assert other.status_code == 200 and other.json() == {}


def test_another_partys_collection_is_404_on_every_endpoint(client, world):
    post(client, world.evidence.id, [indicator(1)])
    stranger = {"Authorization": f"Bearer {world.other_token}"}
    for path in ["", "objects/", "manifest/", f"objects/{indicator(1)['id']}/",
                 f"objects/{indicator(1)['id']}/versions/"]:
        r = client.get(f"{ROOT}collections/{world.evidence.id}/{path}", headers=stranger)
        body = assert_taxii_error(r, 404)
        assert indicator(1)["id"] not in body["description"] or path == ""
    assert_taxii_error(post(client, world.evidence.id, [indicator(2)], **stranger), 404)
    r = client.delete(objects_url(world, f"{indicator(1)['id']}/"), headers=stranger)
    assert_taxii_error(r, 404)
    # and the same answer as for a collection that does not exist at all
    missing = client.get(f"{ROOT}collections/00000000-0000-4000-8000-000000000000/")
    assert_taxii_error(missing, 404)


def test_write_only_party_may_post_but_not_read(client, world):
    world.node.directory.grant(world.evidence.id, world.other, Grant(False, True))
    writer = {"Authorization": f"Bearer {world.other_token}"}
    assert post(client, world.evidence.id, [indicator(1)], **writer).status_code == 202
    assert_taxii_error(client.get(objects_url(world), headers=writer), 403)
    assert_taxii_error(client.get(f"{ROOT}collections/{world.evidence.id}/manifest/",
                                  headers=writer), 403)


def test_read_only_party_may_not_post_or_delete(client, world):
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    reader = {"Authorization": f"Bearer {world.other_token}"}
    post(client, world.evidence.id, [indicator(1)])
    assert client.get(objects_url(world), headers=reader).json()["objects"]
    assert_taxii_error(post(client, world.evidence.id, [indicator(2)], **reader), 403)
    assert_taxii_error(client.delete(objects_url(world, f"{indicator(1)['id']}/"),
                                     headers=reader), 403)


@pytest.mark.parametrize("envelope", [{"objects": []}, {}, {"type": "bundle", "id":
                         "bundle--6f4ad5a4-3d8a-4b8e-9a7e-0f5e8c2b8f11", "objects": []}])
def test_an_envelope_of_no_objects_is_refused_not_answered_with_an_empty_status(
        client, world, envelope):
    r = client.post(f"{ROOT}collections/{world.evidence.id}/objects/",
                    content=orjson.dumps(envelope), headers={"Content-Type": TAXII})
    assert_taxii_error(r, 422)
    assert "holds no objects" in r.json()["description"]


def test_post_returns_a_complete_status_that_can_be_fetched_again(client, world):
    bad = {"type": "indicator", "id": "indicator--not-a-uuid", "spec_version": "2.1"}
    r = post(client, world.evidence.id, [indicator(1), bad, indicator(2)])
    assert r.status_code == 202
    status = r.json()
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (3, 2, 1)
    assert status["failures"][0]["id"] == "indicator--not-a-uuid"
    assert status["failures"][0]["message"]
    again = client.get(f"{ROOT}status/{status['id']}/")
    assert again.json() == status
    stranger = {"Authorization": f"Bearer {world.other_token}"}
    assert_taxii_error(client.get(f"{ROOT}status/{status['id']}/", headers=stranger), 404)
    assert_taxii_error(client.get(f"{ROOT}status/no-such-status/"), 404)


def test_objects_envelope_paging_and_date_added_headers(client, world):
    post(client, world.evidence.id, [indicator(n) for n in range(5)])
    r = client.get(objects_url(world), params={"limit": 2})
    assert r.status_code == 200
    env = r.json()
    assert env["more"] is True and len(env["objects"]) == 2 and env["next"]
    assert r.headers["X-TAXII-Date-Added-First"] <= r.headers["X-TAXII-Date-Added-Last"]
    ids = [o["id"] for o in env["objects"]]
    while env.get("more"):
        env = client.get(objects_url(world), params={"limit": 2, "next": env["next"]}).json()
        ids += [o["id"] for o in env["objects"]]
    assert sorted(ids) == sorted(indicator(n)["id"] for n in range(5))


def test_empty_result_is_an_envelope_without_objects(client, world):
    r = client.get(objects_url(world), params={"match[type]": "malware"})
    assert r.status_code == 200 and r.json() == {"more": False}
    assert "X-TAXII-Date-Added-First" not in r.headers


def test_match_filters(client, world):
    post(client, world.evidence.id, [indicator(1), indicator(2)])
    post(client, world.evidence.id, [indicator(1, "2021-01-01T00:00:00.000Z")])
    get = lambda **p: [(o["id"][-1], o["modified"][:4])  # noqa: E731
                       for o in client.get(objects_url(world), params=p).json().get("objects", [])]
    assert sorted(get()) == [("1", "2021"), ("2", "2020")]
    assert sorted(get(**{"match[version]": "all"})) == [("1", "2020"), ("1", "2021"), ("2", "2020")]
    assert sorted(get(**{"match[version]": "first"})) == [("1", "2020"), ("2", "2020")]
    assert get(**{"match[id]": indicator(2)["id"]}) == [("2", "2020")]
    assert sorted(get(**{"match[version]": "2021-01-01T00:00:00Z"})) == [("1", "2021")]
    assert get(**{"match[spec_version]": "2.0"}) == []
    assert sorted(get(**{"match[spec_version]": "2.1"})) == [("1", "2021"), ("2", "2020")]


def test_added_after_filter(client, world):
    first = post(client, world.evidence.id, [indicator(1)])
    assert first.status_code == 202
    added = client.get(objects_url(world)).headers["X-TAXII-Date-Added-Last"]
    post(client, world.evidence.id, [indicator(2)])
    later = client.get(objects_url(world), params={"added_after": added}).json()["objects"]
    assert [o["id"] for o in later] == [indicator(2)["id"]]


def test_object_endpoint_versions_and_manifest(client, world):
    oid = indicator(1)["id"]
    post(client, world.evidence.id, [indicator(1), indicator(1, "2021-01-01T00:00:00.000Z")])
    one = client.get(objects_url(world, f"{oid}/")).json()["objects"]
    assert [o["modified"] for o in one] == ["2021-01-01T00:00:00.000Z"]
    every = client.get(objects_url(world, f"{oid}/"), params={"match[version]": "all"}).json()
    assert len(every["objects"]) == 2
    versions = client.get(objects_url(world, f"{oid}/versions/")).json()
    assert versions == {"more": False,
                        "versions": ["2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z"]}
    manifest = client.get(f"{ROOT}collections/{world.evidence.id}/manifest/").json()["objects"]
    assert [(m["id"], m["version"]) for m in manifest] == [(oid, "2021-01-01T00:00:00.000Z")]
    assert manifest[0]["media_type"] == "application/stix+json;version=2.1"
    assert manifest[0]["date_added"].endswith("Z")


def test_unknown_object_is_404(client, world):
    missing = "indicator--00000000-0000-4000-8000-999999999999"
    assert_taxii_error(client.get(objects_url(world, f"{missing}/")), 404)
    assert_taxii_error(client.get(objects_url(world, f"{missing}/versions/")), 404)
    assert_taxii_error(client.delete(objects_url(world, f"{missing}/")), 404)


def test_delete_removes_the_object_or_chosen_versions(client, world):
    oid = indicator(1)["id"]
    post(client, world.evidence.id, [indicator(1), indicator(1, "2021-01-01T00:00:00.000Z")])
    r = client.delete(objects_url(world, f"{oid}/"),
                      params={"match[version]": "2021-01-01T00:00:00.000Z"})
    assert r.status_code == 200
    assert client.get(objects_url(world, f"{oid}/versions/")).json()["versions"] == [
        "2020-01-01T00:00:00.000Z"]
    # §5.7: a deleted version, fetched again, is a 404; a keyword still finds what is left.
    deleted = client.get(objects_url(world, f"{oid}/"),
                         params={"match[version]": "2021-01-01T00:00:00.000Z"})
    assert_taxii_error(deleted, 404)
    assert "match[version]" in deleted.json()["description"]
    assert len(client.get(objects_url(world, f"{oid}/"), params={
        "match[version]": "first,2021-01-01T00:00:00.000Z"}).json()["objects"]) == 1
    assert client.delete(objects_url(world, f"{oid}/")).status_code == 200
    assert_taxii_error(client.get(objects_url(world, f"{oid}/")), 404)


@pytest.mark.parametrize("params", [
    {"limit": "abc"}, {"limit": "1"}, {"next": "x"}, {"added_after": "2020-01-01T00:00:00Z"},
    {"match[versions]": "first"}, {"match[type]": "indicator"}, {"version": "first"},
])
def test_delete_refuses_what_it_would_ignore_and_deletes_nothing(client, world, params):
    oid = indicator(1)["id"]
    post(client, world.evidence.id, [indicator(1), indicator(1, "2021-01-01T00:00:00.000Z")])
    refused = client.delete(objects_url(world, f"{oid}/"), params=params)
    body = assert_taxii_error(refused, 400)
    assert next(iter(params)) in body["description"]
    assert len(client.get(objects_url(world, f"{oid}/versions/")).json()["versions"]) == 2


def test_delete_of_a_version_that_is_not_there_is_404_and_deletes_nothing(client, world):
    oid = indicator(1)["id"]
    post(client, world.evidence.id, [indicator(1)])
    missed = client.delete(objects_url(world, f"{oid}/"),
                           params={"match[version]": "2030-01-01T00:00:00.000Z"})
    assert "no version of" in assert_taxii_error(missed, 404)["description"]
    assert client.get(objects_url(world, f"{oid}/")).status_code == 200


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer accord_not-a-real-token"},
    {"Authorization": "Basic !!!"},
    {"Authorization": "Basic \u00e9".encode("latin-1")},  # not ASCII: never base64
    {"Authorization": "Digest abc"},
])
def test_missing_or_bad_tokens_are_401_with_a_challenge(client, headers):
    client.headers.pop("Authorization")
    r = client.get("/taxii2/", headers=headers)
    assert_taxii_error(r, 401)
    assert "Bearer" in r.headers["WWW-Authenticate"]


def test_basic_auth_with_the_token_as_password(client, world):
    client.headers.pop("Authorization")
    basic = base64.b64encode(f"anyone:{world.admin_token}".encode()).decode()
    assert client.get("/taxii2/", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_revoked_and_expired_tokens_are_refused(client, world):
    directory = world.node.directory
    token = directory.create_token(world.own, role="reader")
    expired = directory.create_token(world.own, role="reader",
                                     expires="2001-01-01T00:00:00.000000Z")
    assert client.get("/taxii2/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    directory.revoke_token(directory.tokens()[-2].id)
    assert_taxii_error(client.get("/taxii2/", headers={"Authorization": f"Bearer {token}"}), 401)
    assert_taxii_error(client.get("/taxii2/", headers={"Authorization": f"Bearer {expired}"}), 401)


def test_reader_role_cannot_write_even_where_its_party_may(client, world):
    reader = world.node.directory.create_token(world.own, role="reader")
    r = post(client, world.evidence.id, [indicator(1)], Authorization=f"Bearer {reader}")
    assert_taxii_error(r, 403)
    listed = client.get(f"{ROOT}collections/", headers={"Authorization": f"Bearer {reader}"})
    assert listed.json()["collections"][0]["can_write"] is False


def test_content_negotiation(client, world):
    for accept in ["application/taxii+json", "*/*",
                   "text/html;q=0.9, application/taxii+json;version=2.1;q=0.1"]:
        assert client.get("/taxii2/", headers={"Accept": accept}).status_code == 200
    for accept in ["text/html", "application/json", "application/taxii+json;version=2.0"]:
        assert_taxii_error(client.get("/taxii2/", headers={"Accept": accept}), 406)


def test_several_accept_lines_are_one_list(client):
    # RFC 9110 §5.3: a field sent on several lines is one comma-separated list.
    r = client.get("/taxii2/", headers=[("Accept", "text/html"), ("Accept", TAXII)])
    assert r.status_code == 200
    assert_taxii_error(client.get("/taxii2/", headers=[("Accept", "text/html"),
                                                       ("Accept", "application/json")]), 406)


def test_limit_is_a_whole_number_in_ascii_digits(client, world):
    post(client, world.evidence.id, [indicator(n) for n in range(3)])
    assert len(client.get(objects_url(world), params={"limit": "2"}).json()["objects"]) == 2
    for limit in ("1_0", "\u0663", " 2", "2.0", "+2"):
        body = assert_taxii_error(client.get(objects_url(world), params={"limit": limit}), 400)
        assert "limit" in body["description"]


def test_a_compressed_body_is_415_and_stores_nothing(client, world):
    import gzip

    r = client.post(objects_url(world), content=gzip.compress(
        orjson.dumps({"objects": [indicator(1)]})),
        headers={"Content-Type": TAXII, "Content-Encoding": "gzip"})
    assert "Content-Encoding 'gzip'" in assert_taxii_error(r, 415)["description"]
    assert world.node.objects.count(world.evidence.id) == 0


def test_every_failure_in_a_status_has_a_version(client, world):
    r = post(client, world.evidence.id, [{"type": "indicator"}, "not an object", indicator(1)])
    status = r.json()
    assert status["failure_count"] == 2 and status["success_count"] == 1
    for failure in status["failures"]:
        # None was given: the server's, when the request arrived (TAXII 2.1 §4.3.1.1).
        assert failure["version"] == status["request_timestamp"], failure


def test_delete_without_read_or_write_is_404_as_taxii_says(client, world):
    # A write-only grant, held by a reader's token: neither permission in effect (§5.7).
    world.node.directory.grant(world.evidence.id, world.other, Grant(False, True))
    token = world.node.directory.create_token(world.other, role="reader", name="Reader")
    caller = {"Authorization": f"Bearer {token}"}
    info = client.get(f"{ROOT}collections/{world.evidence.id}/", headers=caller).json()
    assert (info["can_read"], info["can_write"]) == (False, False)
    post(client, world.evidence.id, [indicator(1)])
    assert_taxii_error(client.delete(objects_url(world, f"{indicator(1)['id']}/"),
                                     headers=caller), 404)
    assert world.node.objects.count(world.evidence.id) == 1
    # Nor is it told, reading, that it may write: it may not.
    refused = assert_taxii_error(client.get(objects_url(world), headers=caller), 403)
    assert "write" not in refused["description"], refused


def test_the_manifest_answers_an_accept_of_stix_alone_as_its_section_lists_it(client, world):
    # TAXII 2.1 §5.3: "Accept: application/taxii+json;version=2.1,application/stix+json;
    # version=2.1"; a media type an endpoint defines must not be a 406 (§1.6.8).
    post(client, world.evidence.id, [indicator(1)])
    manifest = f"{ROOT}collections/{world.evidence.id}/manifest/"
    for accept in ["application/stix+json;version=2.1", "application/stix+json",
                   f"{TAXII},application/stix+json;version=2.1"]:
        r = client.get(manifest, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["Content-Type"] == TAXII, (accept, r.text)
        assert r.json()["objects"][0]["id"] == indicator(1)["id"]
    assert_taxii_error(client.get(manifest, headers={
        "Accept": "application/stix+json;version=2.0"}), 406)
    # Objects are sent in an envelope, a TAXII resource: their endpoint lists TAXII alone.
    assert_taxii_error(client.get(objects_url(world), headers={
        "Accept": "application/stix+json;version=2.1"}), 406)


def test_post_with_wrong_media_type_is_415(client, world):
    r = client.post(objects_url(world), content=orjson.dumps({"objects": [indicator(1)]}),
                    headers={"Content-Type": "application/json"})
    assert_taxii_error(r, 415)


def test_malformed_json_is_422_and_stores_nothing(client, world):
    # TAXII 2.1 §5.5: 422 "when sending a malformed body".
    r = client.post(objects_url(world), content=b'{"objects": [', headers={"Content-Type": TAXII})
    body = assert_taxii_error(r, 422)
    assert "JSON" in body["description"]
    assert world.node.objects.count(world.evidence.id) == 0


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b'{"objects": {"a": 1}}'])
def test_json_that_is_not_an_envelope_is_422(client, world, payload):
    r = client.post(objects_url(world), content=payload, headers={"Content-Type": TAXII})
    assert_taxii_error(r, 422)


def test_oversized_body_is_413_and_stores_nothing(client, world):
    world.node.info = replace(world.node.info, max_content_length=2000)
    r = post(client, world.evidence.id, [indicator(n) for n in range(20)])
    body = assert_taxii_error(r, 413)
    assert "2000" in body["description"]
    assert world.node.objects.count(world.evidence.id) == 0


def test_bad_filter_and_bad_next_are_400(client, world):
    assert_taxii_error(client.get(objects_url(world), params={"limit": "0"}), 400)
    assert_taxii_error(client.get(objects_url(world), params={"next": "garbage!"}), 400)
    assert_taxii_error(client.get(objects_url(world), params={"added_after": "today"}), 400)


@pytest.mark.parametrize("field", ["match[type]", "match[id]", "match[version]",
                                   "match[spec_version]"])
def test_a_match_field_given_twice_is_400_not_read_as_one_list(client, world, field):
    # §3.4: "each <field> MUST NOT occur more than once in a request"; it was merged into one
    # list where `limit` given twice was refused.
    values = {"match[type]": ("indicator", "malware"),
              "match[id]": ("indicator--00000000-0000-4000-8000-000000000001",
                            "indicator--00000000-0000-4000-8000-000000000002"),
              "match[version]": ("first", "last"), "match[spec_version]": ("2.1", "2.1")}
    query = "&".join(f"{field}={v}" for v in values[field])
    body = assert_taxii_error(client.get(f"{objects_url(world)}?{query}"), 400)
    assert f"{field} is given 2 times; give it once" in body["description"]
    one = ",".join(values[field]) if field != "match[spec_version]" else "2.1"
    assert client.get(objects_url(world), params={field: one}).status_code == 200


def test_unknown_paths_and_methods_are_taxii_errors_not_html(client, world):
    assert_taxii_error(client.get("/nowhere"), 404)
    r = client.put(objects_url(world))
    assert_taxii_error(r, 405)
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_discovery_announces_the_configured_public_url_not_the_host_header(client, world):
    world.node.info = replace(world.node.info, public_url="https://cert.example.org/")
    body = client.get("/taxii2/", headers={"Host": "attacker.example"}).json()
    assert body["api_roots"] == ["https://cert.example.org/taxii2/accord/"]
    # A plain http:// one (kept from before `serve` refused it) is not announced: TAXII 2.1
    # §4.1.1 allows HTTPS absolute URLs or relative ones.
    world.node.info = replace(world.node.info, public_url="http://cert.example.org/")
    body = client.get("/taxii2/").json()
    assert body["api_roots"] == ["/taxii2/accord/"] and body["default"] == "/taxii2/accord/"


def test_a_read_takes_one_pooled_connection_and_two_statements(client, world):
    from sqlalchemy import event

    post(client, world.evidence.id, [indicator(1)])
    # PostgreSQL: the serving process remembers the pages it read (store.page_memo), once its
    # listener has confirmed it hears of every change.
    memo = world.node.objects.pages
    assert (memo is None) == (world.node.engine.dialect.name == "sqlite")
    deadline = time.monotonic() + 10
    while memo is not None and memo.generation() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # … and has heard of the POST's own announcement (a busy machine delivers it late): no
    # change for two of its confirmations.
    stable = time.monotonic()
    while memo is not None and time.monotonic() < deadline:
        seen = memo.generation()
        time.sleep(0.05)
        if seen is None or seen != memo.generation():
            stable = time.monotonic()
        elif time.monotonic() - stable > 0.5:
            break
    client.get(objects_url(world, ""))
    read_before = {""}
    served: list[str] = []

    def noted(kind):
        def note(*_args, **_kwargs):
            if threading.current_thread().name != "audit-flush":  # the trail's own appends
                served.append(kind)
        return note

    checkout, statement = noted("checkout"), noted("statement")
    event.listen(world.node.engine, "checkout", checkout)
    event.listen(world.node.engine, "before_cursor_execute", statement)
    try:
        # The token and the grant in one statement, the objects in another; an object that is
        # not there (404) takes a third, to tell it from one the reader may not see. A token
        # and grant looked up a moment ago are not read again (store.recent_tokens). (The
        # count of the collection's rows not every reader may read, kept a while, was made
        # by the read before: store.walks.) A page read again is not read from PostgreSQL at
        # all while nothing changed (store.page_memo): the 404 still asks whether the object
        # is there.
        for path, statements in [(f"{indicator(1)['id']}/", 2),
                                 (f"{indicator(1)['id']}/versions/", 2), ("", 2),
                                 (f"{indicator(2)['id']}/", 3)]:
            for kept in (False, True):
                if not kept:
                    world.node.directory.recent.forget_all()
                served.clear()
                client.get(objects_url(world, path))
                # One connection: from the pool, or (PostgreSQL) the one the event loop kept
                # from its previous request (store.resident).
                assert "checkout" not in served[1:], path  # taken before any statement
                assert served.count("checkout") <= 1, path
                remembered = memo is not None and path in read_before
                assert served.count("statement") == statements - kept - remembered, path
                read_before.add(path)
    finally:
        event.remove(world.node.engine, "checkout", checkout)
        event.remove(world.node.engine, "before_cursor_execute", statement)
    # Every read was still recorded, each with its own token (and the one before).
    world.node.reads.flush()
    reads = [r for r in world.node.audit.query(AuditQuery(action="objects.read", limit=1000))]
    assert len(reads) == 5 and {r.event.token_id for r in reads} == {
        world.node.directory.principal(world.admin_token).token_id}
