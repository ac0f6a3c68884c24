"""The search page, for a network holding more mentioned addresses than one search reads:
it says so, and where it stopped."""

from __future__ import annotations

from tests.integration.correlation.test_lookup_inside import MOST, address, bounded, indicator

__all__ = ["bounded"]  # a fixture, used by name


def test_the_search_page_says_where_it_stopped(world, bounded, browser):
    shared = world.node.directory.create_collection("Shared", read=[world.own],
                                                    write=[world.own])
    # More than the page's look-up reads on its first path (four times its 100 results).
    world.node.objects.add(shared.id, [indicator(n, address(n), world.own.id)
                                       for n in range(500)], poster_id=world.own.id)
    page = browser(world.admin_token).get("/ui/search", params={"q": "10.1.0.0/16"}).text
    assert f"below {address(MOST)}" in page and 'class="notice warn"' in page
    narrow = browser(world.admin_token).get("/ui/search", params={"q": "10.1.0.0/28"}).text
    assert "narrower network" not in narrow and "10.1.0.15" in narrow
    chinese = browser(world.admin_token).get("/ui/search", params={"q": "10.1.0.0/16"},
                                             headers={"accept-language": "zh-Hans"}).text
    assert '<html lang="zh-Hans">' in chinese and f"低于 {address(MOST)}" in chinese


def test_an_object_page_reads_a_bounded_part_of_each_network_it_names(world, browser):
    """An indicator of a network: its page lists the newest objects mentioning addresses
    inside it, from at most PAGE_INSIDE index rows, and sends the reader to the search for
    the rest; a narrow one is read whole and says nothing of the kind."""
    shared = world.node.directory.create_collection("Shared", read=[world.own],
                                                    write=[world.own])
    broad = dict(indicator(5000, "10.1.0.0/16", world.own.id),
                 pattern="[ipv4-addr:value ISSUBSET '10.1.0.0/16']")
    narrow = dict(indicator(5001, "10.2.0.0/28", world.own.id),
                  pattern="[ipv4-addr:value ISSUBSET '10.2.0.0/28']")
    world.node.objects.add(shared.id, [broad, narrow] + [
        indicator(n, address(n), world.own.id) for n in range(700)], poster_id=world.own.id)
    page = browser(world.admin_token).get(f"/ui/objects/{broad['id']}").text
    assert 'href="/ui/search?q=10.1.0.0/16"' in page
    assert "More objects mention addresses in it" in page
    assert page.count('href="/ui/objects/indicator--') >= 20
    quiet = browser(world.admin_token).get(f"/ui/objects/{narrow['id']}").text
    assert "More objects mention addresses in it" not in quiet
