"""Accord's property extension for markings: whom a TLP:AMBER+STRICT or TLP:RED object is
addressed to, and whether its creator lets TLP:AMBER travel beyond the collection it was
shared in. Checked here like any predefined extension, so a malformed one is refused on intake
instead of silently reading as "no recipients"."""

from __future__ import annotations

from typing import Any

from accord.stix.identifiers import identifier_type, is_uppercase_identifier, uppercase_problem
from accord.stix.properties import Findings, show, unexpected

ACCORD_MARKING_EXTENSION = "extension-definition--3c8e2a52-7d1e-4a55-9c36-0f5b6d0e4a11"
_PROPERTIES = {"extension_type", "recipients", "permit_forwarding"}
# Parties one object may be addressed to: every party of a large node (a claim shared with
# all of an ISAC's members), and a bound (each is a row of the recipients index; a list of a
# hundred thousand made one request's every view megabytes).
MOST_RECIPIENTS = 1_000


def check_accord_marking(instance: dict[str, Any], where: str, found: Findings) -> None:
    if instance.get("extension_type") != "property-extension":
        found.add(f"{where}.extension_type", "accord-marking",
                  "Accord's marking extension is a property-extension")
    for name in instance:
        if name not in _PROPERTIES:
            found.add(f"{where}.{name}", "accord-marking",
                      f"{show(name)} is not a property of Accord's marking extension "
                      "(recipients, permit_forwarding)")
    if "recipients" in instance:
        recipients = instance["recipients"]
        if type(recipients) is not list or not recipients:
            unexpected(found, f"{where}.recipients", recipients,
                       "a non-empty list of identity ids")
        elif len(recipients) > MOST_RECIPIENTS:
            found.add(f"{where}.recipients", "accord-marking",
                      f"{len(recipients):,} recipients, more than the {MOST_RECIPIENTS:,} one "
                      "object may be addressed to")
        else:
            seen: set[str] = set()
            for n, recipient in enumerate(recipients):
                if is_uppercase_identifier(recipient):
                    uppercase_problem(f"{where}.recipients[{n}]", recipient, found)
                elif type(recipient) is not str or identifier_type(recipient) != "identity":
                    found.add(f"{where}.recipients[{n}]", "accord-marking",
                              f"{show(recipient)} is not an identity id")
                elif recipient in seen:
                    found.add(f"{where}.recipients[{n}]", "accord-marking",
                              f"{recipient} is named twice")
                else:
                    seen.add(recipient)
    if "permit_forwarding" in instance and type(instance["permit_forwarding"]) is not bool:
        unexpected(found, f"{where}.permit_forwarding", instance["permit_forwarding"],
                   "true or false")
