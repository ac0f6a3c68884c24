"""Checks for the STIX 2.1 common data types (§2), one small function per type.

A check takes the value, its dotted path in the object and the `Findings` of that object, and
records what is wrong; it returns nothing and never raises. Checks are built once, at import, by
the factories below, and looked up by property name in the per-type tables of `domain_objects`
and `observables`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from accord.stix.formats import defanging, uri_problem
from accord.stix.timestamps import is_timestamp
from accord.stix.violations import Violation
from accord.stix.vocabularies import HASH_ALGORITHMS, HASH_HEX_LENGTHS


class Findings:
    """The violations found so far in one object, and the object they were found in."""

    __slots__ = ("object_id", "obj", "violations")

    def __init__(self, object_id: str | None, obj: Mapping[str, Any]) -> None:
        self.object_id = object_id
        self.obj = obj
        self.violations: list[Violation] = []

    def add(self, path: str | None, rule: str, message: str) -> None:
        self.violations.append(Violation(self.object_id, path, rule, message))


Check = Callable[[Any, str, Findings], None]

# §3.1: type names are 3–250 characters of a-z, 0-9 and single hyphens, starting with a letter;
# property names 3–250 characters of a-z, 0-9 and underscore, starting with a letter.
TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{2,249}\Z")


def is_type_name(kind: str) -> bool:
    """§3.1: a name an object's `type` may have."""
    return 3 <= len(kind) <= 250 and TYPE_NAME.match(kind) is not None

# §2.10: integers are limited to what a JSON double holds exactly.
MAX_INTEGER = 2**53 - 1


