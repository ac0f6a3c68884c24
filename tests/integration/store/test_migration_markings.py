"""Migration 0002 reads the TLP level and creator of versions stored before it."""

import orjson
from sqlalchemy import select
from tests.integration.store.migrating import upgrade as _upgrade

from accord.store.engine import open_engine, writing
from accord.store.schema import objects


def test_versions_stored_before_markings_get_their_level_and_creator(db_url):
    engine = open_engine(db_url)
    try:
        _upgrade(engine, "0001")
        red = {"id": "indicator--1", "created_by_ref": "identity--us", "object_marking_refs": [
            "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
        plain = {"id": "indicator--2"}
        with writing(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO collections (id, title, description, created) "
                "VALUES ('c', 't', '', '2020-01-01T00:00:00Z')")
            for n, obj in enumerate((red, plain)):
                conn.execute(objects.insert().values(
                    collection_id="c", id=obj["id"], type="indicator", spec_version="2.1",
                    version="2020", version_key=str(n), date_added=f"2020-01-0{n + 1}",
                    is_latest=True, body=orjson.dumps(obj)))
        _upgrade(engine, "head")
        with engine.connect() as conn:
            rows = dict(conn.execute(select(objects.c.id, objects.c.tlp)).all())
            creators = dict(conn.execute(select(objects.c.id, objects.c.creator_id)).all())
        assert rows == {"indicator--1": 4, "indicator--2": None}
        assert creators == {"indicator--1": "identity--us", "indicator--2": None}
    finally:
        engine.dispose()
