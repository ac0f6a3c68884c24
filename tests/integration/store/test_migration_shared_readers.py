"""Migration 0038: a party a request is only shared with keeps no action of its own on it (the
summaries had asked it to rate an answer, as if it were the requester)."""

from sqlalchemy import select
from tests.integration.store.migrating import upgrade

from accord.store.engine import open_engine, writing
from accord.store.summary_tables import request_readers


def test_a_shared_readers_action_is_cleared_and_the_sides_keep_theirs(db_url):
    engine = open_engine(db_url)
    try:
        upgrade(engine, "0037")
        with writing(engine) as conn:
            for party, role, action in (("identity--us", "requester", "rate"),
                                        ("identity--jp", "shared", "rate"),
                                        ("identity--cn", "addressee", "")):
                conn.execute(request_readers.insert().values(
                    party_id=party, request_id="x-accord-request--1", role=role,
                    settled_state="answered", sort_time="2026-01-01T00:00:00Z",
                    action=action, is_escalated=False))
        upgrade(engine, "0038")
        with engine.connect() as conn:
            actions = dict(conn.execute(select(request_readers.c.party_id,
                                               request_readers.c.action)).all())
        assert actions == {"identity--us": "rate", "identity--jp": "", "identity--cn": ""}
    finally:
        engine.dispose()