def show(value: Any) -> str:
    """A short rendering of a value for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def unexpected(found: Findings, path: str, value: Any, expected: str) -> None:
    """Record why `value` is not `expected`: null, an empty list or object, or another type."""
    if value is None:
        found.add(path, "null-value", f"'{path}' must not be null; omit the property instead")
    elif type(value) is list and not value:
        found.add(path, "empty-list", f"'{path}' must not be an empty list (§2.12)")
    elif type(value) is dict and not value:
        found.add(path, "empty-dictionary", f"'{path}' must not be an empty object (§2.3)")
    else:
        found.add(path, "wrong-type", f"'{path}' must be {expected}, not {json_type(value)}")


def custom_value(value: Any, path: str, found: Findings) -> None:
    """A value no table describes: a custom property (§11.1) or an unknown member of a structure.

    The specification names no type for it, so only what holds for every property applies: it is
    a JSON value, not null, not an empty list or object. Its inner structure belongs to its
    producer (ATT&CK ICS, for one, ships empty lists inside `x_mitre_related_assets`).
    """
    kind = type(value)
    if kind is str or kind is bool or kind is int or kind is float:
        return
    if (kind is list or kind is dict) and value:
        return
    unexpected(found, path, value, "a JSON value")


# --- primitive types ----------------------------------------------------------------------------


def string(value: Any, path: str, found: Findings) -> None:
    if type(value) is not str:
        unexpected(found, path, value, "a string")


def boolean(value: Any, path: str, found: Findings) -> None:
    if type(value) is not bool:
        unexpected(found, path, value, "true or false")


def _is_integer(value: Any) -> bool:
    # JSON has one number type: 5.0 is the integer 5, as the OASIS schemas also read it.
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def integer(minimum: int = -MAX_INTEGER, maximum: int = MAX_INTEGER) -> Check:
    def check(value: Any, path: str, found: Findings) -> None:
        if not _is_integer(value):
            unexpected(found, path, value, "an integer")
        elif not minimum <= value <= maximum:
            found.add(path, "value-range", f"'{path}' must be between {minimum} and {maximum}")

    return check


INTEGER = integer()


def number(minimum: float = -math.inf, maximum: float = math.inf) -> Check:
    def check(value: Any, path: str, found: Findings) -> None:
        kind = type(value)
        if kind is not float and kind is not int:
            unexpected(found, path, value, "a number")
        elif not (math.isfinite(value) and minimum <= value <= maximum):
            found.add(path, "value-range", f"'{path}' must be between {minimum} and {maximum}")

    return check


NUMBER = number()


def timestamp(value: Any, path: str, found: Findings) -> None:
    if not is_timestamp(value):
        if type(value) is str:
            found.add(path, "timestamp-syntax",
                      f"'{path}' must be a real UTC date and time, YYYY-MM-DDTHH:mm:ss[.s+]Z "
                      "(§2.16), "
                      f"not {show(value)}")
        else:
            unexpected(found, path, value, "a timestamp string")


def timestamp_in_milliseconds(value: Any, path: str, found: Findings) -> None:
    """§3.2: `created` and `modified` carry at least millisecond precision."""
    if not is_timestamp(value):
        timestamp(value, path, found)
    elif len(value) < 24:  # "YYYY-MM-DDTHH:mm:ss" + ".sss" + "Z"
        found.add(path, "timestamp-precision",
                  f"'{path}' must be precise to at least the millisecond (§3.2), not {show(value)}")


def timestamp_in_seconds(value: Any, path: str, found: Findings) -> None:
    """§6.7.2.5: the PE `time_date_stamp` is precise to the second, without fraction."""
    if not is_timestamp(value):
        timestamp(value, path, found)
    elif len(value) != 20:
        found.add(path, "timestamp-precision", f"'{path}' must be precise to the second")


def enum(values: Collection[str]) -> Check:
    """§2.4: a closed enumeration; values outside it are errors (open vocabularies are not)."""
    allowed = frozenset(values)
    listing = ", ".join(sorted(allowed))

    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not str:
            unexpected(found, path, value, "a string")
        elif value not in allowed:
            found.add(path, "closed-vocabulary",
                      f"'{path}' must be one of {listing}, not {show(value)}")

    return check


def pattern(regex: str | re.Pattern[str], what: str, *, few_values: bool = False) -> Check:
    """A string that must have a given syntax (hex, base64, a MAC address …). With
    `few_values`, the values found good are remembered (a relationship_type, say)."""
    compiled = re.compile(regex)
    good: set[str] = set()

    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not str:
            unexpected(found, path, value, "a string")
        elif value in good:
            return
        elif compiled.match(value) is None:
            found.add(path, "value-format", f"'{path}' must be {what}, not {show(value)}")
        elif few_values and len(good) < 1_000:
            good.add(value)

    return check


# §2.8; the errata text says lower-case a-f, but the OASIS schemas and every tool accept either
# case, and refusing "FF" would refuse content all other implementations take.
HEX = pattern(r"^(?:[0-9a-fA-F]{2})+\Z", "an even number of hexadecimal digits (§2.8)")
# §2.1: base64 per RFC 4648, padded.
BINARY = pattern(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z",
                 "base64 text (§2.1)")


def syntax(problem: Callable[[str], str | None], what: str, rule: str) -> Check:
    """A string in a syntax another standard defines: `problem(text)` says why one is not."""
    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not str:
            unexpected(found, path, value, "a string")
            return
        reason = problem(value)
        if reason is not None:
            found.add(path, rule, f"'{path}' is not {what}: {reason}")

    return check


# The same sources are cited again and again: remember the URLs already found well-formed.
_good_urls: set[str] = set()


def _is_good_url(value: str) -> bool:
    if value in _good_urls:
        return True
    if uri_problem(value) is not None or defanging(value) is not None:
        return False
    if len(_good_urls) > 50_000:
        _good_urls.clear()
    _good_urls.add(value)
    return True


def url(value: Any, path: str, found: Findings) -> None:
    """A URL (the url SCO §6.15, external references §2.5, artifacts §6.1): it MUST conform to
    RFC 3986, and as a URL (§1.1.3 there) locate its resource, which a defanged one does not."""
    if type(value) is not str:
        unexpected(found, path, value, "a string")
        return
    if _is_good_url(value):
        return
    problem = uri_problem(value)
    if problem is not None:
        found.add(path, "uri-syntax", f"'{path}' is not an RFC 3986 URI: {problem}")
        return
    how = defanging(value)
    # §3.2: an observable that says it is defanged may carry the defanged form.
    if how is not None and found.obj.get("defanged") is not True:
        found.add(path, "defanged-url",
                  f"'{path}' looks defanged: {how}; give the URL itself, or mark the "
                  "observable \"defanged\": true (§3.2)")


URL = url

# RFC 5646 §2.1: a well-formed language tag (registry membership is not checked).
LANGUAGE_TAG = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"  # language, extlang
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+"
    r"|en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:be-fr|be-nl|ch-de)"
)
LANGUAGE_CODE = re.compile(rf"^(?:{LANGUAGE_TAG})\Z", re.IGNORECASE)
LANGUAGE = pattern(LANGUAGE_CODE, "an RFC 5646 language code")


# --- lists and structures -----------------------------------------------------------------------


def list_of(item_check: Check, expected: str = "a list") -> Check:
    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not list or not value:
            unexpected(found, path, value, expected)
            return
        for index, item in enumerate(value):
            item_check(item, f"{path}[{index}]", found)

    return check


def strings(value: Any, path: str, found: Findings) -> None:
    """A non-empty list of strings, the commonest list in STIX."""
    if type(value) is not list or not value:
        unexpected(found, path, value, "a list of strings")
        return
    for index, item in enumerate(value):
        if type(item) is not str:
            unexpected(found, f"{path}[{index}]", item, "a string")


def enums(values: Collection[str]) -> Check:
    return list_of(enum(values), "a list of strings")


def structure(properties: Mapping[str, Check], required: Collection[str] = (),
              one_of: Collection[str] = (), what: str = "an object") -> Check:
    """An embedded object type: its own properties, the required ones, and `one_of` of which
    at least one must be present (the spec's "MUST contain at least one property")."""
    needed = tuple(required)
    any_of = tuple(one_of)

    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not dict or not value:
            unexpected(found, path, value, what)
            return
        for name in needed:
            if name not in value:
                found.add(f"{path}.{name}", "required-property",
                          f"'{name}' is required in '{path}'")
        if any_of and not any(name in value for name in any_of):
            found.add(path, "required-property",
                      f"'{path}' must contain at least one of {', '.join(any_of)}")
        for name, item in value.items():
            item_check = properties.get(name)
            if item_check is not None:
                item_check(item, f"{path}.{name}", found)
            else:
                custom_value(item, f"{path}.{name}", found)

    return check


# §2.3: dictionary keys are ASCII letters, digits, hyphen and underscore, at most 250 long.
DICTIONARY_KEY = re.compile(r"^[a-zA-Z0-9_-]{0,250}\Z")
# §2.7: hash names follow the same alphabet, 3 to 250 long.
HASH_KEY = re.compile(r"^[a-zA-Z0-9_-]{3,250}\Z")


def dictionary_of(value_check: Check | None = None, key: re.Pattern[str] = DICTIONARY_KEY,
                  key_rule: str = "letters, digits, '-' and '_', at most 250") -> Check:
    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not dict or not value:
            unexpected(found, path, value, "an object (dictionary)")
            return
        for name, item in value.items():
            if type(name) is not str or key.match(name) is None:
                found.add(f"{path}.{name}", "dictionary-key",
                          f"key {show(name)} of '{path}' must be {key_rule} (§2.3)")
            if value_check is not None:
                value_check(item, f"{path}.{name}", found)
            else:
                custom_value(item, f"{path}.{name}", found)

    return check


DICTIONARY = dictionary_of()
# §2.7: "the value MUST be a string in the appropriate format defined by the hash type".
HASH_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    name: (re.compile(rf"^[0-9a-fA-F]{{{length}}}\Z"), f"{length} hexadecimal digits")
    for name, length in HASH_HEX_LENGTHS.items()
}
# ssdeep writes blocksize:hash:hash, the hashes in the base64 alphabet and empty for tiny
# inputs; TLSH writes 70 hex digits (74 or 134, 138 in its other builds), lately after "T1".
HASH_FORMS["SSDEEP"] = (re.compile(r"^[0-9]{1,10}:[A-Za-z0-9+/]*:[A-Za-z0-9+/]*\Z"),
                        "an ssdeep digest, blocksize:hash:hash")
