import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.correlation.values import (
    Value,
    containing_networks,
    guess,
    network,
    network_range,
    refanged,
    values_in,
)

SHA256 = "a" * 64


def indicator(pattern: str) -> dict:
    return {"type": "indicator", "pattern_type": "stix", "pattern": pattern}


def test_values_from_indicator_patterns():
    found = values_in(indicator(
        "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'Evil.Example.COM.'] "
        f"OR [file:hashes.'SHA-256' = '{SHA256.upper()}'] OR [url:value = 'http://x/\\'y'] "
        "OR [email-addr:value = 'Boss@Example.org'] OR [ipv6-addr:value = '2001:db8::/32']"))
    assert found == {
        Value("ipv4", "c6336407/32"), Value("domain", "evil.example.com"),
        Value("sha256", SHA256), Value("url", "http://x/'y"),
        Value("email", "boss@example.org"), Value("ipv6", "20010db8" + "0" * 24 + "/32"),
    }


def test_negated_comparisons_and_other_pattern_languages_are_not_mentions():
    assert values_in(indicator("[ipv4-addr:value != '198.51.100.7']")) == set()
    assert values_in(indicator("[ipv4-addr:value NOT = '198.51.100.7']")) == set()
    assert values_in({"type": "indicator", "pattern_type": "snort",
                      "pattern": "[ipv4-addr:value = '198.51.100.7']"}) == set()


def test_hashes_of_the_wrong_length_are_ignored():
    assert values_in(indicator("[file:hashes.MD5 = 'abc']")) == set()


def test_values_from_observables_and_observed_data():
    assert values_in({"type": "ipv4-addr", "value": "203.0.113.0/24"}) == {
        Value("ipv4", "cb007100/24")}
    assert values_in({"type": "file", "hashes": {"sha-1": "b" * 40}, "name": "x.exe"}) == {
        Value("sha1", "b" * 40), Value("file-name", "x.exe")}
    observed = {"type": "observed-data", "objects": {"0": {"type": "domain-name",
                                                           "value": "c2.example"}}}
    assert values_in(observed) == {Value("domain", "c2.example")}


def test_an_address_is_inside_every_network_up_to_the_whole_space():
    nets = containing_networks(network("10.1.2.3"))
    assert nets[0] == Value("ipv4", "0a010203/32") and nets[-1] == Value("ipv4", "00000000/0")
    assert Value("ipv4", "0a000000/8") in nets and len(nets) == 33


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_an_address_lies_in_the_range_of_its_networks(address, prefix):
    net = network(f"{address}/{prefix}")
    low, high = network_range(net)
    spelled = network(str(address)).value.split("/")[0]
    assert low <= spelled <= high
    assert net in containing_networks(network(str(address)))


@pytest.mark.parametrize("text, kinds", [
    ("198.51.100.1", ["ipv4"]), ("2001:db8::1", ["ipv6"]), ("d" * 32, ["md5"]),
    ("e" * 64, ["sha256"]), ("http://evil.example/x", ["url"]), ("a@b.example", ["email"]),
    ("evil.example", ["domain", "file-name", "mutex"]),
])
def test_what_a_typed_value_is_read_as(text, kinds):
    assert [v.kind for v in guess(text)] == kinds


def test_a_value_typed_in_full_width_characters_is_read_as_its_ascii():
    # An East Asian input method types １９８．５１．１００．７ unless switched to half width.
    assert guess("１９８．５１．１００．７") == guess("198.51.100.7")
    assert guess("ｈｔｔｐ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ／ｘ") == guess("http://evil.example/x")


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_the_fast_ipv4_reader_agrees_with_the_ipaddress_module(address, prefix):
    import ipaddress

    for text in (str(address), f"{address}/{prefix}"):
        net = ipaddress.ip_network(text, strict=False)
        assert network(text) == Value("ipv4", f"{int(net.network_address):08x}/{net.prefixlen}")


@pytest.mark.parametrize("text", ["256.1.1.1", "1.2.3.4/33", "01.2.3.4", "1.2.3", "x.1.2.3"])
def test_malformed_addresses_are_not_values(text):
    assert network(text) is None


