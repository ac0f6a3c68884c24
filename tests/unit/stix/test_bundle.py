import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.stix.bundle import MalformedJsonError, NotStixError, objects_in, write_bundle
from accord.stix.bundle_stream import MAX_DEPTH, ValueTooLarge, batches_in


def test_bundle_envelope_list_and_single_object():
    obj = {"type": "indicator", "id": "indicator--1"}
    assert objects_in({"type": "bundle", "id": "bundle--1", "objects": [obj]}) == [obj]
    assert objects_in({"more": False, "objects": [obj]}) == [obj]
    assert objects_in([obj]) == [obj]
    assert objects_in(obj) == [obj]
    assert objects_in({"type": "bundle", "id": "bundle--1"}) == []


@pytest.mark.parametrize("document", [42, "text", None, {"objects": "nope"}, {"no": "type"}])
def test_other_documents_are_refused(document):
    with pytest.raises(NotStixError):
        objects_in(document)


# -- reading a stream of any size ------------------------------------------------------------

# Strings with what a scanner could mistake for structure: brackets, quotes, escapes, non-ASCII.
TEXT = st.text(alphabet=st.sampled_from('ab[]{}",:\\ é中\n\t'), max_size=12)
# (orjson reads integers past 64 bits as floats, in a batch as in a whole file.)
SCALAR = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
          | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
OBJECT = st.fixed_dictionaries({"type": st.just("indicator"), "x": JSON})
FORMS = {
    "bundle": lambda objs: {"type": "bundle", "id": "bundle--1", "objects": objs},
    "bundle, objects first": lambda objs: {"objects": objs, "id": "bundle--1", "type": "bundle"},
    "envelope": lambda objs: {"more": False, "objects": objs, "next": "2"},
    "list": lambda objs: objs,
}


def read(document: bytes, *, first: int = 2, size: int = 3, max_bytes: int = 10_000,
         chunk: int = 4, max_object: int = 1 << 20) -> tuple[list[Any], Exception | None]:
    """Every object read, and the error that stopped the reading; a few bytes at a time by
    default, so that tokens straddle the buffer's end."""
    got: list[Any] = []
    try:
        for batch in batches_in(io.BytesIO(document), first=first, size=size,
                                max_bytes=max_bytes, chunk=chunk, max_object=max_object):
            assert json.loads(batch.raw) == batch.objects
            got += batch.objects
    except (MalformedJsonError, NotStixError) as error:
        return got, error
    return got, None


# Generation is slow on a loaded machine; what is checked does not depend on its speed.
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objs=st.lists(OBJECT, max_size=8), form=st.sampled_from(sorted(FORMS)),
       chunk=st.integers(1, 64), indent=st.sampled_from([None, 1]))
def test_a_streamed_document_gives_the_objects_a_parsed_one_gives(objs, form, chunk, indent):
    document = json.dumps(FORMS[form](objs), indent=indent, ensure_ascii=False).encode()
    assert read(document, chunk=chunk) == (objects_in(json.loads(document)), None)


@given(obj=OBJECT, chunk=st.integers(1, 64))
def test_one_object_alone_is_read_as_itself(obj, chunk):
    assert read(json.dumps(obj).encode(), chunk=chunk) == ([obj], None)


def test_batches_hold_first_then_size_objects_and_stop_at_max_bytes():
    objs = [{"type": "indicator", "n": n} for n in range(9)]
    sizes = [len(b.objects) for b in batches_in(io.BytesIO(json.dumps(objs).encode()),
                                                first=2, size=3, max_bytes=10_000)]
    assert sizes == [2, 3, 3, 1]
    small = [len(b.objects) for b in batches_in(io.BytesIO(json.dumps(objs).encode()),
                                                first=2, size=3, max_bytes=1)]
    assert small == [1] * 9