HASH_FORMS["TLSH"] = (re.compile(r"^(?:T1)?(?:[0-9A-Fa-f]{70}|[0-9A-Fa-f]{74}"
                                 r"|[0-9A-Fa-f]{134}|[0-9A-Fa-f]{138})\Z"),
                      "a TLSH digest, 70 hexadecimal digits after an optional 'T1'")


def _hashes(closed: bool) -> Check:
    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not dict or not value:
            unexpected(found, path, value, "an object of hash values (§2.7)")
            return
        for name, digest in value.items():
            where = f"{path}.{name}"
            if type(name) is not str or HASH_KEY.match(name) is None:
                found.add(where, "dictionary-key",
                          f"hash name {show(name)} must be 3 to 250 letters, digits, '-' or '_'")
            elif closed and name not in HASH_ALGORITHMS:
                found.add(where, "closed-vocabulary",
                          f"hash name {show(name)} in '{path}' must come from hash-algorithm-ov "
                          "(§2.5.1)")
            if type(digest) is not str:
                unexpected(found, where, digest, "a string")
                continue
            form = HASH_FORMS.get(name)
            if form is not None and form[0].match(digest) is None:
                found.add(where, "value-format", f"'{where}' must be {form[1]}, not {show(digest)}")

    return check


# §2.7: any well-formed hash name, the value in the algorithm's own format.
HASHES = _hashes(closed=False)
# §2.5.1: external references name only algorithms from the hash-algorithm-ov.
HASHES_FROM_VOCABULARY = _hashes(closed=True)

