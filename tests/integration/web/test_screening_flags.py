"""Arrivals are screened: an identity posted over TAXII whose name matches a designation is
flagged to the admins and on its page — only to those who may read the designation."""

from __future__ import annotations

import orjson

from accord.attribution.arrivals import flags, screen_arrivals
from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.cooperation.desk import Actor
from accord.trust.access import Grant

TAXII = "application/taxii+json;version=2.1"
SUPPLIER = "identity--5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def identity(name: str, oid: str = SUPPLIER) -> dict:
    return {"type": "identity", "spec_version": "2.1", "id": oid, "name": name,
            "identity_class": "organization", "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z"}


def post(client, world, objects, token=None):
    headers = {"Content-Type": TAXII}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": objects}), headers=headers)
    assert r.status_code == 202, r.text
    return r.json()


def test_a_posted_supplier_matching_a_designation_is_flagged(client, world, browser):
    designation = AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Sichuan Silence Information Technology Company, Limited", "organization",
        "E.O. 13694", aliases=("四川无声信息技术有限公司",), share_with=(world.own.id,)))
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    post(client, world, [identity("Sichuan Silence Information Technology Co., Ltd."),
                         identity("Acme Widgets Inc.",
                              "identity--6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e")],
         token=world.other_token)
    [flag] = flags(world.node)
    assert (flag.object_id, flag.designation_id) == (SUPPLIER, designation.id)
    assert "Sichuan Silence" in flag.why
    assert screen_arrivals(world.node) == []  # each arrival once
    admin = browser(world.admin_token)
    assert "Screening:" in admin.get(f"/ui/objects/{SUPPLIER}").text
    assert SUPPLIER in admin.get("/ui/admin").text
    # China posted the identity and may read it, but not the designation: no trace of it.
    china = browser(world.other_token)
    page = china.get(f"/ui/objects/{SUPPLIER}").text
    assert "Sichuan Silence Information" in page and "Screening:" not in page
    # Read in Chinese, why it was flagged is said in Chinese, the names as written.
    admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    for zh in (admin.get(f"/ui/objects/{SUPPLIER}").text, admin.get("/ui/admin").text):
        assert "依据其特征词" in zh and "不计法律形式" in zh and "得分 " in zh
        assert "on its distinctive words" not in zh and "Sichuan Silence Information" in zh


def test_a_flag_raised_before_reasons_were_kept_is_shown_in_english(client, world, browser):
    from sqlalchemy import update

    from accord.store.engine import writing
    from accord.store.schema import screening_hits

    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Zhu Hua", "individual", "Indictment, 2018"))
    post(client, world, [{**identity("Zhu Hua"), "identity_class": "individual"}])
    screen_arrivals(world.node)
    [flag] = flags(world.node)
    assert flag.reason is not None and flag.why == flag.reason.english()
    with writing(world.node.engine) as conn:  # as migration 0036 left older flags
        conn.execute(update(screening_hits).values(reason=None))
    admin = browser(world.admin_token)
    admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    assert "'Zhu Hua' matches the name 'Zhu Hua': exactly" in \
        admin.get(f"/ui/objects/{SUPPLIER}").text.replace("&#39;", "'")


def test_nothing_is_flagged_without_designations(client, world):
    post(client, world, [identity("Anybody Ltd.")])
    assert flags(world.node) == []


def test_a_designees_own_identity_is_not_flagged(world):
    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Zhang Shilong", "individual", "Indictment, 2018"))
    assert screen_arrivals(world.node) == []


def test_arrivals_before_the_first_designation_are_screened_when_it_comes(client, world):
    post(client, world, [identity("Zhu Hua")])
    assert screen_arrivals(world.node) == []  # nothing to screen against yet, nothing skipped
    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Zhu Hua", "individual", "Indictment, 2018"))
    [flag] = screen_arrivals(world.node)
    assert flag.object_id == SUPPLIER


def test_the_search_page_names_a_designation_in_any_order_or_script_to_who_may_read_it(
        world, browser):
    # 王东 typed into the search found nothing, where `accord screen 王东` found Wang Dong.
    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Wang Dong", "individual", "E.O. 13694", aliases=("王东", "UglyGorilla"),
        share_with=(world.own.id,)))
    us = browser(world.admin_token)
    for typed in ("王东", "Dong Wang", "uglygorilla"):
        page = us.get("/ui/search", params={"q": typed}).text
        assert 'id="designated"' in page and "<strong>Wang Dong</strong>" in page, typed
        assert "E.O. 13694" in page
    assert 'id="designated"' not in us.get("/ui/search", params={"q": "Wang Wei"}).text
    # China may not read it: not a word of it.
    theirs = browser(world.other_token).get("/ui/search", params={"q": "王东"}).text
    assert 'id="designated"' not in theirs and "E.O. 13694" not in theirs


def test_a_name_posted_with_a_bidirectional_override_is_shown_with_it_written_out(
        client, world, browser):
    # U+202E in a posted name turned the rest of the screening notice around on the page.
    AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Zhu Hua", "individual", "Indictment, 2018"))
    post(client, world, [{**identity("Zhu\u202e Hua"), "identity_class": "individual"}])
    screen_arrivals(world.node)
    admin = browser(world.admin_token)
    # The notice on the object page, the flags' table on the admin page.
    page = admin.get(f"/ui/objects/{SUPPLIER}").text
    notice = page[page.index("<strong>Screening:"):]
    table = admin.get("/ui/admin").text.split('id="screening-h"')[1].split("</table>")[0]
    for shown in (notice[:notice.index("</p>")], table):
        assert "Zhu\\u202e Hua" in shown and "\u202e" not in shown


def test_a_match_of_a_designation_since_lifted_leaves_the_admin_page(client, world, browser):
    record = AttributionRecord(world.node)
    made = record.designate(Actor(world.own), DesignationDraft(
        "Zhu Hua", "individual", "Indictment, 2018"))
    post(client, world, [{**identity("Zhu Hua"), "identity_class": "individual"}])
    screen_arrivals(world.node)
    admin = browser(world.admin_token)
    def flagged() -> str:
        return admin.get("/ui/admin").text.split('id="screening-h"')[1].split("</table>")[0]

    assert SUPPLIER in flagged()
    record.lift(Actor(world.own), made.id, "Revoked by the court.")
    # Listed under "a designation in force", it stayed after the lifting (its object's page
    # dropped it).
    assert SUPPLIER not in flagged()