@pytest.mark.parametrize("pattern, expected", [
    # what the scanner does not read whole is read by the stix2-patterns grammar
    ("[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')]",
     {("ipv4", "c6336401/32"), ("ipv4", "c6336402/32")}),
    ("[ipv4-addr:value='198.51.100.3']", {("ipv4", "c6336403/32")}),
    ("[network-traffic:dst_ref.value = '198.51.100.4' AND network-traffic:dst_port = 443]",
     {("ipv4", "c6336404/32")}),
    ("[email-message:from_ref.value = 'Spy@Evil.example']", {("email", "spy@evil.example")}),
    ("[email-message:to_refs[*].value = 'a@b.example']", {("email", "a@b.example")}),
    ("[network-traffic:dst_ref.value = 'c2.evil.example']", {("domain", "c2.evil.example")}),
    ("[ipv4-addr:value NOT IN ('198.51.100.5')]", set()),
    ("[url:value LIKE 'http://evil.example/%']", set()),
    ("[domain-name:value = 'evil.example'] REPEATS 5 TIMES WITHIN 300 SECONDS",
     {("domain", "evil.example")}),
])
def test_every_way_of_writing_a_comparison_is_read(pattern, expected):
    assert {(v.kind, v.value) for v in values_in(indicator(pattern))} == expected


@pytest.mark.parametrize("raw, kept", [
    ("HTTP://Evil.EXAMPLE:80", "http://evil.example/"),
    ("https://evil.example:443/Path?Q=1", "https://evil.example/Path?Q=1"),
    ("https://evil.example:8443/x", "https://evil.example:8443/x"),
    ("http://User@Evil.example/", "http://User@evil.example/"),
    ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
])
def test_urls_are_compared_in_normal_form(raw, kept):
    assert values_in({"type": "url", "value": raw}) == {Value("url", kept)}


def test_reading_a_long_pattern_takes_time_in_proportion_to_it():
    # The comparison scanner once restarted in every letter of a literal it could not read
    # (`LIKE 'xxx…'`): 16,000 characters took 5 s, 32,000 about 20 s.
    import time

    from accord.stix.limits import MAX_PATTERN_LENGTH

    tail = "x" * (MAX_PATTERN_LENGTH - 100)
    started = time.perf_counter()
    found = values_in(indicator(f"[file:size = 1 AND file:name LIKE '{tail}']"))
    assert time.perf_counter() - started < 2  # about 0.1 s now
    assert found == set()


@pytest.mark.parametrize(("text", "broad"), [
    ("0.0.0.0/0", True), ("224.0.0.0/4", True), ("128.0.0.0/7", True), ("10.0.0.0/8", False),
    ("198.51.100.7", False), ("::/0", True), ("2000::/3", True), ("2001:db8::/31", True),
    ("2001:db8::/32", False), ("2001:db8::1", False),
])
def test_networks_broader_than_an_ipv4_8_or_an_ipv6_32_are_over_broad(text, broad):
    from accord.correlation.values import is_over_broad

    assert is_over_broad(network(text)) is broad


def test_an_over_broad_network_is_named_as_people_write_it():
    from accord.correlation.values import network_text, over_broad_note

    note = over_broad_note(values_in(indicator(
        "[ipv4-addr:value ISSUBSET '0.0.0.0/0'] OR [ipv6-addr:value ISSUBSET '2000::/3'] "
        "OR [ipv4-addr:value = '198.51.100.7']")))
    assert note is not None and "0.0.0.0/0, 2000::/3 is broader" in note
    assert over_broad_note(values_in(indicator("[ipv4-addr:value = '10.0.0.0/8']"))) is None
    assert network_text(network("198.51.100.7")) == "198.51.100.7"


@pytest.mark.parametrize(("defanged", "live"), [
    ("10[.]200[.]3[.]7", "10.200.3.7"),
    ("203.0.113(.)0[/]24", "203.0.113.0/24"),
    ("hxxp://c2.common[.]example/a", "http://c2.common.example/a"),
    ("hXXps[:]//c2[.]example[/]x", "https://c2.example/x"),
    ("fxp[://]files{.}example", "ftp://files.example"),
    ("admin[@]example[.]org", "admin@example.org"),
    ("admin(at)example(dot)org", "admin@example.org"),
    ("c2[dot]example", "c2.example"),
])
def test_a_defanged_value_is_read_as_the_value(defanged, live):
    # As reports and tickets write indicators (MISP and OpenCTI users paste them so).
    assert guess(defanged) == guess(live)


def test_what_is_not_defanged_is_read_as_typed():
    assert refanged("http://[::1]/x") == "http://[::1]/x"  # an IPv6 URL's brackets
    assert refanged("evil[1].exe") == "evil[1].exe"
    assert refanged("hxxpd.example") == "hxxpd.example"  # a scheme only before its colon
    # A live URL's path may hold what defanging writes: it is the URL as it is.
    assert refanged("http://example.org/a[.]b(at)c") == "http://example.org/a[.]b(at)c"
    # A defanged one is defanged throughout.
    assert refanged("hxxps://evil[.]example/index[.]php") == "https://evil.example/index.php"
