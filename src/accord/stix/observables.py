"""The STIX 2.1 cyber-observable object types (§6), their predefined extensions, and the
deprecated observable container of observed-data (§2.13)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from accord.stix.formats import (
    domain_name_problem,
    email_address_problem,
    looks_defanged,
    media_type_problem,
)
from accord.stix.identifiers import (
    identifier_type,
    reference,
    references,
)
from accord.stix.object_types import (
    SCO,
    ObjectType,
    Rule,
    any_property,
    at_least_one,
    not_together,
    object_type,
    ordered,
    requires,
)
from accord.stix.properties import (
    BINARY,
    DICTIONARY,
    HASHES,
    HEX,
    INTEGER,
    LANGUAGE,
    NUMBER,
    URL,
    Check,
    Findings,
    boolean,
    custom_value,
    dictionary_of,
    enum,
    integer,
    list_of,
    pattern,
    show,
    string,
    strings,
    structure,
    syntax,
    timestamp,
    timestamp_in_seconds,
    unexpected,
)
from accord.stix.vocabularies import (
    ENCRYPTION_ALGORITHMS,
    SDO_TYPES,
    SMO_TYPES,
    SOCKET_ADDRESS_FAMILIES,
    SOCKET_OPTION_PREFIXES,
    SOCKET_TYPES,
    SRO_TYPES,
    WINDOWS_INTEGRITY_LEVELS,
    WINDOWS_REGISTRY_DATATYPES,
    WINDOWS_SERVICE_START_TYPES,
    WINDOWS_SERVICE_STATUSES,
    WINDOWS_SERVICE_TYPES,
)

NON_NEGATIVE = integer(0)
TIMES = {"ctime": timestamp, "mtime": timestamp, "atime": timestamp}
ARTIFACT = reference({"artifact"})
EMAIL_ADDRESS = reference({"email-addr"})
USER_ACCOUNT = reference({"user-account"})
ADDRESS = reference({"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"})
TRAFFIC = reference({"network-traffic"})
ANY_OBSERVABLE = references(denied=SDO_TYPES | SRO_TYPES | SMO_TYPES)

# §3.9.1: an _enc property names an IANA character set.
CHARACTER_SET = pattern(r"^[a-zA-Z0-9/.+_:()-]{1,250}\Z", "an IANA character set name")
# §6.4: a domain name per RFC 1034, its labels per RFC 5890 (U-labels allowed).
DOMAIN_NAME = syntax(domain_name_problem, "a domain name", "domain-name-syntax")
# §6.10: a colon-delimited, lowercase MAC-48 address with leading zeros.
MAC_ADDRESS = pattern(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}\Z",
                      "a lowercase colon-delimited MAC-48 address")
# §6.5: one e-mail address, the addr-spec of RFC 5322 §3.4, without a display name.
EMAIL = syntax(email_address_problem, "an e-mail address", "email-syntax")
# §6.1, §6.7: a MIME type name; that it be registered with IANA is a SHOULD, its form is not.
MEDIA_TYPE = syntax(media_type_problem, "a media type name", "media-type-syntax")
# §6.14: a CPE 2.3 formatted string (NISTIR 7695 §6.2).
_CPE_PART = (r"(?:(?:\?*|\*?)(?:[a-zA-Z0-9._-]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+"
             r"(?:\?*|\*?)|[*-])")
CPE = pattern(
    rf"^cpe:2\.3:[aho*-](?::{_CPE_PART}){{5}}"
    r"(?::(?:[a-zA-Z]{2,3}(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?|[*-]))"
    rf"(?::{_CPE_PART}){{4}}\Z",
    "a CPE 2.3 formatted string")


def _ip(version: int) -> Check:
    """§6.8, §6.9: one address or one CIDR block of the given IP version."""
    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not str:
            unexpected(found, path, value, "a string")
            return
        _, slash, prefix = value.partition("/")
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            network = None
        # CIDR notation: the prefix is a length in decimal, not a netmask (which ipaddress takes).
        if (network is None or network.version != version or value.strip() != value
                or (slash and not (prefix.isascii() and prefix.isdigit()
                                   and str(int(prefix)) == prefix))):
            hint = " (defanged?)" if looks_defanged(value) else ""
            found.add(path, "value-format",
                      f"'{path}' must be an IPv{version} address or CIDR block, "
                      f"not {show(value)}{hint}")

    return check


def _registry_key(value: Any, path: str, found: Findings) -> None:
    """§6.16: the hive is written out in full (HKEY_LOCAL_MACHINE, not HKLM)."""
    if type(value) is not str:
        unexpected(found, path, value, "a string")
    elif re.match(r"^(?:HKLM|HKCC|HKCR|HKCU|HKU)(?:\\|\Z)", value, re.IGNORECASE):
        found.add(path, "value-format", f"'{path}' must spell out the hive, not {show(value)}")


def _strings_or_string(value: Any, path: str, found: Findings) -> None:
    if type(value) is not str:
        strings(value, path, found)


def _string_or_integer(value: Any, path: str, found: Findings) -> None:
    if type(value) is not str:
        INTEGER(value, path, found)


_INTEGER_VALUES = dictionary_of(INTEGER)


def _socket_options(value: Any, path: str, found: Findings) -> None:
    """§6.12.2.3: keys are socket option constants (SO_…, IP_…); values are integers."""
    _INTEGER_VALUES(value, path, found)
    if type(value) is not dict:
        return
    for key in value:
        if type(key) is str and not key.startswith(SOCKET_OPTION_PREFIXES):
            found.add(f"{path}.{key}", "value-format",
                      f"option {show(key)} must be a socket option name (SO_…, IP_…, TCP_…)")


# --- predefined extensions (§6.7.2, §6.12.2, §6.13.2, §6.17.2) ---------------------------------

_ALTERNATE_DATA_STREAM = structure({"name": string, "hashes": HASHES, "size": NON_NEGATIVE},
                                   required=("name",))
_PE_OPTIONAL_HEADER = structure({
    "magic_hex": HEX, "major_linker_version": INTEGER, "minor_linker_version": INTEGER,
    "size_of_code": NON_NEGATIVE, "size_of_initialized_data": NON_NEGATIVE,
    "size_of_uninitialized_data": NON_NEGATIVE, "address_of_entry_point": INTEGER,
    "base_of_code": INTEGER, "base_of_data": INTEGER, "image_base": INTEGER,
    "section_alignment": INTEGER, "file_alignment": INTEGER, "major_os_version": INTEGER,
    "minor_os_version": INTEGER, "major_image_version": INTEGER,
    "minor_image_version": INTEGER, "major_subsystem_version": INTEGER,
    "minor_subsystem_version": INTEGER, "win32_version_value_hex": HEX,
    "size_of_image": NON_NEGATIVE, "size_of_headers": NON_NEGATIVE, "checksum_hex": HEX,
    "subsystem_hex": HEX, "dll_characteristics_hex": HEX, "size_of_stack_reserve": NON_NEGATIVE,
    "size_of_stack_commit": NON_NEGATIVE, "size_of_heap_reserve": NON_NEGATIVE,
    "size_of_heap_commit": NON_NEGATIVE, "loader_flags_hex": HEX,
    "number_of_rva_and_sizes": INTEGER, "hashes": HASHES,
})
_PE_SECTION = structure({"name": string, "size": NON_NEGATIVE, "entropy": NUMBER,
                         "hashes": HASHES}, required=("name",))


def _at_least_one_of(properties: Mapping[str, Check], required: tuple[str, ...] = ()) -> Check:
    names = tuple(name for name in properties if name not in required)
    return structure(properties, required, one_of=names if not required else (),
                     what="an extension object")


PREDEFINED_EXTENSIONS: dict[str, dict[str, Check]] = {
    "file": {
        "archive-ext": _at_least_one_of(
            {"contains_refs": references({"file", "directory"}), "comment": string},
            ("contains_refs",)),
        "ntfs-ext": _at_least_one_of(
            {"sid": string, "alternate_data_streams": list_of(_ALTERNATE_DATA_STREAM)}),
        "pdf-ext": _at_least_one_of({
            "version": string, "is_optimized": boolean,
            "document_info_dict": dictionary_of(string), "pdfid0": string, "pdfid1": string}),
        "raster-image-ext": _at_least_one_of({
            "image_height": INTEGER, "image_width": INTEGER, "bits_per_pixel": INTEGER,
            "exif_tags": dictionary_of(_string_or_integer)}),
        "windows-pebinary-ext": _at_least_one_of({
            "pe_type": string, "imphash": string, "machine_hex": HEX,
            "number_of_sections": NON_NEGATIVE, "time_date_stamp": timestamp_in_seconds,
            "pointer_to_symbol_table_hex": HEX, "number_of_symbols": NON_NEGATIVE,
            "size_of_optional_header": NON_NEGATIVE, "characteristics_hex": HEX,
            "file_header_hashes": HASHES, "optional_header": _PE_OPTIONAL_HEADER,
            "sections": list_of(_PE_SECTION)}, ("pe_type",)),
    },
    "network-traffic": {
        "http-request-ext": _at_least_one_of({
            "request_method": string, "request_value": string, "request_version": string,
            "request_header": dictionary_of(_strings_or_string),
            "message_body_length": INTEGER, "message_body_data_ref": ARTIFACT},
            ("request_method", "request_value")),
        "icmp-ext": _at_least_one_of({"icmp_type_hex": HEX, "icmp_code_hex": HEX},
                                     ("icmp_type_hex", "icmp_code_hex")),
        "socket-ext": _at_least_one_of({
            "address_family": enum(SOCKET_ADDRESS_FAMILIES), "is_blocking": boolean,
            "is_listening": boolean, "options": _socket_options,
            "socket_type": enum(SOCKET_TYPES), "socket_descriptor": NON_NEGATIVE,
            "socket_handle": INTEGER}, ("address_family",)),
        "tcp-ext": _at_least_one_of({"src_flags_hex": HEX, "dst_flags_hex": HEX}),
    },
    "process": {
        "windows-process-ext": _at_least_one_of({
            "aslr_enabled": boolean, "dep_enabled": boolean, "priority": string,
            "owner_sid": string, "window_title": string, "startup_info": DICTIONARY,
            "integrity_level": enum(WINDOWS_INTEGRITY_LEVELS)}),
        "windows-service-ext": _at_least_one_of({
            "service_name": string, "descriptions": strings, "display_name": string,
            "group_name": string, "start_type": enum(WINDOWS_SERVICE_START_TYPES),
            "service_dll_refs": references({"file"}),
            "service_type": enum(WINDOWS_SERVICE_TYPES),
            "service_status": enum(WINDOWS_SERVICE_STATUSES)}),
    },
    "user-account": {
        "unix-account-ext": _at_least_one_of({
            "gid": INTEGER, "groups": strings, "home_dir": string, "shell": string}),
    },
}


# --- cross-property rules -----------------------------------------------------------------------


def uuid_version_4(*contributing: str) -> Rule:
    """§2.9: with none of its ID contributing properties present, an SCO id MUST be UUIDv4."""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        if any(name in obj for name in contributing):
            return
        identifier = obj.get("id")
        # The UUID version is its 13th hex digit: 22 characters from the end of the id.
        if identifier_type(identifier) is not None and str(identifier)[-22] != "4":
            needs = ("without " + ", ".join(contributing)) if contributing else "always"
            found.add("id", "uuid-version",
                      f"a {obj.get('type')} id must use a version 4 UUID {needs} (§2.9)")

    return rule


def _multipart_body(obj: Mapping[str, Any], found: Findings) -> None:
    """§6.6: `body` only when not multipart, `body_multipart` only when multipart."""
    multipart = obj.get("is_multipart")
    if multipart is True and "body" in obj:
        found.add("body", "exclusive-properties", "'body' must not be used when is_multipart")
    if multipart is False and "body_multipart" in obj:
        found.add("body_multipart", "exclusive-properties",
                  "'body_multipart' must not be used unless is_multipart")


def _active_traffic_has_no_end(obj: Mapping[str, Any], found: Findings) -> None:
    """§6.12: an active flow has not ended."""
    if obj.get("is_active") is True and "end" in obj:
        found.add("end", "exclusive-properties", "'end' must not be present when is_active")


def _artifact_content(obj: Mapping[str, Any], found: Findings) -> None:
    """§6.1: the bytes (payload_bin) or where to get them (url, with hashes) — one, not both."""
    if "payload_bin" not in obj and "url" not in obj:
        found.add(None, "required-property", "an artifact requires 'payload_bin' or 'url'")


_MIME_PART = structure({"body": string, "body_raw_ref": reference({"artifact", "file"}),
                        "content_type": string, "content_disposition": string},
                       one_of=("body", "body_raw_ref"), what="a MIME part")


def _mime_part(value: Any, path: str, found: Findings) -> None:
    _MIME_PART(value, path, found)
    if type(value) is dict and "body" in value and "body_raw_ref" in value:
        found.add(f"{path}.body_raw_ref", "exclusive-properties",
                  "a MIME part has 'body' or 'body_raw_ref', not both (§6.6.2)")


TYPES: tuple[ObjectType, ...] = (
    object_type("artifact", SCO, {
            "mime_type": MEDIA_TYPE, "payload_bin": BINARY, "url": URL, "hashes": HASHES,
        "encryption_algorithm": enum(ENCRYPTION_ALGORITHMS), "decryption_key": string,
    }, rules=(_artifact_content, not_together("payload_bin", "url", "§6.1"),
              requires("url", "hashes", "§6.1"),
              requires("decryption_key", "encryption_algorithm", "§6.1"),
              uuid_version_4("hashes", "payload_bin"))),
    object_type("autonomous-system", SCO, {"number": INTEGER, "name": string, "rir": string},
                ("number",)),
    object_type("directory", SCO, {
        "path": string, "path_enc": CHARACTER_SET, **TIMES,
        "contains_refs": references({"file", "directory"}),
    }, ("path",)),
    object_type("domain-name", SCO, {
        "value": DOMAIN_NAME,
        "resolves_to_refs": references({"ipv4-addr", "ipv6-addr", "domain-name"}),
    }, ("value",)),
    object_type("email-addr", SCO, {"value": EMAIL, "display_name": string,
                                    "belongs_to_ref": USER_ACCOUNT}, ("value",)),
    object_type("email-message", SCO, {
        "is_multipart": boolean, "date": timestamp, "content_type": string,
        "from_ref": EMAIL_ADDRESS, "sender_ref": EMAIL_ADDRESS,
        "to_refs": references({"email-addr"}), "cc_refs": references({"email-addr"}),
        "bcc_refs": references({"email-addr"}), "message_id": string, "subject": string,
        "received_lines": strings, "additional_header_fields": dictionary_of(_strings_or_string),
        "body": string, "body_multipart": list_of(_mime_part), "raw_email_ref": ARTIFACT,
    }, ("is_multipart",), (_multipart_body, uuid_version_4("from_ref", "subject", "body"))),
    object_type("file", SCO, {
        "hashes": HASHES, "size": NON_NEGATIVE, "name": string, "name_enc": CHARACTER_SET,
        "magic_number_hex": HEX, "mime_type": MEDIA_TYPE, **TIMES,
        "parent_directory_ref": reference({"directory"}), "contains_refs": ANY_OBSERVABLE,
        "content_ref": ARTIFACT,
    }, rules=(at_least_one("hashes", "name", section="§6.7"),
              requires("name_enc", "name", "§3.1"))),
    object_type("ipv4-addr", SCO, {
        "value": _ip(4), "resolves_to_refs": references({"mac-addr"}),
        "belongs_to_refs": references({"autonomous-system"}),
    }, ("value",)),
    object_type("ipv6-addr", SCO, {
        "value": _ip(6), "resolves_to_refs": references({"mac-addr"}),
        "belongs_to_refs": references({"autonomous-system"}),
    }, ("value",)),
    object_type("mac-addr", SCO, {"value": MAC_ADDRESS}, ("value",)),
    object_type("mutex", SCO, {"name": string}, ("name",)),
    object_type("network-traffic", SCO, {
        "start": timestamp, "end": timestamp, "is_active": boolean, "src_ref": ADDRESS,
        "dst_ref": ADDRESS, "src_port": integer(0, 65535), "dst_port": integer(0, 65535),
        "protocols": strings, "src_byte_count": NON_NEGATIVE, "dst_byte_count": NON_NEGATIVE,
        "src_packets": NON_NEGATIVE, "dst_packets": NON_NEGATIVE,
        "ipfix": dictionary_of(_string_or_integer), "src_payload_ref": ARTIFACT,
        "dst_payload_ref": ARTIFACT, "encapsulates_refs": references({"network-traffic"}),
        "encapsulated_by_ref": TRAFFIC,
    }, ("protocols",), (at_least_one("src_ref", "dst_ref", section="§6.12"),
                        _active_traffic_has_no_end, ordered("end", "start", section="§6.12"))),
    object_type("process", SCO, {
        "is_hidden": boolean, "pid": INTEGER, "created_time": timestamp, "cwd": string,
        "command_line": string, "environment_variables": dictionary_of(string),
        "opened_connection_refs": references({"network-traffic"}),
        "creator_user_ref": USER_ACCOUNT, "image_ref": reference({"file"}),
        "parent_ref": reference({"process"}), "child_refs": references({"process"}),
    }, rules=(any_property(section="§6.13"), uuid_version_4())),
    object_type("software", SCO, {
        "name": string, "cpe": CPE, "swid": string, "languages": list_of(LANGUAGE),
        "vendor": string, "version": string,
    }, ("name",)),
    object_type("url", SCO, {"value": URL}, ("value",)),
    object_type("user-account", SCO, {
        "user_id": string, "credential": string, "account_login": string,
        "account_type": string, "display_name": string, "is_service_account": boolean,
        "is_privileged": boolean, "can_escalate_privs": boolean, "is_disabled": boolean,
        "account_created": timestamp, "account_expires": timestamp,
        "credential_last_changed": timestamp, "account_first_login": timestamp,
        "account_last_login": timestamp,
    }, rules=(any_property(section="§6.17"),
              uuid_version_4("account_type", "user_id", "account_login"))),
    object_type("windows-registry-key", SCO, {
        "key": _registry_key,
        "values": list_of(structure(
            {"name": string, "data": string, "data_type": enum(WINDOWS_REGISTRY_DATATYPES)},
            one_of=("name", "data", "data_type"), what="a registry value")),
        "modified_time": timestamp, "creator_user_ref": USER_ACCOUNT,
        "number_of_subkeys": INTEGER,
    }, rules=(any_property(section="§6.16"), uuid_version_4("key", "values"))),
    object_type("x509-certificate", SCO, {
        "is_self_signed": boolean, "hashes": HASHES, "version": string, "serial_number": string,
        "signature_algorithm": string, "issuer": string, "validity_not_before": timestamp,
        "validity_not_after": timestamp, "subject": string,
        "subject_public_key_algorithm": string, "subject_public_key_modulus": string,
        "subject_public_key_exponent": INTEGER,
        "x509_v3_extensions": structure({
            **{name: string for name in (
                "basic_constraints", "name_constraints", "policy_constraints", "key_usage",
                "extended_key_usage", "subject_key_identifier", "authority_key_identifier",
                "subject_alternative_name", "issuer_alternative_name",
                "subject_directory_attributes", "crl_distribution_points",
                "inhibit_any_policy", "certificate_policies", "policy_mappings")},
            "private_key_usage_period_not_before": timestamp,
            "private_key_usage_period_not_after": timestamp,
        }, what="X.509 v3 extensions"),
    }, rules=(any_property(section="§6.18"), uuid_version_4("hashes", "serial_number"))),
)

OBSERVABLE_TYPES = {spec.name: spec for spec in TYPES}


# --- §2.13 the deprecated observable container --------------------------------------------------


def observable_container(value: Any, path: str, found: Findings) -> None:
    """Observed-data `objects`: SCOs keyed by local names, referring to each other by key."""
    if type(value) is not dict or not value:
        unexpected(found, path, value, "an object of cyber-observables")
        return
    for key, observable in value.items():
        where = f"{path}.{key}"
        if type(observable) is not dict or not observable:
            unexpected(found, where, observable, "a cyber-observable object")
            continue
        kind = observable.get("type")
        if type(kind) is not str:
            found.add(f"{where}.type", "required-property",
                      f"'type' is required in cyber-observable '{where}'")
            continue
        spec = OBSERVABLE_TYPES.get(kind)
        if spec is None:  # a custom observable: nothing known beyond the generic rules
            custom_value(observable, where, found)
            continue
        for name in spec.required:
            if name != "id" and name not in observable:
                found.add(f"{where}.{name}", "required-property",
                          f"'{name}' is required for type '{kind}'")
        for name, item in observable.items():
            check = spec.properties.get(name)
            if check is None:
                custom_value(item, f"{where}.{name}", found)
            elif name.endswith(("_ref", "_refs")):
                _local_references(item, f"{where}.{name}", value, found)
            elif name != "extensions":
                check(item, f"{where}.{name}", found)


def _local_references(item: Any, path: str, container: Mapping[str, Any],
                      found: Findings) -> None:
    """§2.13: references inside the container are its keys and MUST resolve within it."""
    keys = item if type(item) is list else [item]
    if not keys:
        unexpected(found, path, item, "a list of keys")
        return
    for key in keys:
        if type(key) is not str or key not in container:
            found.add(path, "reference-type",
                      f"'{path}' must name another object of the same container, "
                      f"not {show(key)}")
