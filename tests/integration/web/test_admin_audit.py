"""The admin page's audit log a page at a time: a link to older records, and a notice where a
search stopped at its bound (store.audit_search)."""

from __future__ import annotations

from html import unescape

from tests.integration.api.test_audit_pages import escalations_under_reads

from accord.store import audit_search
from accord.trust.audit import Event


def test_the_admin_page_links_older_records_and_says_where_it_stopped(
        world, browser, monkeypatch):
    trail = escalations_under_reads(world)
    client = browser(world.admin_token)
    page = client.get("/ui/admin", params={"action": "request"}).text
    assert "Older records" not in page  # fifty escalations: one page holds them all
    older = client.get("/ui/admin", params={"before": str(trail[9])}).text
    assert f"Records older than #{trail[9]}, 100 at most" in older
    # The other party's 300 sends and the node's 300 reads: none meets both criteria.
    world.node.audit.append([Event("2026-12-04T03:00:00.000Z", "request.send", world.other.id,
                                   None, None, ())] * 300)
    monkeypatch.setattr(audit_search, "WALKED", 20)
    stopped = client.get("/ui/admin", params={"action": "objects",
                                              "party": world.other.id}).text
    assert "This search looked at 20 records" in stopped and "Older records" in stopped
    for bad in ("x1", "9" * 5000, "0"):
        assert "is not a record number" in client.get("/ui/admin", params={"before": bad}).text


def test_a_records_detail_shows_its_own_characters_cut_by_characters(world, browser):
    world.node.audit.append([Event("2026-12-04T03:00:00.000Z", "person.add", world.own.id,
                                   None, None, (), {"name": "张敏", "note": "长" * 400})])
    page = unescape(browser(world.admin_token).get("/ui/admin",
                                                   params={"action": "person"}).text)
    assert '{"name":"张敏","note":"长长' in page and "\\u5f20" not in page
    shown = page.split('"note":"', 1)[1].split("</code>", 1)[0]
    assert 200 < shown.count("长") < 240  # cut near 240 characters, not 40