@pytest.mark.parametrize(("document", "offset", "before"), [
    (b'[{"a":1}, {"a":2}, {"a":tru}, {"a":4}]', 24, 2),
    (b'[{"a":1}, {"a":"\xc3\xa9\xc3\xa9"}, {"b": x}]', 30, 2),  # bytes, not characters
    (b'{"type":"bundle","objects":[{"a":1},{"a":2}', 43, 2),  # cut short
    (b'[{"a":1},{"a":2},]', 16, 2),
    (b'[{"a":1}] x', 10, 1),
    (b'[{"a":1}}', 8, 1),
    (b'', 0, 0),
])
def test_malformed_json_is_reported_at_its_byte_after_the_objects_before_it(
    document, offset, before
):
    got, error = read(document, first=10, size=10)
    assert isinstance(error, MalformedJsonError) and error.offset == offset, error
    assert len(got) == before
    assert str(error).startswith(f"not valid JSON at byte {offset}: ")


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3(", b"\xed\xa0\x80"])  # not UTF-8; a surrogate
@pytest.mark.parametrize("first", [2, 10])
def test_bytes_that_are_not_utf8_are_found_at_their_byte_after_every_object_before(bad, first):
    objs = [json.dumps({"type": "indicator", "n": n}).encode() for n in range(6)]
    objs[4] = b'{"type":"indicator","name":"' + bad + b'"}'
    document = b"[" + b",".join(objs) + b"]"
    got, error = read(document, first=first, size=10, chunk=1 << 16)
    assert isinstance(error, MalformedJsonError), error
    assert error.offset == document.index(bad)  # not where the batch began
    assert "not UTF-8" in error.reason and "surrogates" not in error.reason
    assert [o["n"] for o in got] == [0, 1, 2, 3]  # every object before it, none after


@pytest.mark.parametrize("document", [
    b'{"ty\xffpe":"bundle","objects":[]}',  # a property name
    b'{"type":"bun\xffdle","objects":[]}',  # the document's type
    b'{"type":"bundle","id":"x","spec_\xff":1,"objects":[]}',
    b'"\xff"',  # a lone value
])
def test_bytes_that_are_not_utf8_around_the_objects_are_found_at_their_byte(document):
    got, error = read(document, first=2, size=10)
    assert isinstance(error, MalformedJsonError), error
    assert error.offset == document.index(b"\xff")
    assert "not UTF-8" in error.reason and got == []


@pytest.mark.parametrize("first", [1, 2, 10])
@pytest.mark.parametrize("chunk", [4, 64, 1 << 16])
def test_an_object_too_large_stops_the_file_before_it_is_all_read(first, chunk):
    small = [json.dumps({"type": "indicator", "n": n}).encode() for n in range(3)]
    huge = json.dumps({"type": "note", "content": "x" * 200_000}).encode()
    document = b'{"type": "bundle", "objects": [' + b", ".join([*small, huge, small[0]]) + b"]}"
    stream = io.BytesIO(document)
    got: list[Any] = []
    with pytest.raises(ValueTooLarge) as raised:
        for batch in batches_in(stream, first=first, size=10, max_bytes=200, chunk=chunk,
                                max_object=1000):
            got += batch.objects
    assert raised.value.offset == document.index(huge)  # where it begins
    assert "larger than" in str(raised.value)
    assert [o["n"] for o in got] == [0, 1, 2]  # every object before it
    assert stream.tell() < len(document) - 50_000  # not read to its end


@pytest.mark.parametrize("document", [
    b'{"type": "bundle", "id": "' + b"x" * 5000 + b'", "objects": []}',  # around the objects
    b'{"type": "note", "content": "' + b"x" * 5000 + b'"}',  # one object alone
])
def test_a_value_too_large_around_or_alone_is_refused_where_it_begins(document):
    got, error = read(document, max_bytes=200, max_object=1000)
    assert isinstance(error, ValueTooLarge), error
    assert got == [] and error.offset <= document.index(b"xxx")


def test_an_object_at_the_limit_passes_whatever_comes_before_it():
    at_limit = b'{"type":"x","c":"' + b"a" * 81 + b'"}'  # 100 bytes
    assert len(at_limit) == 100
    for document in (b"[" + at_limit + b"]", b'[{"type":"x"},' + at_limit + b"]",
                     b'{"objects":[{"type":"x"},\n    ' + at_limit + b"]}", b"[ " + at_limit + b"]",
                     at_limit):
        for chunk in (1, 7, 4096):
            got, error = read(document, chunk=chunk, max_bytes=50, max_object=100)
            assert error is None and got[-1]["c"] == "a" * 81, (document, chunk, error)


@pytest.mark.parametrize("document", [
    b'["' + b"x" * 100_000 + b'"]',  # not an object, in the list
    b'{"objects": ["' + b"x" * 100_000 + b'"]}',
    b"[" + b"1" * 100_000 + b"]",
])
def test_a_value_too_large_between_objects_is_refused_before_it_is_held(document):
    stream = io.BytesIO(document)
    with pytest.raises(ValueTooLarge):
        for _ in batches_in(stream, first=2, size=3, max_bytes=200, chunk=16, max_object=100):
            pass
    assert stream.tell() < 2000


def test_a_bundles_own_properties_are_not_held_while_its_objects_are_read():
    many = b", ".join(b'"x_%d": "%s"' % (n, b"v" * 60) for n in range(2000))
    document = (b'{"type": "bundle", "id": "b", ' + many + b', "objects": [{"type": "x"}], '
                + many + b"}")
    got, error = read(document, max_bytes=200, max_object=100)
    assert error is None and got == [{"type": "x"}]
    # One object alone with as many properties is one object too large, named where it opens.
    got, error = read(b'{"type": "x", ' + many + b"}", max_bytes=200, max_object=100)
    assert isinstance(error, ValueTooLarge) and error.offset == 0 and got == []


@st.composite
def documents_with_limits(draw):
    """A list, a bundle, an envelope or one object, with its objects' byte spans, and a
    limit that some of them may pass."""
    sizes = draw(st.lists(st.integers(0, 60), min_size=1, max_size=12))
    bodies = [json.dumps({"type": "x", "n": n, "c": "a" * size}).encode()
              for n, size in enumerate(sizes)]
    form = draw(st.sampled_from(["list", "bundle", "envelope", "lone"]))
    if form == "lone":
        bodies = bodies[:1]
    separator = draw(st.sampled_from([b",", b", ", b",\n    "]))
    head = {"list": b"[", "bundle": b'{"type": "bundle", "id": "b", "objects": [',
            "envelope": b'{"more": false, "objects": [', "lone": b""}[form]
    document, starts = bytearray(head), []
    for k, body in enumerate(bodies):
        document += separator if k else b""
        starts.append(len(document))
        document += body
    document += {"list": b"]", "lone": b""}.get(form, b"]}")
    return bytes(document), bodies, starts, draw(st.integers(20, 100))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents_with_limits(), st.integers(1, 3), st.integers(1, 400),
       st.sampled_from([1, 7, 64, 4096]))
