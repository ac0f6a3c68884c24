"""Administration through the UI: admins of the node's own party only, every change audited."""

from __future__ import annotations

import html
import re

from accord.store.audit_log import AuditQuery
from accord.store.directory import DirectoryError


def test_only_an_admin_of_the_nodes_own_party_administers(world, browser):
    cn_admin = browser(world.node.directory.create_token(world.other, role="admin"))
    refused = cn_admin.get("/ui/admin")
    assert refused.status_code == 403 and "needs an admin of United States" in refused.text
    assert cn_admin.post("/ui/admin/party", {"name": "Sneaky"}).status_code == 403
    assert world.node.directory.find_party("Sneaky") is None
    assert "/ui/admin" not in cn_admin.get("/ui/").text  # not even offered


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(world, browser):
    admin = browser(world.admin_token)
    admin.get("/ui/admin")
    made = admin.post("/ui/admin/token", {"party": world.other.id, "role": "liaison",
                                          "holder": "Officer Wang", "expires": "30d"})
    assert made.status_code == 201
    token = re.search(r'id="new-token">(accord_[^<]+)<', made.text).group(1)
    assert token not in admin.get("/ui/admin").text  # shown once
    officer = browser(token)
    assert "Officer Wang" in officer.get("/ui/").text
    token_id = next(t.id for t in world.node.directory.tokens() if t.name == "Officer Wang")
    admin.get("/ui/admin")
    revoked = admin.post("/ui/admin/revoke", {"token_id": token_id})
    assert revoked.status_code == 303
    assert officer.get("/ui/").url.path == "/ui/sign-in"
    records = world.node.audit.query(AuditQuery(action="token.create", limit=5))
    assert records[0].event.party_id == world.own.id and records[0].event.detail["via"] == "ui"
    forever = admin.post("/ui/admin/token", {"party": world.other.id, "role": "reader",
                                             "expires": "99999999d"})
    assert forever.status_code == 400 and "beyond the calendar" in forever.text
    admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    slip = admin.post("/ui/admin/token", {"party": world.other.id, "role": "reader",
                                          "expires": "yesterday"})
    assert slip.status_code == 400
    assert "到期时间：'yesterday' 不是时长" in html.unescape(slip.text)
    for expires, said in (("0d", "到期时间：'0d'：令牌的有效期必须更长"),
                          ("99999999d", "到期时间：'99999999d' 超出了日历的最后一天")):
        refused = html.unescape(admin.post("/ui/admin/token", {
            "party": world.other.id, "role": "reader", "expires": expires}).text)
        assert said in refused and "calendar" not in refused and "live longer" not in refused
    admin.post("/ui/language", {"lang": "en", "next": "/ui/"})
    bad = admin.post("/ui/admin/token", {"party": world.other.id, "role": "overlord"})
    assert bad.status_code == 400 and "unknown role 'overlord'" in html.unescape(bad.text)


def test_guidelines_and_permissions_are_set_with_clear_errors(world, browser):
    admin = browser(world.admin_token)
    admin.get("/ui/admin")
    wrong = admin.post("/ui/admin/guidelines", {"toml": "[urgency.urgent]\nacknowledge = 'soon'"})
    assert wrong.status_code == 400 and "soon" in wrong.text
    assert "[urgency.urgent]" in wrong.text  # what was typed is still there to fix
    right = admin.post("/ui/admin/guidelines",
                       {"toml": "[urgency.urgent]\nacknowledge = \"PT2H\"\n"})
    assert right.status_code == 303
    assert "Versions: 1" in admin.get("/ui/admin?done=guidelines").text
    granted = admin.post("/ui/admin/grant", {"collection": world.evidence.id,
                                             "party": world.other.id, "read": "yes"})
    assert granted.status_code == 303
    assert world.node.directory.collection_for(world.other.id, world.evidence.id) is not None
    added = admin.post("/ui/admin/party", {"name": ""})
    assert added.status_code == 400


def test_the_audit_log_is_there_to_filter(world, browser):
    admin = browser(world.admin_token)
    admin.get("/ui/")
    world.node.reads.flush()
    page = admin.get("/ui/admin", params={"action": "ui.sign-in"})
    assert page.status_code == 200 and "ui.sign-in" in page.text
    assert "request.list" not in page.text.split('id="audit"')[1]


