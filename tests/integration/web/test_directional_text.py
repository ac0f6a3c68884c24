"""A name another party posted with directional formatting characters (a right-to-left
override, U+202E) is shown with them written out on every page, not obeyed: obeyed, it turns
the rest of its line around (a title read backwards, a notice that says the opposite)."""

from __future__ import annotations

import orjson

from accord.words import without_directions

TAXII = "application/taxii+json;version=2.1"
SUPPLIER = "identity--5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_a_posted_name_with_an_override_is_shown_written_out(client, world, browser):
    name = "Acme \u202eLtd\u2066 trading"
    posted = client.post(
        f"/taxii2/accord/collections/{world.evidence.id}/objects/",
        content=orjson.dumps({"objects": [{
            "type": "identity", "spec_version": "2.1", "id": SUPPLIER, "name": name,
            "description": "line one\nline two", "identity_class": "organization",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"}]}),
        headers={"Content-Type": TAXII})
    assert posted.status_code == 202 and posted.json()["success_count"] == 1
    us = browser(world.admin_token)
    for page in (us.get(f"/ui/objects/{SUPPLIER}").text,
                 us.get("/ui/search", params={"q": "Acme"}).text):
        assert "Acme \\u202eLtd\\u2066 trading" in page
        assert not any(c in page for c in CONTROLS)
    assert "line one\nline two" in us.get(f"/ui/objects/{SUPPLIER}").text  # the rest as is
    # What is kept is what was posted: only the page writes them out.
    assert client.get(f"/taxii2/accord/collections/{world.evidence.id}/objects/{SUPPLIER}/"
                      ).json()["objects"][0]["name"] == name


def test_only_directional_characters_are_written_out():
    assert without_directions("王东 \u200d\t\nAPT1") == "王东 \u200d\t\nAPT1"
    assert without_directions("a\u202eb\u2069") == "a\\u202eb\\u2069"
    plain = "nothing to change"
    assert without_directions(plain) is plain


def test_what_was_typed_into_a_form_is_given_back_as_typed(world, browser):
    # A form refused comes back holding what was typed: written out, sending it again would
    # store the written-out text. (Arabic text may hold isolates of its own.)
    us = browser(world.admin_token)
    typed = "\u2067مرحبا\u2069 and \u202eback"
    page = us.get("/ui/search", params={"q": typed}).text
    assert f'value="{typed}"' in page
    assert us.get("/ui/requests", params={"q": typed}).status_code == 200
    assert f'value="{typed}"' in us.get("/ui/requests", params={"q": typed}).text


def test_a_refused_form_comes_back_as_typed(world, browser):
    import re

    us = browser(world.admin_token)
    key = re.search(r'name="form_key" value="([^"]+)"', us.get("/ui/requests/new").text).group(1)
    typed = "Who runs \u2067مرحبا\u2069?"
    refused = us.post("/ui/requests/new", {"form_key": key, "summary": typed,
                                           "description": "as \u202etyped", "kind": "information",
                                           "urgency": "routine", "to": "nobody"})
    assert refused.status_code == 400
    assert f'value="{typed}"' in refused.text and "as \u202etyped</textarea>" in refused.text