def test_every_object_up_to_the_limit_is_read_and_the_first_past_it_stops_the_file(
        case, first, max_bytes, chunk):
    document, bodies, starts, limit = case
    got, error = read(document, first=first, size=3, max_bytes=max_bytes, chunk=chunk,
                      max_object=limit)
    too_large = next((k for k, body in enumerate(bodies) if len(body) > limit), None)
    assert [o["n"] for o in got] == list(range(len(bodies) if too_large is None else too_large))
    if too_large is None:
        assert error is None
    else:
        assert isinstance(error, ValueTooLarge) and error.offset == starts[too_large]


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_one_object_alone_one_byte_past_the_limit_is_refused_however_it_is_read(chunk):
    """Its closing brace counts: read a byte at a time, it once ended the object unmeasured."""
    document = json.dumps({"type": "x", "n": 0, "c": "a" * 24}).encode()
    got, error = read(document, first=1, max_bytes=1, chunk=chunk,
                      max_object=len(document) - 1)
    assert got == [] and isinstance(error, ValueTooLarge) and error.offset == 0
    assert read(document, chunk=chunk, max_object=len(document))[0] == [json.loads(document)]


@pytest.mark.parametrize("document", [
    b'{"type": "bundle", "id": "b", "type": "indicator", "name": "two types"}',
    b'{"type": "indicator", "type": "bundle", "objects": []}',
])
def test_a_document_whose_type_is_given_twice_is_refused_at_the_second(document):
    got, error = read(document)
    assert isinstance(error, MalformedJsonError), error
    assert error.offset == document.rindex(b'"type"') and "given twice" in error.reason
    assert got == []


def test_each_batch_says_where_its_first_object_is_in_the_document():
    objs = [{"type": "indicator", "n": n} for n in range(9)]
    firsts = [(b.first, b.objects[0]["n"]) for b in batches_in(
        io.BytesIO(json.dumps({"type": "bundle", "objects": objs}, indent=1).encode()),
        first=2, size=3, max_bytes=10_000)]
    assert firsts == [(0, 0), (2, 2), (5, 5), (8, 8)]


@pytest.mark.parametrize("before", [0, 1, 20])
def test_an_object_too_deep_for_one_is_read_for_intake_to_refuse_wherever_it_is(before):
    # An object past the objects' limit (64) is refused alone by intake, as over TAXII; the
    # file is read on, whether its cut was found by counting brackets or guessed.
    deep = {"type": "indicator", "x": "@"}
    objs = [{"type": "indicator", "n": n} for n in range(before)] + [deep, {"type": "x"}]
    document = json.dumps({"type": "bundle", "objects": objs}, indent=1).replace(
        '"@"', "[" * 900 + "]" * 900).encode()
    got, error = read(document)
    assert error is None and len(got) == before + 2 and got[-1] == {"type": "x"}


@pytest.mark.parametrize("before", [0, 20])
def test_a_document_nested_deeper_than_json_is_read_is_an_error_not_a_crash(before):
    objs = [{"type": "indicator", "n": n} for n in range(before)] + [
        {"type": "indicator", "x": "@"}]
    document = json.dumps(objs, indent=1).replace('"@"', "[" * 10_000 + "]" * 10_000).encode()
    got, error = read(document)
    assert len(got) == before and isinstance(error, MalformedJsonError)
    assert f"nested more than {MAX_DEPTH} levels deep" in str(error) and MAX_DEPTH == 1024


GAP = b" \n" * 600_000  # more than the scanner may hold, were it kept