# §2.11
KILL_CHAIN_PHASE = structure({"kill_chain_name": string, "phase_name": string},
                             required=("kill_chain_name", "phase_name"))
KILL_CHAIN_PHASES = list_of(KILL_CHAIN_PHASE, "a list of kill chain phases")

# §4.1 and §4.19: CAPEC and CVE ids have a fixed form under their source names.
CAPEC_ID = re.compile(r"^CAPEC-\d+\Z")
CVE_ID = re.compile(r"^CVE-\d{4}-(?:0\d{3}|[1-9]\d{3,})\Z")
_EXTERNAL_REFERENCE = structure(
    {"source_name": string, "description": string, "url": URL,
     "hashes": HASHES_FROM_VOCABULARY, "external_id": string},
    required=("source_name",), one_of=("description", "url", "external_id"),
    what="an external reference")


def external_reference(value: Any, path: str, found: Findings) -> None:
    """§2.5: a source name plus a description, url or external id."""
    _EXTERNAL_REFERENCE(value, path, found)
    if type(value) is not dict:
        return
    source = value.get("source_name")
    external_id = value.get("external_id")
    if source == "capec" or source == "cve":
        form = CAPEC_ID if source == "capec" else CVE_ID
        if type(external_id) is not str or form.match(external_id) is None:
            found.add(f"{path}.external_id", "value-format",
                      f"an external reference with source_name '{source}' must have an "
                      f"external_id of the form {source.upper()}-…, not {show(external_id)}")
    elif type(external_id) is str and external_id.startswith(("CVE-", "CAPEC-")) and (
        CVE_ID.match(external_id) or CAPEC_ID.match(external_id)
    ):
        expected = "cve" if external_id[1] == "V" else "capec"
        found.add(f"{path}.source_name", "value-format",
                  f"an external reference to {external_id} must have source_name '{expected}'")


_PLAIN_REFERENCE_KEYS = frozenset({"source_name", "description", "url", "external_id"})


def _is_plain_external_reference(ref: dict[str, Any]) -> bool:
    """The shape nearly every reference has — a source and string fields, no CVE or CAPEC —
    recognised without building paths; anything else gets the full check."""
    source = ref.get("source_name")
    if type(source) is not str or source == "cve" or source == "capec" or len(ref) < 2:
        return False
    if not _PLAIN_REFERENCE_KEYS.issuperset(ref):
        return False
    for item in ref.values():
        if type(item) is not str:
            return False
    address = ref.get("url")
    if address is not None and not _is_good_url(address):
        return False
    external_id = ref.get("external_id")
    return external_id is None or not external_id.startswith(("CVE-", "CAPEC-"))


def external_references(value: Any, path: str, found: Findings) -> None:
    if type(value) is not list or not value:
        unexpected(found, path, value, "a list of external references")
        return
    for index, ref in enumerate(value):
        if type(ref) is not dict or not _is_plain_external_reference(ref):
            external_reference(ref, f"{path}[{index}]", found)


EXTERNAL_REFERENCES = external_references