def test_an_admin_creates_a_collection_and_shares_it(world, browser):
    admin = browser(world.admin_token)
    admin.get("/ui/admin")
    made = admin.post("/ui/admin/collection", {"title": "Shared with CNCERT",
                                               "alias": "cn-shared", "default_tlp": "green"})
    assert made.status_code == 303
    collection = world.node.directory.collection("cn-shared")
    assert collection.default_tlp.label == "TLP:GREEN"
    assert admin.post("/ui/admin/grant", {"collection": collection.id, "party": world.other.id,
                                          "read": "yes", "write": "yes"}).status_code == 303
    page = admin.get("/ui/admin").text
    assert "China (CNCERT/CC): read+write" in page
    clash = admin.post("/ui/admin/collection", {"title": "Again", "alias": "cn-shared"})
    assert clash.status_code == 400 and "already exists" in clash.text


def test_what_a_peer_shared_cannot_be_granted_on(world, browser):
    import orjson

    from accord.federation.mirrors import MIRRORS, why_not_grant
    from accord.trust.access import Grant

    d = world.node.directory
    pulled = d.create_collection("From china", read=[world.own], write=[world.own])
    d.set_setting(MIRRORS, orjson.dumps([pulled.id]).decode())
    assert why_not_grant(world.node, pulled, world.other, Grant(True, False)) is not None
    assert why_not_grant(world.node, pulled, world.own, Grant(True, True)) is None
    assert why_not_grant(world.node, pulled, world.other, Grant(False, False)) is None
    admin = browser(world.admin_token)
    admin.get("/ui/admin")
    refused = admin.post("/ui/admin/grant", {"collection": pulled.id, "party": world.other.id,
                                             "read": "yes"})
    assert refused.status_code == 400 and "travels no further" in refused.text
    assert d.collection_for(world.other.id, pulled.id) is None
    assert admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/admin"}).status_code == 303
    refused = admin.post("/ui/admin/grant", {"collection": pulled.id, "party": world.other.id,
                                             "read": "yes"})
    assert refused.status_code == 400 and "TLP：不得再传播" in refused.text


def test_the_parties_table_shows_what_each_holds_and_its_quota(world, browser):
    from accord.store.quotas import Quotas

    world.node.objects.add(world.evidence.id, [{
        "type": "note", "spec_version": "2.1", "id": "note--00000000-0000-4000-8000-0000000000a1",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "content": "x" * 3000, "object_refs": ["note--00000000-0000-4000-8000-0000000000a2"]}],
        poster_id=world.other.id)
    Quotas(world.node.engine).set_quota(world.other.id, 20 * 2**30)
    page = browser(world.admin_token).get("/ui/admin").text
    row = page.split(world.other.id, 1)[1].split("</tr>", 1)[0]
    assert ">3.2 KiB<" in row and ">20.0 GiB<" in row
    ours = page.split(world.own.id, 1)[1].split("</tr>", 1)[0]
    assert ">0 B<" in ours and ">none<" in ours


def test_the_directorys_refusals_are_said_in_the_admins_language(world, browser):
    admin = browser(world.admin_token)
    admin.get("/ui/admin")
    assert admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/admin"}).status_code == 303
    assert admin.post("/ui/admin/collection", {"title": "Shared", "alias": "cn-shared"}
                      ).status_code == 303
    clash = admin.post("/ui/admin/collection", {"title": "Again", "alias": "cn-shared"})
    assert clash.status_code == 400
    assert "别名为 'cn-shared' 的集合已存在" in html.unescape(clash.text)
    assert "already exists" not in clash.text
    bad = admin.post("/ui/admin/collection", {"title": "Bad", "alias": "Not An Alias!"})
    assert bad.status_code == 400
    assert "别名 'Not An Alias!'：只能使用小写字母" in html.unescape(bad.text)
    # What the admin typed is said as typed (a flag's name in it is not a field's).
    flagged = admin.post("/ui/admin/collection", {"title": "Bad", "alias": "X--to"})
    assert "别名 'X--to'：" in html.unescape(flagged.text)
    wrong = admin.post("/ui/admin/guidelines", {"toml": "[urgency.urgent]\nacknowledge = 'soon'"
                                                        "\n[languages]\nrequired = ['en', 'EN']"})
    assert wrong.status_code == 400
    said = html.unescape(wrong.text)
    assert ('urgency.urgent.acknowledge："soon" 不是时长（请写 ISO 8601 格式，如 P3D 或 PT24H，'
            '或 90s、12h、3d）；languages.required："EN" 列出了两次') in said
    twice = admin.post("/ui/admin/party", {"name": world.other.name})
    assert twice.status_code == 400
    assert f"名为 '{world.other.name}' 的参与方已存在" in html.unescape(twice.text)
    # The command line and the REST API keep the English.

    try:
        world.node.directory.add_party(world.other.name)
    except DirectoryError as refused:
        assert str(refused) == f"a party named {world.other.name!r} already exists"
    else:
        raise AssertionError("a second party of the same name was added")
