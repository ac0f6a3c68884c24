"""A pull brings every version the peer shares, not only the newest: what a node holds from a
peer does not depend on when its rounds ran (or how long one was down)."""

from __future__ import annotations

from tests.integration.federation.conftest import Federation, indicator

from accord.federation.sync import sync_peer
from accord.store.query import ALL, ObjectQuery


def _versions(f: Federation) -> set[tuple[str, str]]:
    page = f.china.objects.page(f.mirror().id, ObjectQuery(versions=frozenset({ALL}),
                                                           limit=100_000))
    return {(item.id, item.version) for item in page.items}


def test_versions_superseded_before_a_round_are_pulled_too(federation):
    f: Federation = federation
    f.share(indicator(1), indicator(1, modified="2021-01-01T00:00:00.000Z"), indicator(2))
    sync_peer(f.china, f.peer, f.transport, page_size=1)  # paging carries the filter along
    assert _versions(f) == {(indicator(1)["id"], "2020-01-01T00:00:00.000Z"),
                            (indicator(1)["id"], "2021-01-01T00:00:00.000Z"),
                            (indicator(2)["id"], "2020-01-01T00:00:00.000Z")}


def test_a_version_older_than_the_one_held_arrives_later_and_is_kept_not_made_latest(
        federation):
    f: Federation = federation
    f.share(indicator(1, modified="2021-01-01T00:00:00.000Z"))
    sync_peer(f.china, f.peer, f.transport)
    f.share(indicator(1))  # an older version, added to the peer's collection after
    sync_peer(f.china, f.peer, f.transport)
    assert _versions(f) == {(indicator(1)["id"], "2020-01-01T00:00:00.000Z"),
                            (indicator(1)["id"], "2021-01-01T00:00:00.000Z")}
    newest = f.china.objects.page(f.mirror().id, ObjectQuery(limit=10)).items
    assert [(i.id, i.version) for i in newest] == [(indicator(1)["id"],
                                                    "2021-01-01T00:00:00.000Z")]
