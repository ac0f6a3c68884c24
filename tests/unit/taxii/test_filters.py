from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from accord.store.query import ALL, FIRST, LAST, Cursor
from accord.taxii.errors import TaxiiError
from accord.taxii.filters import (
    OBJECT_FILTERS,
    OBJECTS_FILTERS,
    PagingTokens,
    decode_cursor,
    encode_cursor,
    parse_query,
)


def parse(query: str, allowed=OBJECTS_FILTERS, max_page=1000, **kw):
    return parse_query(QueryParams(query), allowed, max_page=max_page, **kw)


def test_defaults_are_latest_version_and_a_full_page():
    q = parse("")
    assert q.versions == frozenset({LAST})
    assert q.limit == 1000
    assert q.ids == () and q.types == () and q.added_after is None and q.after is None


@pytest.mark.parametrize("default", [LAST, FIRST, ALL])
@pytest.mark.parametrize("paging", [True, False])
def test_no_parameters_read_as_the_parameters_that_say_the_defaults(default, paging):
    # The query of no parameters is made once and kept (parse_query's shortcut): it is the
    # query that naming the defaults makes through the general path.
    from accord.store.query import Reader

    kw = dict(paging=paging, default_versions=frozenset({default}), most_bytes=4096,
              bodies=False, most_walked=50, reader=Reader("identity--a", 2))
    kept = parse("", max_page=500, **kw)
    assert kept == parse(f"limit=500&match[version]={default}", max_page=500, **kw)
    assert kept is parse("", max_page=500, **kw)  # immutable, so shared
    assert parse("", max_page=400, **kw).limit == 400  # each setting its own


def test_comma_lists_combine_and_a_field_given_twice_is_refused():
    q = parse("match[type]=indicator,malware,tool&match[id]=a--1")
    assert q.types == ("indicator", "malware", "tool")
    assert q.ids == ("a--1",)
    # §3.4: "each <field> MUST NOT occur more than once in a request".
    with pytest.raises(TaxiiError, match=r"match\[type\] is given 2 times; give it once"):
        parse("match[type]=indicator,malware&match[type]=tool")


def test_version_keywords_and_timestamps():
    q = parse("match[version]=first,last,2016-04-06T20:07:09Z")
    assert FIRST in q.versions and LAST in q.versions
    assert "2016-04-06T20:07:09.000000000Z" in q.versions
    assert parse("match[version]=all").versions == frozenset({ALL})


def test_limit_is_capped_at_the_server_page_size():
    assert parse("limit=5").limit == 5
    assert parse("limit=50000").limit == 1000


@pytest.mark.parametrize("query, fragment", [
    ("limit=0", "limit"),
    ("limit=-3", "limit"),
    ("limit=ten", "limit"),
    ("added_after=yesterday", "added_after"),
    ("added_after=2016-13-01T00:00:00Z", "added_after"),
    ("match[version]=newest", "match[version]"),
    ("match[type]=Not A Type", "match[type]"),
    ("match[spec_version]=two", "match[spec_version]"),
    ("match[type]=indicator,,malware", "match[type]"),
    ("next=%%%garbage", "next"),
    ("match[colour]=red", "match[colour]"),
    # §3.4: once each; `all` alone; a version keyword at most once.
    ("added_after=2030-01-01T00:00:00Z&added_after=2000-01-01T00:00:00Z", "added_after is "
     "given 2 times"),
    ("limit=1&limit=2", "limit is given 2 times"),
    ("next=a&next=b", "next is given 2 times"),
    ("match[version]=all,first", "all already names every version"),
    ("match[version]=2016-04-06T20:07:09Z,all", "give it alone"),
    ("match[version]=last,last", "last is given twice"),
    ("match[version]=first,first", "first is given twice"),
    ("match[version]=first&match[version]=first", "match[version] is given 2 times"),
])
def test_bad_filters_are_400_naming_the_parameter(query, fragment):
    with pytest.raises(TaxiiError) as caught:
        parse(query)
    assert caught.value.status == 400
    assert fragment in caught.value.description


def test_filters_an_endpoint_does_not_take_are_refused():
    with pytest.raises(TaxiiError) as caught:
        parse("match[type]=indicator", allowed=OBJECT_FILTERS)
    assert caught.value.status == 400


def test_added_after_is_compared_at_microsecond_precision():
    assert parse("added_after=2020-01-01T00:00:00Z").added_after == "2020-01-01T00:00:00.000000Z"
    assert parse("added_after=2020-01-01T00:00:00.5Z").added_after == "2020-01-01T00:00:00.500000Z"


@given(st.datetimes(min_value=datetime(1000, 1, 1))
       .map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
def test_paging_token_round_trips(date_added):
    cursor = Cursor(date_added)
    assert decode_cursor(encode_cursor(cursor)) == cursor


def test_a_position_the_client_has_not_seen_is_only_ever_sealed():
    hidden = Cursor("2026-12-04T21:00:00.123456Z", hidden=True)
    with pytest.raises(ValueError):
        encode_cursor(hidden)  # never written out as it is, whatever the path
    tokens = PagingTokens(lambda: bytes(32), "collection-a", "identity--reader")
    sealed = tokens.encode(hidden)
    assert sealed.startswith("~") and tokens.decode(sealed) == hidden
    assert tokens.encode(Cursor(hidden.date_added)) == encode_cursor(Cursor(hidden.date_added))
    for other in (PagingTokens(lambda: bytes(32), "collection-b", "identity--reader"),
                  PagingTokens(lambda: bytes(32), "collection-a", "identity--another"),
                  PagingTokens(lambda: b"\1" * 32, "collection-a", "identity--reader")):
        with pytest.raises(TaxiiError) as refused:
            other.decode(sealed)
        assert refused.value.status == 400


def test_a_forged_paging_position_is_400_not_a_crash():
    import base64

    forged = base64.urlsafe_b64encode(b"2020-01-01T00:00:00Z|99999999999999999999999").decode()
    with pytest.raises(TaxiiError) as caught:
        parse(f"next={forged}")
    assert caught.value.status == 400
