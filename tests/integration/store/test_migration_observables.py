"""Migration 0015 keys the correlation index by who may read: every newest version's values
under its collection and audience, older versions dropped, sightings' objects added."""

from sqlalchemy import select
from tests.integration.store.migrating import upgrade as _upgrade

from accord.store.engine import open_engine, writing
from accord.store.schema import observables

RED = 4


def test_the_index_is_rebuilt_by_collection_and_audience(db_url):
    engine = open_engine(db_url)
    try:
        _upgrade(engine, "0014")
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        with writing(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO collections (id, title, description, created, default_tlp) VALUES "
                "('open', 't', '', '2020', 2), ('closed', 'u', '', '2020', 4)")
            # seq, collection, id, latest, tlp, creator, poster
            for row in [(1, "open", "indicator--a", True, None, None, "identity--us"),
                        (2, "open", "indicator--b", True, RED, "identity--us", "identity--cn"),
                        (3, "open", "indicator--c", False, None, None, None),
                        (4, "open", "sighting--d", True, 1, None, None),
                        (5, "closed", "indicator--e", True, None, None, "identity--us")]:
                conn.exec_driver_sql(
                    "INSERT INTO objects (seq, collection_id, id, type, spec_version, version, "
                    "version_key, date_added, is_latest, body, tlp, creator_id, poster_id) "
                    f"VALUES ({', '.join([mark] * 13)})",
                    (row[0], row[1], row[2], row[2].split("--")[0], "2.1", "v", "v",
                     f"2020-0{row[0]}", row[3], b"{}", row[4], row[5], row[6]))
            conn.exec_driver_sql(f"INSERT INTO observables (kind, value, seq) VALUES "
                                 f"({mark}, {mark}, {mark})",
                                 [("domain", "a.example", 1), ("domain", "b.example", 2),
                                  ("domain", "c.example", 3), ("domain", "e.example", 5)])
            conn.exec_driver_sql(f"INSERT INTO recipients (seq, party_id) VALUES ({mark}, {mark})",
                                 [(2, "identity--ru")])
            conn.exec_driver_sql(f"INSERT INTO sightings (seq, sighting_of_ref) VALUES "
                                 f"({mark}, {mark})", [(4, "indicator--a")])
        _upgrade(engine, "head")
        with engine.connect() as conn:
            rows = {tuple(row) for row in conn.execute(select(observables))}
        assert rows == {
            ("open", "*", "domain", "a.example", 1),
            ("open", "identity--us", "domain", "b.example", 2),
            ("open", "identity--cn", "domain", "b.example", 2),
            ("open", "identity--ru", "domain", "b.example", 2),
            ("open", "*", "sighting-of", "indicator--a", 4),
            ("closed", "identity--us", "domain", "e.example", 5),  # unmarked, RED by default
        }
    finally:
        engine.dispose()
