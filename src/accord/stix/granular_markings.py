"""Granular markings (§7.2.3): a marking or a language applied to parts of an object, named by
selectors that MUST resolve inside that object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.stix.identifiers import reference
from accord.stix.properties import LANGUAGE, Findings, custom_value, show, unexpected

MARKING_REF = reference({"marking-definition"})
LIST_INDEX = re.compile(r"^\[([0-9]+)\]\Z")


def selects(obj: Mapping[str, Any], selector: str) -> bool:
    """Whether `selector` ("external_references.[0].url") names content present in `obj`."""
    current: Any = obj
    for component in selector.split("."):
        index = LIST_INDEX.match(component)
        if index is not None:
            position = int(index.group(1))
            if type(current) is not list or position >= len(current):
                return False
            current = current[position]
        elif type(current) is dict and component in current:
            current = current[component]
        else:
            return False
    return True


def granular_markings(value: Any, path: str, found: Findings) -> None:
    if type(value) is not list or not value:
        unexpected(found, path, value, "a list of granular markings")
        return
    for index, marking in enumerate(value):
        where = f"{path}[{index}]"
        if type(marking) is not dict or not marking:
            unexpected(found, where, marking, "a granular marking object")
            continue
        # One and only one of marking_ref and lang.
        if ("marking_ref" in marking) == ("lang" in marking):
            found.add(where, "granular-marking",
                      f"'{where}' must have exactly one of 'marking_ref' or 'lang' (§7.2.3)")
        for name, item in marking.items():
            if name == "marking_ref":
                MARKING_REF(item, f"{where}.marking_ref", found)
            elif name == "lang":
                LANGUAGE(item, f"{where}.lang", found)
            elif name != "selectors":
                custom_value(item, f"{where}.{name}", found)
        if "selectors" not in marking:
            found.add(f"{where}.selectors", "required-property",
                      f"'selectors' is required in '{where}'")
            continue
        selectors = marking["selectors"]
        if type(selectors) is not list or not selectors:
            unexpected(found, f"{where}.selectors", selectors, "a list of selectors")
            continue
        for position, selector in enumerate(selectors):
            at = f"{where}.selectors[{position}]"
            if type(selector) is not str:
                unexpected(found, at, selector, "a selector string")
            elif not selects(found.obj, selector):
                found.add(at, "selector",
                          f"selector {show(selector)} does not name content of this object "
                          "(§7.2.3)")
