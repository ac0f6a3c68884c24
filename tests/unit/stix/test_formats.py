"""The syntaxes STIX takes from other standards: well-formed values pass, each malformed one is
told apart with a reason, and defanged values are recognised as such."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.stix.formats import (
    defanging,
    domain_name_problem,
    email_address_problem,
    looks_defanged,
    media_type_problem,
    uri_problem,
)
from accord.stix.properties import LANGUAGE_CODE

# --- RFC 3986 URIs ------------------------------------------------------------------------------

ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGIT = "0123456789"
UNRESERVED = ALPHA + DIGIT + "-._~"
SUB_DELIMS = "!$&'()*+,;="
HEX = DIGIT + "abcdefABCDEF"

percent_encoded = st.builds(lambda a, b: f"%{a}{b}", st.sampled_from(HEX), st.sampled_from(HEX))
pchar = st.one_of(st.sampled_from(UNRESERVED + SUB_DELIMS + ":@"), percent_encoded)
segment = st.lists(pchar, max_size=8).map("".join)
scheme = st.builds(lambda first, rest: first + rest, st.sampled_from(ALPHA),
                   st.text(ALPHA + DIGIT + "+-.", max_size=6))
reg_name = st.lists(st.one_of(st.sampled_from(UNRESERVED + SUB_DELIMS), percent_encoded),
                    max_size=12).map("".join)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda address: f"[{address}]")
host = st.one_of(reg_name, ipv4, ipv6)
port = st.one_of(st.just(""), st.integers(0, 65535).map(lambda number: f":{number}"))
path = st.lists(segment, max_size=4).map(lambda parts: "".join("/" + part for part in parts))
tail = st.lists(st.one_of(pchar, st.sampled_from("/?")), max_size=10).map("".join)
query = st.one_of(st.just(""), tail.map(lambda text: "?" + text))
fragment = st.one_of(st.just(""), tail.map(lambda text: "#" + text))
uris = st.builds(lambda s, h, p, pa, q, f: f"{s}://{h}{p}{pa}{q}{f}",
                 scheme, host, port, path, query, fragment)


@given(uris)
def test_uri_built_from_the_rfc_3986_grammar_is_well_formed(uri: str) -> None:
    assert uri_problem(uri) is None


@given(uris, st.sampled_from(' "<>\\^`{|}\t\né漢'), st.data())
def test_uri_with_a_character_rfc_3986_excludes_is_refused(uri: str, bad: str,
                                                          data: st.DataObject) -> None:
    position = data.draw(st.integers(len(uri.partition(":")[0]) + 1, len(uri)))
    assert uri_problem(uri[:position] + bad + uri[position:]) is not None


@pytest.mark.parametrize("uri", [
    "https://attack.mitre.org/techniques/T1566/001",
    "https://www.welivesecurity.com/wp-content/uploads/2017/07/ESET_Kasperagent.pdf",
    "http://84.38.133.149/img/icon.gif",
    "https://x.com/Evi1cg/status/935027922397573120",
    "mailto:soc@example.com", "urn:isbn:0451450523", "file:///C:/Windows/System32/cmd.exe",
    "http://[2001:db8::1]:8080/a?b=c#d", "ftp://user:pass@ftp.example.com/pub/x%20y.zip",
    "http://example.com?", "http://example.com#", "http://example.com:/",
])
def test_real_uris_are_well_formed(uri: str) -> None:
    assert uri_problem(uri) is None


@pytest.mark.parametrize(("uri", "reason"), [
    # Defanged, as public incident write-ups print them.
    ("http://84.38.133[.]149/img/icon.gif", "'[' is not allowed in a host (defanged?)"),
    ("hxxps://ptpb[.]pw/OAZG", "'[' is not allowed in a host (defanged?)"),
    ("", "it is empty"),
    ("example.com/index.html", "it has no scheme such as 'https:'"),
    ("1http://example.com/", "the scheme '1http' must be a letter"),
    ("https://example.com/a b", "a space is not allowed in a path"),
    ("https://example.com/été", "the non-ASCII character 'é' in the path must be percent-"),
    ("https://example.com/%E9t%", "'%' in the path must start a percent-encoding"),
    ("https://example.com:80a/", "the port '80a' must be digits"),
    ("http://[2001:db8::1/", "'[' opens an IPv6 host that no ']' closes"),
    ("http://[2001:db8::g]/", "[2001:db8::g] is not an IPv6 address"),
    ("http://[::1]x/", "after the host must be ':' and a port number"),
    ("https://example.com/?q=<script>", "'<' is not allowed in a query"),
    ("https://example.com/#a#b", "'#' is not allowed in a fragment"),
    ("https://exa mple.com/", "a space is not allowed in a host"),
    ("https://us er@example.com/", "a space is not allowed in userinfo"),
])
def test_malformed_uri_is_refused_with_its_reason(uri: str, reason: str) -> None:
    problem = uri_problem(uri)
    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(("uri", "how"), [
    ("hxxp://evil.example/a", "the scheme 'hxxp' stands for 'http'"),
    ("hXXps://evil.example/", "the scheme 'hXXps' stands for 'https'"),
    ("fxp://evil.example/", "the scheme 'fxp' stands for 'ftp'"),
    ("http://evil(.)example/x", "'(.)' in the host stands for '.'"),
    ("https://en.wikipedia.org/wiki/Contact_(at)_sign", None),
    ("https://hxxp.example/(a)", None),
])
def test_well_formed_but_defanged_uri_is_recognised(uri: str, how: str | None) -> None:
    assert uri_problem(uri) is None  # RFC 3986 allows these schemes and '(' in a host
    assert defanging(uri) == how


@pytest.mark.parametrize(("text", "defanged"), [
    ("198.51.100[.]1", True), ("evil(.)example", True), ("evil[dot]example", True),
    ("user[@]example.com", True), ("user[at]example.com", True), ("hxxp://x", True),
    ("http[:]//x", True), ("https://example.com/[x]", False), ("[2001:db8::1]", False),
])
def test_defanging_is_recognised(text: str, defanged: bool) -> None:
    assert looks_defanged(text) is defanged


# --- RFC 5322 addr-spec -------------------------------------------------------------------------

ATEXT = ALPHA + DIGIT + "!#$%&'*+/=?^_`{|}~-"
dot_atom = st.lists(st.text(ATEXT, min_size=1, max_size=8), min_size=1, max_size=3).map(
    ".".join)


@given(dot_atom, dot_atom)
def test_address_of_dot_atoms_is_an_addr_spec(local: str, domain: str) -> None:
    assert email_address_problem(f"{local}@{domain}") is None


@pytest.mark.parametrize("address", [
    "jane.smith@example.com", "o'brien+stix@example.ie", "a@localhost", '"jane smith"@x.com',
    "soc@[192.0.2.1]", "用户@例子.广告",
])
def test_real_addresses_are_addr_specs(address: str) -> None:
    assert email_address_problem(address) is None


@pytest.mark.parametrize(("address", "reason"), [
    ("Jane Smith <jane@example.com>", "it must be the address alone, without a display name"),
    ("jane@example[.]com", "it is not local-part@domain (defanged?)"),
    ("jane[@]example.com", "it is not local-part@domain (defanged?)"),
    ("jane[at]example[.]com", "it has no '@' (defanged?)"),
    ("jane", "it has no '@'"), ("@example.com", "the part before '@' is empty"),
    ("jane@", "the domain after '@' is empty"), ("jane doe@example.com", "it contains whitespace"),
    ("jane..doe@example.com", "it is not local-part@domain"),
    ("a@b@example.com", "it is not local-part@domain"),
])
def test_malformed_address_is_refused_with_its_reason(address: str, reason: str) -> None:
    problem = email_address_problem(address)
    assert problem is not None and reason in problem, problem


# --- RFC 1034 / RFC 5890 domain names -----------------------------------------------------------

label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9_-]{0,20}[a-z0-9])?\Z")


@given(st.lists(label, min_size=1, max_size=5), st.booleans())
def test_domain_of_ldh_labels_is_well_formed(labels: list[str], rooted: bool) -> None:
    assert domain_name_problem(".".join(labels) + ("." if rooted else "")) is None


@pytest.mark.parametrize("name", [
    "example.com", "ptpb.pw", "_dmarc.example.com", "r3---sn-abc.googlevideo.com",
    "bücher.example", "हिन्दी.भारत", "xn--h2brj9c.xn--h2brj9c8c", "例子.广告", "EXAMPLE.COM",
    "a" * 63 + ".example", "localhost",
])
def test_real_domain_names_are_well_formed(name: str) -> None:
    assert domain_name_problem(name) is None


@pytest.mark.parametrize(("name", "reason"), [
    ("ptpb[.]pw", "'[' is not allowed in a domain name (defanged?)"),
    ("evil(.)example", "'(' is not allowed in a domain name (defanged?)"),
    ("https://example.com/", "a domain name has no scheme or path"),
    ("", "it is empty"), ("a..example", "it has an empty label"),
    (".example", "it has an empty label"), ("-a.example", "the label '-a' starts or ends"),
    ("a-.example", "the label 'a-' starts or ends"), ("exa mple.com", "a space is not allowed"),
    ("a" * 64 + ".example", "the label 'aaaa"), ("ä" * 60 + ".example", "the label 'ää"),
    (".".join(["a" * 60] * 5), "it is longer than 253 characters"),
    ("xn--zz.example", "the label 'xn--zz' is not valid punycode"),
    ("\u0301a.example", "the label '\u0301a' starts with a combining mark"),
    ("evil★.example", "'★' is not allowed in a domain name"),
])
def test_malformed_domain_name_is_refused_with_its_reason(name: str, reason: str) -> None:
    problem = domain_name_problem(name)
    assert problem is not None and reason in problem, problem


# --- RFC 6838 media types -----------------------------------------------------------------------

restricted_name = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,30}\Z")


@given(restricted_name, restricted_name)
def test_type_and_subtype_of_restricted_names_are_a_media_type(kind: str, sub: str) -> None:
    assert media_type_problem(f"{kind}/{sub}") is None


@pytest.mark.parametrize("media_type", [
    "application/pdf", "application/x-dosexec", "text/plain; charset=utf-8",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    'multipart/mixed; boundary="----=_Part_0"', "image/svg+xml",
])
def test_real_media_types_are_well_formed(media_type: str) -> None:
    assert media_type_problem(media_type) is None


@pytest.mark.parametrize("media_type", [
    "PE32 executable (GUI) Intel 80386", "pdf", "application/", "/pdf", "application/p df",
    "application/pdf;", "text/plain; charset", "application/pdf/x",
])
def test_malformed_media_type_is_refused(media_type: str) -> None:
    assert media_type_problem(media_type) is not None


# --- RFC 5646 language tags ---------------------------------------------------------------------

language_tags = st.builds(
    lambda *parts: "-".join(part for part in parts if part),
    st.from_regex(r"\A(?:[a-z]{2,3}|[a-z]{5,8})\Z"),
    st.one_of(st.just(""), st.from_regex(r"\A[A-Z][a-z]{3}\Z")),  # script
    st.one_of(st.just(""), st.from_regex(r"\A(?:[A-Z]{2}|[0-9]{3})\Z")),  # region
    st.one_of(st.just(""), st.from_regex(r"\A(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3})\Z")),  # variant
    st.one_of(st.just(""), st.from_regex(r"\Au-[a-z0-9]{2,8}\Z")),  # extension
    st.one_of(st.just(""), st.from_regex(r"\Ax-[a-z0-9]{1,8}\Z")),  # private use
)


@given(language_tags)
def test_language_tag_built_from_the_rfc_5646_grammar_is_well_formed(tag: str) -> None:
    assert LANGUAGE_CODE.match(tag) is not None


@pytest.mark.parametrize("tag", ["en_US", "e", "en-", "en--us", "zh-Hant-TW-",
                                 "x", "de-419-x", "123"])
def test_malformed_language_tag_is_refused(tag: str) -> None:
    assert LANGUAGE_CODE.match(tag) is None


@pytest.mark.parametrize("problem", [uri_problem, email_address_problem, domain_name_problem,
                                     media_type_problem])
def test_long_malformed_value_is_judged_without_backtracking(problem: Any) -> None:
    started = time.perf_counter()
    for text in ("http://" + "a%41" * 50_000 + " ", "a." * 100_000 + "@", "a/" + "a" * 100_000
                 + "; x", "x@" + "a" * 100_000 + "[.]"):
        assert problem(text) is not None
    assert time.perf_counter() - started < 1.0
