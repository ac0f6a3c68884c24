"""Migration 0014 gives peers a TLS pin: those added before keep none, so that an https:// one
is re-pinned deliberately before it is synced again (an http:// one stays insecure)."""

from tests.integration.store.migrating import upgrade

from accord.store.engine import open_engine, writing
from accord.store.peers import PeerStore
from accord.store.schema import parties, peers


def test_peers_added_before_pinning_have_no_pin_and_keep_everything_else(db_url):
    engine = open_engine(db_url)
    try:
        upgrade(engine, "0013")
        with writing(engine) as conn:  # only the columns of 0013
            conn.execute(parties.insert().values(id="identity--cn", name="China", is_self=False,
                                                 created="2020-01-01T00:00:00Z", identity=b"{}"))
            for name, url in (("old-https", "https://cn.example/"),
                              ("old-http", "http://cn.example/")):
                conn.execute(peers.insert().values(
                    name=name, url=url, token="t", party_id="identity--cn", public_key="k",
                    added="2020-01-01T00:00:00Z", cursors=b"{}", pulled=7, failures=0,
                    behind=0))
        upgrade(engine, "head")
        found = {p.name: p for p in PeerStore(engine).all()}
        assert found.keys() == {"old-https", "old-http"}
        assert all(p.tls is None and p.pulled == 7 for p in found.values())
    finally:
        engine.dispose()
