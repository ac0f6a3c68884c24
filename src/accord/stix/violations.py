"""Why an object was refused: the object, the property and the rule, in words a user can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken MUST rule of STIX 2.1 (or of TAXII/Accord) in one object."""

    object_id: str | None
    property: str | None  # dotted path into the object, e.g. "external_references[0].source_name"
    rule: str  # a short stable code, e.g. "required-property", "timestamp-syntax"
    message: str  # plain words, e.g. "'created' is required for type 'indicator'"

    def __str__(self) -> str:
        where = self.object_id or "object without id"
        if self.property:
            where += f" property {self.property}"
        return f"{where}: {self.message} [{self.rule}]"
