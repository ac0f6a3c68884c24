"""Accord's marking extension is checked on intake: a malformed one never reads as "nobody"."""

from __future__ import annotations

from typing import Any

import pytest

from accord.stix.accord_marking import ACCORD_MARKING_EXTENSION
from accord.stix.validation import validate
from accord.trust.markings import creator_permits_forwarding, recipients_of

US = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
CN = "identity--28bb3599-77cd-4a82-a950-b5bc3caf07c4"


def marked(**extension: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created_by_ref": US,
            "created": "2016-04-29T14:09:00.000Z", "modified": "2016-04-29T14:09:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
            "valid_from": "2016-04-29T14:09:00Z",
            "extensions": {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                      **extension}}}


def rules(obj: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(v.rule, v.property) for v in validate(obj)}


def test_a_well_formed_marking_extension_is_valid_and_read():
    obj = marked(recipients=[CN], permit_forwarding=True)
    assert validate(obj) == []
    assert recipients_of(obj) == {CN}
    assert creator_permits_forwarding(obj, frozenset({US}))


@pytest.mark.parametrize("recipients, where", [
    ("identity--x", "recipients"),
    ([], "recipients"),
    (["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"], "recipients[0]"),
    ([CN, 7], "recipients[1]"),
])
def test_recipients_that_are_not_identity_ids_are_refused_with_their_place(recipients, where):
    found = rules(marked(recipients=recipients))
    assert any(path == f"extensions.{ACCORD_MARKING_EXTENSION}.{where}" for _, path in found)


def test_a_recipient_with_uppercase_hex_is_refused_saying_to_write_it_in_lowercase():
    # A party's id in capitals would read as no recipient where recipients are compared.
    violations = validate(marked(recipients=[US, CN.upper().replace("IDENTITY", "identity")]))
    assert [(v.rule, v.property) for v in violations] == [
        ("id-case", f"extensions.{ACCORD_MARKING_EXTENSION}.recipients[1]")]
    assert CN in violations[0].message and "lowercase" in violations[0].message


def test_permit_forwarding_must_be_a_boolean_and_unknown_properties_are_named():
    found = rules(marked(permit_forwarding="yes", recipent=[CN]))
    paths = {path for _, path in found}
    base = f"extensions.{ACCORD_MARKING_EXTENSION}"
    assert f"{base}.permit_forwarding" in paths and f"{base}.recipent" in paths


def test_the_extension_is_a_property_extension():
    obj = marked(recipients=[CN])
    obj["extensions"][ACCORD_MARKING_EXTENSION]["extension_type"] = "new-sdo"
    assert ("accord-marking", f"extensions.{ACCORD_MARKING_EXTENSION}.extension_type") \
        in rules(obj)


def test_forwarding_permission_counts_only_from_a_known_creator():
    obj = marked(permit_forwarding=True)
    assert not creator_permits_forwarding(obj, frozenset({CN}))
    assert not creator_permits_forwarding(marked(permit_forwarding=False), frozenset({US}))
    assert not creator_permits_forwarding(marked(), frozenset({US}))


def test_recipients_are_bounded_and_each_named_once():
    # A hundred thousand recipients made every view of one request megabytes for each of them.
    base = f"extensions.{ACCORD_MARKING_EXTENSION}"
    many = [f"identity--00000000-0000-4000-8000-{n:012d}" for n in range(1_001)]
    assert validate(marked(recipients=many[:1_000])) == []
    [over] = validate(marked(recipients=many))
    assert over.property == f"{base}.recipients"
    assert "1,001 recipients, more than the 1,000 one object may be addressed to" in over.message
    [twice] = validate(marked(recipients=[CN, US, CN]))
    assert twice.property == f"{base}.recipients[2]" and f"{CN} is named twice" in twice.message
