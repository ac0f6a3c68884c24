"""Values STIX 2.1 takes from other standards, as `validate` reports them: URLs (RFC 3986),
e-mail addresses, domain names, media types, hash digests and IP addresses — each refusal names
the property, the rule and what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from accord.stix.validation import validate

UUID4 = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
T0 = "2016-04-29T14:09:00.000Z"


def sco(object_type: str, **properties: Any) -> dict[str, Any]:
    return {"type": object_type, "spec_version": "2.1", "id": f"{object_type}--{UUID4}",
            **properties}


def tool(**properties: Any) -> dict[str, Any]:
    return {"type": "tool", "spec_version": "2.1", "id": f"tool--{UUID4}", "created": T0,
            "modified": T0, "name": "PsExec", **properties}


def refusals(obj: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [(v.property, v.rule, v.message) for v in validate(obj)]


# --- URLs ---------------------------------------------------------------------------------------


def test_defanged_url_value_is_refused_as_not_rfc_3986() -> None:
    assert refusals(sco("url", value="http://84.38.133[.]149/img/icon.gif")) == [
        ("value", "uri-syntax",
         "'value' is not an RFC 3986 URI: '[' is not allowed in a host (defanged?)")]
    assert refusals(sco("url", value="hxxps://ptpb[.]pw/OAZG")) == [
        ("value", "uri-syntax",
         "'value' is not an RFC 3986 URI: '[' is not allowed in a host (defanged?)")]


def test_url_with_a_defanged_scheme_is_refused_with_what_it_stands_for() -> None:
    assert refusals(sco("url", value="hxxp://84.38.133.149/img/icon.gif")) == [
        ("value", "defanged-url",
         "'value' looks defanged: the scheme 'hxxp' stands for 'http'; give the URL itself, or "
         "mark the observable \"defanged\": true (§3.2)")]


def test_observable_marked_defanged_may_carry_a_defanged_scheme_but_not_a_malformed_uri() -> None:
    assert validate(sco("url", value="hxxp://84.38.133.149/img/icon.gif", defanged=True)) == []
    assert [v.rule for v in validate(
        sco("url", value="hxxp://84.38.133[.]149/img/icon.gif", defanged=True))] == ["uri-syntax"]


@pytest.mark.parametrize("value", [
    "http://84.38.133.149/img/icon.gif", "https://ptpb.pw/OAZG", "ftp://[2001:db8::1]/x.zip",
    "https://example.com/search?q=%E6%BC%A2&lang=zh#top",
])
def test_well_formed_url_value_is_accepted(value: str) -> None:
    assert validate(sco("url", value=value)) == []


def test_defanged_url_in_an_external_reference_is_refused() -> None:
    obj = tool(external_references=[
        {"source_name": "Talos", "url": "https://blog.talosintelligence.com/x"},
        {"source_name": "ACME", "url": "hxxps://ptpb[.]pw/OAZG"},
    ])
    assert refusals(obj) == [
        ("external_references[1].url", "uri-syntax",
         "'external_references[1].url' is not an RFC 3986 URI: '[' is not allowed in a host "
         "(defanged?)")]


def test_url_found_good_once_is_still_checked_in_its_context() -> None:
    """The cache of good URLs must not let a defanged scheme through on a second object."""
    value = "hxxp://cached.example/a"
    assert validate(sco("url", value=value, defanged=True)) == []
    assert [v.rule for v in validate(sco("url", value=value))] == ["defanged-url"]
    assert [v.rule for v in validate(tool(external_references=[
        {"source_name": "ACME", "url": value}]))] == ["defanged-url"]


def test_artifact_url_must_be_a_uri() -> None:
    obj = sco("artifact", url="https://example[.]com/a.zip", hashes={"MD5": "c" * 32})
    assert [(v.property, v.rule) for v in validate(obj)] == [("url", "uri-syntax")]


# --- e-mail addresses, domain names, media types ------------------------------------------------


@pytest.mark.parametrize(("value", "message"), [
    ("jane[@]example.com",
     "'value' is not an e-mail address: it is not local-part@domain (defanged?)"),
    ("Jane Smith <jane@example.com>", "'value' is not an e-mail address: it must be the "
     "address alone, without a display name (use 'display_name')"),
])
def test_email_address_value_is_one_addr_spec(value: str, message: str) -> None:
    assert refusals(sco("email-addr", value=value)) == [("value", "email-syntax", message)]
    assert validate(sco("email-addr", value="jane.smith@example.com")) == []


def test_defanged_domain_name_is_refused() -> None:
    assert refusals(sco("domain-name", value="ptpb[.]pw")) == [
        ("value", "domain-name-syntax",
         "'value' is not a domain name: '[' is not allowed in a domain name (defanged?)")]
    assert validate(sco("domain-name", value="ptpb.pw")) == []


@pytest.mark.parametrize("object_type", ["file", "artifact"])
def test_mime_type_is_a_media_type_name(object_type: str) -> None:
    content = {"name": "a.exe"} if object_type == "file" else {"payload_bin": "aGk="}
    assert validate(sco(object_type, mime_type="application/x-dosexec", **content)) == []
    assert refusals(sco(object_type, mime_type="PE32 executable", **content)) == [
        ("mime_type", "media-type-syntax",
         "'mime_type' is not a media type name: it is not of the form type/subtype "
         "(RFC 6838 §4.2)")]


# --- hashes (§2.7: each value in its algorithm's format) ----------------------------------------


@pytest.mark.parametrize("hashes", [
    {"SSDEEP": "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx"
               ":sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO"},
    {"SSDEEP": "3::"},
    {"TLSH": "T1" + "A" * 70}, {"TLSH": "0" * 70}, {"SHA3-256": "f" * 64},
    {"x_acme_hash": "anything at all"},
])
def test_hash_in_its_algorithms_format_is_accepted(hashes: dict[str, str]) -> None:
    assert validate(sco("file", hashes=hashes)) == []


@pytest.mark.parametrize(("name", "digest", "form"), [
    ("SSDEEP", "not-an-ssdeep", "an ssdeep digest, blocksize:hash:hash"),
    ("SSDEEP", '96:abc:def,"sample.exe"', "an ssdeep digest, blocksize:hash:hash"),
    ("TLSH", "T1" + "A" * 69, "a TLSH digest, 70 hexadecimal digits after an optional 'T1'"),
    ("TLSH", "Z" * 70, "a TLSH digest, 70 hexadecimal digits after an optional 'T1'"),
    ("SHA3-512", "f" * 127, "128 hexadecimal digits"),
])
def test_hash_not_in_its_algorithms_format_is_refused(name: str, digest: str, form: str) -> None:
    assert [(v.property, v.rule, v.message.split(", not ")[0]) for v in validate(
        sco("file", hashes={name: digest}))] == [
        (f"hashes.{name}", "value-format", f"'hashes.{name}' must be {form}")]


# --- IP addresses (§6.8, §6.9: an address or a CIDR block) --------------------------------------


@pytest.mark.parametrize(("object_type", "value"), [
    ("ipv4-addr", "198.51.100.0/255.255.255.0"),  # a netmask, not a prefix length
    ("ipv4-addr", "198.51.100.0/024"), ("ipv4-addr", "198.51.100.0/+24"),
    ("ipv4-addr", "198.51.100[.]1"), ("ipv6-addr", "2001:db8::/ffff::"),
])
def test_ip_address_value_is_an_address_or_cidr_block(object_type: str, value: str) -> None:
    assert [(v.property, v.rule) for v in validate(sco(object_type, value=value))] == [
        ("value", "value-format")]


def test_defanged_ip_address_is_refused_with_a_hint() -> None:
    (violation,) = validate(sco("ipv4-addr", value="198.51.100[.]1"))
    assert violation.message.endswith("(defanged?)")


@pytest.mark.parametrize(("object_type", "value"), [
    ("ipv4-addr", "198.51.100.7"), ("ipv4-addr", "198.51.100.0/24"),
    ("ipv6-addr", "2001:db8::/32"), ("ipv6-addr", "fe80::1%eth0"),
])
def test_ip_addresses_and_cidr_blocks_are_accepted(object_type: str, value: str) -> None:
    assert validate(sco(object_type, value=value)) == []