@pytest.mark.parametrize("document", [
    b'[{"type": "a"},' + GAP + b'{"type": "b"}]',
    b'[{"type": "a"}' + GAP + b', {"type": "b"}]',
    b'[' + GAP + b'{"type": "a"}, {"type": "b"}' + GAP + b']' + GAP,
    b'{"type": "bundle",' + GAP + b'"objects": [' + GAP + b'{"type": "a"}, {"type": "b"}]'
    + GAP + b'}' + GAP,
    b'{"type": "a", "b": 1}' + GAP,
])
def test_any_amount_of_white_space_between_values_is_read_past_not_held(document):
    got, error = read(document, max_bytes=200, max_object=100, chunk=64)
    assert error is None, error
    assert [o["type"] for o in got] == (["a"] if b'"b": 1' in document else ["a", "b"])


@pytest.mark.parametrize("document", [b'[{"type": "a"},' + GAP + b']',
                                      b'[{"type": "a"}' + GAP + b',' + GAP + b']',
                                      b'[{"type": "a"},' + GAP + b', {"type": "b"}]'])
def test_a_comma_with_no_value_after_it_is_refused_where_it_is(document):
    got, error = read(document, max_bytes=200, max_object=100, chunk=64)
    assert got == [{"type": "a"}] and isinstance(error, MalformedJsonError)
    assert error.offset == document.rindex(b","), error


@pytest.mark.parametrize("first", [1, 2, 3])
def test_a_comma_after_the_last_object_is_refused_wherever_a_batch_ends(first):
    document = b'[{"type": "a"}, {"type": "b"},\n]'
    got, error = read(document, first=first)
    assert isinstance(error, MalformedJsonError) and error.offset == document.rindex(b",")
    assert got == [{"type": "a"}, {"type": "b"}][:len(got)]


def test_a_bundle_with_two_lists_of_objects_is_refused_at_the_second():
    document = b'{"type": "bundle", "objects": [{"type": "a"}], "objects": [{"type": "b"}]}'
    got, error = read(document)
    assert got == [{"type": "a"}] and isinstance(error, MalformedJsonError)
    assert error.offset == document.rindex(b'"objects"') and "given twice" in error.reason


def test_objects_read_as_a_bundles_are_not_taken_for_another_objects_property():
    document = b'{"objects": [{"type": "a"}], "type": "x-thing"}'
    got, error = read(document)
    assert isinstance(error, MalformedJsonError) and '"x-thing"' in error.reason
    assert error.offset == document.rindex(b'"x-thing"')
    assert read(b'{"objects": [{"type": "a"}], "type": "bundle"}') == ([{"type": "a"}], None)


@pytest.mark.parametrize("document", [b"42", b'"text"', b"null", b'{"objects": "nope"}',
                                      b'{"no": "type"}'])
def test_other_streamed_documents_are_refused(document):
    got, error = read(document)
    assert got == [] and isinstance(error, NotStixError)


@pytest.mark.parametrize("indent", [None, 2])
def test_cuts_guessed_inside_a_string_or_a_nested_object_are_not_taken(indent):
    """After the first batch, cuts are guessed where the separator of objects recurs; here it
    recurs inside strings and nested lists of objects, where cutting would be wrong."""
    separator = "},{" if indent is None else "},\n  {"
    objs = [{"type": "indicator", "n": n, "inner": [{"type": "a"}, {"type": "b"}],
             "text": f'{separator}"type": "x"'} for n in range(300)]
    document = json.dumps(objs, indent=indent, separators=(",", ":") if indent is None
                          else None).encode()
    got, error = read(document, first=10, size=20, chunk=1 << 16)
    assert error is None and got == objs


# -- writing ---------------------------------------------------------------------------------


def test_a_written_bundle_of_nothing_has_no_objects_list():
    out = io.BytesIO()
    write_bundle(out, [])
    bundle = json.loads(out.getvalue())
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    assert "objects" not in bundle  # STIX 2.1 §3.3: no empty lists


@given(st.lists(st.dictionaries(TEXT, TEXT, max_size=3), max_size=5))
def test_a_written_bundle_is_json_holding_the_objects_in_order(objects):
    out = io.BytesIO()
    write_bundle(out, (json.dumps(o).encode() for o in objects))
    assert json.loads(out.getvalue()).get("objects", []) == objects
    assert out.getvalue().endswith(b"}\n")


def test_each_object_is_written_before_the_next_is_asked_for():
    out = io.BytesIO()

    def bodies():
        for n in range(3):
            yield json.dumps({"n": n}).encode()
            assert out.getvalue().endswith(json.dumps({"n": n}).encode())

    write_bundle(out, bodies())
    assert [o["n"] for o in json.loads(out.getvalue())["objects"]] == [0, 1, 2]
