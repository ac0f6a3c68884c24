import pytest

from accord.stix.bundle import NotStixError, objects_in


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
