"""The `extensions` property (§3.2, §7.3): predefined extensions checked by their tables,
extension-definition instances by the extension facility's rules."""

from __future__ import annotations

import re
from typing import Any

from accord.stix.accord_marking import ACCORD_MARKING_EXTENSION, check_accord_marking
from accord.stix.identifiers import custom_reference, identifier_type, is_uppercase_identifier
from accord.stix.observables import PREDEFINED_EXTENSIONS
from accord.stix.properties import (
    DICTIONARY_KEY,
    PROPERTY_NAME,
    Findings,
    custom_value,
    enum,
    show,
    unexpected,
)
from accord.stix.vocabularies import EXTENSION_TYPES

EXTENSION_TYPE = enum(EXTENSION_TYPES)
DEFINITION_PREFIX = "extension-definition--"
# §11.3: custom extension names are a-z, 0-9 and hyphens, ending in "-ext".
CUSTOM_EXTENSION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,246}-ext\Z")


def extensions(value: Any, path: str, found: Findings) -> None:
    if type(value) is not dict or not value:
        unexpected(found, path, value, "an object of extensions")
        return
    object_type = found.obj.get("type")
    predefined = PREDEFINED_EXTENSIONS.get(object_type) if type(object_type) is str else None
    for key, instance in value.items():
        where = f"{path}.{key}"
        if type(key) is not str or DICTIONARY_KEY.match(key) is None:
            found.add(where, "dictionary-key",
                      f"extension name {show(key)} must be letters, digits, '-' and '_' (§2.3)")
            continue
        uses_definition = key.startswith(DEFINITION_PREFIX)
        if (predefined is not None and not uses_definition and key not in predefined
                and CUSTOM_EXTENSION_NAME.match(key) is None):
            # §6.7, §6.12, §6.13, §6.17: an SCO's extension keys MUST be the predefined names
            # or extension-definition ids; the deprecated custom extensions (§11.3) end in -ext.
            found.add(where, "extension-name",
                      f"extension {show(key)} of a {object_type} must be one of "
                      f"{', '.join(sorted(predefined))}, an extension-definition id, or a "
                      "custom name ending in '-ext'")
        if type(instance) is not dict or not instance:
            unexpected(found, where, instance, "an extension object")
            continue
        if uses_definition and is_uppercase_identifier(key):
            found.add(where, "id-case",
                      f"extension name {show(key)} must be written in lowercase, "
                      f"{show(key.lower())}: UUIDs compare regardless of case (RFC 4122 §3), "
                      "so the two name one extension-definition (§2.9)")
        elif uses_definition and identifier_type(key) != "extension-definition":
            found.add(where, "id-syntax",
                      f"extension name {show(key)} must be an extension-definition identifier")
        if "extension_type" in instance:
            EXTENSION_TYPE(instance["extension_type"], f"{where}.extension_type", found)
        elif uses_definition:
            found.add(f"{where}.extension_type", "required-property",
                      "'extension_type' is required in an extension defined by an "
                      "extension-definition (§3.2)")
        check = predefined.get(key) if predefined is not None else None
        if key == ACCORD_MARKING_EXTENSION:
            check = check_accord_marking
        if check is not None:
            check(instance, where, found)
            continue
        for name, item in instance.items():
            if name == "extension_type":
                continue
            # §7.3.2: extension property names follow the property-name rule of §3.1.
            if uses_definition and (type(name) is not str or PROPERTY_NAME.match(name) is None):
                found.add(f"{where}.{name}", "property-name",
                          f"extension property {show(name)} must be 3 to 250 lowercase letters, "
                          "digits and '_', starting with a letter (§7.3.2)")
            if type(name) is str and name.endswith(("_ref", "_refs")):
                custom_reference(item, f"{where}.{name}", found)
            else:
                custom_value(item, f"{where}.{name}", found)
