"""The observable values an object mentions, in canonical form — pure, no I/O.

Values come from cyber-observable objects, from the SCOs embedded in observed-data, and from
the comparisons of STIX indicator patterns. The common pattern — comparisons
`type:path = 'literal'` (or ISSUBSET) joined by AND, OR, FOLLOWEDBY and qualifiers — is read by
a scanner in microseconds; any other (IN lists, `*_ref.value` paths, odd spacing, …) is read by
the stix2-patterns grammar, which takes about a millisecond. Negated comparisons (`!=`,
`NOT =`, `NOT IN`) name values that are *not* seen, and are skipped.

Kinds: ipv4 and ipv6 (stored as network/prefix, so that an address finds the networks that
contain it), domain, url, email, md5, sha1, sha256, sha512, file-name, mutex.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from accord.stix.patterns import comparisons_of

# The longest value a look-up takes (characters): the API, the command line, the pages.
LONGEST_VALUE = 2048


class Value(NamedTuple):
    """One observable value in the form the index keeps (a tuple: made a million times on a
    bulk load, where a frozen dataclass costs three times as much)."""

    kind: str
    value: str


HASH_KINDS = {"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256",
              "SHA256": "sha256", "SHA-512": "sha512", "SHA512": "sha512"}
HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_HEX = re.compile(r"^[0-9a-fA-F]+$")

# `type:path OP 'literal'`; OP is = or ISSUBSET, not preceded by NOT; literal with \' escapes.
# Linear: a match starts only where a type name starts, and nothing is tried twice (possessive);
# otherwise a run of letters in a literal (`LIKE 'xxx…'`) is rescanned from each of its letters,
# and a valid 16,000-character pattern took 5 s to scan.
_COMPARISON = re.compile(
    r"(?<![a-z0-9-])([a-z0-9-]++):([A-Za-z0-9_.'\-\[\]*]++)\s++(NOT\s++)?(=|ISSUBSET)\s++"
    r"'((?:[^'\\]++|\\.)*+)'"
)


# What may stand between comparisons in a pattern the scanner reads whole; anything else is
# left to the grammar.
_BETWEEN = re.compile(
    r"(?:\s|[\[\]()]|AND|OR|FOLLOWEDBY|WITHIN\s+\d+(?:\.\d+)?\s+SECONDS"
    r"|REPEATS\s+\d+\s+TIMES|START\s+t'[^']*'\s+STOP\s+t'[^']*')*+"
)
# `…_ref.value`, `…_refs[*].value`, `…_refs.*.value`: the value of a referenced SCO.
_REFERENCE_VALUE = re.compile(r"_refs?(?:\[[^\]]*\]|\.\*|\.\d+)?\.value$")
# `[type:path = 'literal']` alone, the literal without quotes or escapes in it.
_SINGLE = re.compile(r"^\[([a-z0-9-]+):([A-Za-z0-9_.'\-]+) = '([^'\\]*)'\]$")
_QUOTED = re.compile(r"'((?:[^'\\]++|\\.)*+)'")

# Dotted quads without leading zeros (an octet such as "010" is ambiguous: octal to some).
_IPV4 = re.compile(r"^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})"
                   r"(?:/(\d{1,2}))?$")


def network(text: str) -> Value | None:
    """An address or network as (ipv4|ipv6, 'hexnetwork/prefix'); None if it is neither."""
    m = _IPV4.match(text.strip())
    if m is not None:  # the common case, ten times faster than the ipaddress module
        a, b, c, d, prefix = m.groups()
        first, second, third, fourth = int(a), int(b), int(c), int(d)
        length = 32 if prefix is None else int(prefix)
        if first > 255 or second > 255 or third > 255 or fourth > 255 or length > 32:
            return None
        number = (first << 24) | (second << 16) | (third << 8) | fourth
        number = number >> (32 - length) << (32 - length) if length else 0
        return Value("ipv4", f"{number:08x}/{length}")
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    width = 8 if net.version == 4 else 32
    return Value(f"ipv{net.version}",
                 f"{int(net.network_address):0{width}x}/{net.prefixlen}")


def network_range(net: Value) -> tuple[str, str]:
    """The lowest and highest address of a network, as the index spells addresses."""
    hex_part, _, prefix = net.value.partition("/")
    bits = 32 if net.kind == "ipv4" else 128
    low = int(hex_part, 16)
    high = low | ((1 << (bits - int(prefix))) - 1)
    return f"{low:0{len(hex_part)}x}", f"{high:0{len(hex_part)}x}"


# Networks broader than these say nothing of an address inside them: an IPv4 /8 is the most
# ever assigned to one organisation (and what IANA hands a regional registry), an IPv6 /32
# what a registry allocates to one ISP. An indicator for a broader network (0.0.0.0/0, a /4)
# is stored and shown, flagged, but a look-up lists it apart instead of as a match; a look-up
# of such a network does not search what lies inside it. docs/correlation.md says why.
BROADEST_PREFIX = {"ipv4": 8, "ipv6": 32}


def is_over_broad(value: Value) -> bool:
    """Is `value` a network broader than BROADEST_PREFIX allows (e.g. 0.0.0.0/0)?"""
    broadest = BROADEST_PREFIX.get(value.kind)
    return broadest is not None and int(value.value.rpartition("/")[2]) < broadest


def over_broad_note(values: Iterable[Value]) -> str | None:
    """What to tell the poster of an object that names over-broad networks (None: none)."""
    broad = sorted(network_text(v) for v in values if is_over_broad(v))
    if not broad:
        return None
    return (f"stored, but {', '.join(broad)} is broader than an IPv4 /8 or an IPv6 /32 "
            "(over-broad): look-ups list it apart, flagged, not as a match of every address "
            "inside it")


def network_text(value: Value) -> str:
    """A network as people write it: 'c0a80000/16' as '192.168.0.0/16', 'c6336407/32' as
    '198.51.100.7'."""
    hex_part, _, prefix = value.value.partition("/")
    number = int(hex_part, 16)
    address = (ipaddress.IPv4Address(number) if value.kind == "ipv4"
               else ipaddress.IPv6Address(number))
    return str(address) if int(prefix) == address.max_prefixlen else f"{address}/{prefix}"


def value_text(value: Value) -> str:
    """A value as people write it: an address or network in its usual form (not the index's
    'c6336407/32'), any other value as it is."""
    return network_text(value) if value.kind in ("ipv4", "ipv6") else value.value


def containing_networks(address: Value) -> list[Value]:
    """Every network, down to the address itself, that contains `address` (a /32 or /128)."""
    hex_part, _, prefix = address.value.partition("/")
    bits = 32 if address.kind == "ipv4" else 128
    number, width = int(hex_part, 16), len(hex_part)
    found = []
    for length in range(int(prefix), -1, -1):
        masked = number >> (bits - length) << (bits - length) if length else 0
        found.append(Value(address.kind, f"{masked:0{width}x}/{length}"))
    return found


def canonical(kind: str, raw: str) -> Value | None:
    """`raw` as a value of `kind` in the form the index keeps, or None if it is not one."""
    text = raw.strip()
    if not text:
        return None
    if kind in ("ipv4", "ipv6"):
        return network(text)
    if kind in HASH_LENGTHS:
        if len(text) != HASH_LENGTHS[kind] or not _HEX.match(text):
            return None
        return Value(kind, text.lower())
    if kind in ("domain", "email"):
        return Value(kind, text.lower().rstrip("."))
    if kind == "url":
        return Value(kind, normal_url(text))
    return Value(kind, text)


_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", re.DOTALL)


def normal_url(text: str) -> str:
    """A URL as the index keeps it (RFC 3986 §6.2.2–6.2.3): scheme and host in lower case,
    no default port, an empty path as "/". Path, query and fragment keep their case."""
    m = _URL.match(text)
    if m is None:
        return text
    scheme, authority, rest = m.group(1).lower(), m.group(2), m.group(3)
    userinfo, at, host = authority.rpartition("@")
    host = host.lower()
    if not host.endswith("]"):  # an IPv6 literal holds colons of its own
        name, colon, port = host.rpartition(":")
        if colon and port == _DEFAULT_PORTS.get(scheme):
            host = name
    return f"{scheme}://{userinfo}{at}{host}{rest or '/'}"


# How reports and tickets write indicators so that nothing makes them a live link:
# 198.51.100[.]7, hxxps://c2[.]example[/]x, admin[@]example[.]org, c2(dot)example.
_DEFANGED = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|\[://\]|\[/\]|\[@\]|\[at\]"
                       r"|\(at\)", re.IGNORECASE)
_UNDONE = {"[.]": ".", "(.)": ".", "{.}": ".", "[dot]": ".", "(dot)": ".", "[:]": ":",
           "[://]": "://", "[/]": "/", "[@]": "@", "[at]": "@", "(at)": "@"}
# Where a URL's scheme ends ("://", or a defanged "[://]", "[:]//"), and its host: at the
# first "/" (or a defanged "[/]"), "?" or "#".
_SCHEME_END = re.compile(r"\[://\]|\[:\]//|://")
_HOST_END = re.compile(r"\[/\]|[/?#]")
_DEFANGED_SCHEME = re.compile(r"(?:hxxp|h\*\*p)(s?)|fxp", re.IGNORECASE)


def refanged(text: str) -> str:
    """A value as it was before it was defanged (198.51.100[.]7 → 198.51.100.7, hxxp:// →
    http://); any other text as it is. A URL whose scheme and host show no defanging is a URL
    as it is: its path may hold "[.]" or "(at)" of its own."""
    scheme = _SCHEME_END.search(text)
    if scheme is not None:
        named = text[:scheme.start()]
        rest = text[scheme.end():]
        ends = _HOST_END.search(rest)
        host = rest if ends is None else rest[:ends.start()]
        if not (_DEFANGED_SCHEME.fullmatch(named) or _DEFANGED.search(host)
                or scheme.group(0) != "://"):
            return text
        live = _DEFANGED_SCHEME.sub(
            lambda m: "ftp" if m.group(0).lower() == "fxp" else f"http{m.group(1)}", named)
        return live + "://" + _DEFANGED.sub(lambda m: _UNDONE[m.group(0).lower()], rest)
    return _DEFANGED.sub(lambda m: _UNDONE[m.group(0).lower()], text)


def guess(text: str) -> list[Value]:
    """What a value a user typed could be: an address or network, a hash, a URL, …; typed
    with an East Asian input method's full-width characters (１９８．５１．１００．７) too,
    or defanged as reports write them (198.51.100[.]7, hxxp://)."""
    text = refanged(unicodedata.normalize("NFKC", text).strip())
    found = network(text)
    if found is not None:
        return [found]
    if _HEX.match(text):
        kinds = [k for k, n in HASH_LENGTHS.items() if n == len(text)]
        return [Value(k, text.lower()) for k in kinds]
    if "://" in text:
        return [Value("url", normal_url(text))]
    if "@" in text:
        return [Value("email", text.lower())]
    values = [Value("file-name", text), Value("mutex", text)]
    if "." in text and " " not in text:
        values.insert(0, Value("domain", text.lower().rstrip(".")))
    return values


def _sco_values(obj: Mapping[str, Any]) -> Iterator[Value | None]:
    kind = obj.get("type")
    value = obj.get("value")
    if isinstance(value, str):
        if kind in ("ipv4-addr", "ipv6-addr"):
            yield network(value)
        elif kind == "domain-name":
            yield canonical("domain", value)
        elif kind == "url":
            yield canonical("url", value)
        elif kind == "email-addr":
            yield canonical("email", value)
    if kind == "file":
        hashes = obj.get("hashes")
        if isinstance(hashes, dict):
            for name, digest in hashes.items():
                kind_of_hash = HASH_KINDS.get(str(name).upper())
                if kind_of_hash is not None and isinstance(digest, str):
                    yield canonical(kind_of_hash, digest)
        if isinstance(obj.get("name"), str):
            yield canonical("file-name", obj["name"])
    if kind == "mutex" and isinstance(obj.get("name"), str):
        yield canonical("mutex", obj["name"])


_PATH_KINDS = {
    ("ipv4-addr", "value"): "ipv4", ("ipv6-addr", "value"): "ipv6",
    ("domain-name", "value"): "domain", ("url", "value"): "url",
    ("email-addr", "value"): "email", ("file", "name"): "file-name",
    ("mutex", "name"): "mutex",
}


def _pattern_values(pattern: str) -> Iterator[Value | None]:
    single = _SINGLE.match(pattern)
    if single is not None:  # most indicators: one comparison, nothing else
        sco, path, literal = single.groups()
        kind = _PATH_KINDS.get((sco, path))
        if kind is None and sco == "file" and path.startswith("hashes."):
            kind = HASH_KINDS.get(path[len("hashes."):].strip("'").upper())
        if kind is not None:
            yield canonical(kind, literal)
            return
    if _BETWEEN.fullmatch(_COMPARISON.sub("", pattern)) is None:
        yield from _grammar_values(pattern)
        return
    for m in _COMPARISON.finditer(pattern):
        sco, path, negated, _operator, literal = m.groups()
        if negated:
            continue
        text = literal.replace("\\'", "'").replace("\\\\", "\\")
        kind = _PATH_KINDS.get((sco, path))
        if kind is None and sco == "file" and path.startswith("hashes."):
            kind = HASH_KINDS.get(path[len("hashes."):].strip("'").upper())
        if kind is not None:
            yield canonical(kind, text)
        elif _REFERENCE_VALUE.search(path):
            yield _referenced(text)


def _grammar_values(pattern: str) -> Iterator[Value | None]:
    for sco, path, operator, literal in comparisons_of(pattern):
        if operator not in ("=", "IN", "ISSUBSET"):
            continue  # negated, ordering, LIKE, MATCHES: no value that was seen
        texts = [m.group(1).replace("\\'", "'").replace("\\\\", "\\")
                 for m in _QUOTED.finditer(literal)]
        if len(path) == 1:
            kind = _PATH_KINDS.get((sco, path[0]))
        elif sco == "file" and path[0] == "hashes":
            kind = HASH_KINDS.get(path[1].upper())
        elif _REFERENCE_VALUE.search(".".join(path)):
            # A referenced SCO's value (network-traffic:dst_ref.value, email-message:from_ref
            # .value): its type is not named, so it is read from the value itself.
            for text in texts:
                yield _referenced(text)
            continue
        else:
            kind = None
        if kind is not None:
            for text in texts:
                yield canonical(kind, text)


def _referenced(text: str) -> Value | None:
    found = network(text)
    if found is not None:
        return found
    if "://" in text:
        return canonical("url", text)
    if "@" in text:
        return canonical("email", text)
    if "." in text and " " not in text.strip():
        return canonical("domain", text)
    return None


def values_in(obj: Mapping[str, Any]) -> set[Value]:
    """Every observable value `obj` mentions, canonical, without repeats."""
    found: list[Value | None] = []
    kind = obj.get("type")
    if kind == "indicator" and obj.get("pattern_type") == "stix":
        pattern = obj.get("pattern")
        if isinstance(pattern, str):
            found += _pattern_values(pattern)
    elif kind == "observed-data" and isinstance(obj.get("objects"), dict):
        for embedded in obj["objects"].values():
            if isinstance(embedded, dict):
                found += _sco_values(embedded)
    else:
        found += _sco_values(obj)
    return {v for v in found if v is not None}
