from dataclasses import replace

import orjson
from hypothesis import given
from hypothesis import strategies as st

from accord.trust.audit import GENESIS, Event, Record, chain_hash, chain_hash_of, verify


def chain(n: int) -> list[Record]:
    records, previous = [], GENESIS
    for seq in range(1, n + 1):
        event = Event(f"2020-01-01T00:00:0{seq}Z", "objects.read", "identity--cn",
                      object_ids=(f"indicator--{seq}",))
        digest = chain_hash(previous, event)
        records.append(Record(seq, event, previous, digest))
        previous = digest
    return records


def test_an_untouched_trail_verifies_and_reports_its_head():
    records = chain(5)
    verdict = verify(records)
    assert verdict.is_intact and verdict.records == 5 and verdict.head == records[-1].hash
    assert verify([]).head == GENESIS


def test_an_edited_record_is_named():
    records = chain(5)
    records[2] = replace(records[2], event=replace(records[2].event, party_id="identity--ru"))
    verdict = verify(records)
    assert verdict.broken_at == 3 and "edited" in verdict.reason and verdict.records == 2


def test_a_removed_record_is_named():
    records = chain(5)
    del records[1]
    verdict = verify(records)
    assert verdict.broken_at == 3 and "missing" in verdict.reason


def test_a_removed_and_renumbered_record_still_breaks_the_link():
    records = chain(5)
    del records[1]
    records = [replace(r, seq=i + 1) for i, r in enumerate(records)]
    verdict = verify(records)
    assert verdict.broken_at == 2 and "link" in verdict.reason


def test_the_hash_covers_every_field():
    event = Event("2020-01-01T00:00:00Z", "objects.read", "identity--cn", "t", "c", ("a",),
                  {"k": 1})
    base = chain_hash(GENESIS, event)
    for change in ({"at": "2020-01-01T00:00:01Z"}, {"action": "objects.add"},
                   {"party_id": None}, {"token_id": "u"}, {"collection_id": "d"},
                   {"object_ids": ("b",)}, {"detail": {"k": 2}}):
        assert chain_hash(GENESIS, replace(event, **change)) != base, change


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_DETAIL = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12)


@given(ids=st.lists(_TEXT, max_size=5), detail=st.dictionaries(_TEXT, _DETAIL, max_size=4),
       party=st.none() | _TEXT, token=st.none() | _TEXT)
def test_the_content_from_json_made_already_is_the_same_bytes(ids, detail, party, token):
    """An appender that writes one list of ids for many events hashes the same bytes
    (a record hashed so must verify, and verify hashes `content()`)."""
    event = Event("2020-01-01T00:00:00.000Z", "objects.read", party, token, "c-1",
                  tuple(ids), detail)
    made = event.content_from(orjson.dumps(list(ids)),
                              orjson.dumps(detail, option=orjson.OPT_SORT_KEYS))
    assert made == event.content()
    assert chain_hash_of(GENESIS, made) == chain_hash(GENESIS, event)
