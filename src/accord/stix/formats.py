"""The syntax of the strings STIX 2.1 takes from other standards: URIs (RFC 3986), e-mail
addresses (RFC 5322), domain names (RFC 1034, RFC 5890) and media types (RFC 6838).

Each `*_problem(text)` returns None for a well-formed value, else why it is not one, in words
that fit after "'value' is not …: ". Values that look defanged (`[.]`, `hxxp`) say so: they are
the commonest way real indicators break these rules.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

# --- defanging ----------------------------------------------------------------------------------

# The usual ways analysts make an indicator unclickable: bracketed dots, at-signs and colons,
# and the schemes hxxp(s) and fxp.
_DEFANGED = re.compile(r"[\[({](?:\.|dot|@|at|:|://)[\])}]|^(?:hxxps?|fxps?)(?::|\[)", re.I)
_DEFANGED_SCHEMES = {"hxxp": "http", "hxxps": "https", "fxp": "ftp", "fxps": "ftps"}


def looks_defanged(text: str) -> bool:
    return _DEFANGED.search(text) is not None


def _hint(text: str) -> str:
    return " (defanged?)" if looks_defanged(text) else ""


def defanging(uri: str) -> str | None:
    """How a well-formed URI is defanged ("the scheme 'hxxp' stands for 'http'"), or None.

    RFC 3986 allows "(" and ")" in a host and any scheme name, so some defanged URLs are
    well-formed URIs: they still locate nothing."""
    scheme = uri.partition(":")[0]
    meant = _DEFANGED_SCHEMES.get(scheme.lower())
    if meant is not None:
        return f"the scheme '{scheme}' stands for '{meant}'"
    if "(" not in uri:  # in a well-formed URI, only "(.)" and the like can be defanging
        return None
    # Only the host: a path or query may hold "(at)" and mean it.
    authority = _COMPONENTS.match(uri).group(2)  # type: ignore[union-attr]
    marker = _DEFANGED.search(authority) if authority else None
    if marker is not None:
        return f"{marker.group()!r} in the host stands for {marker.group()[1:-1]!r}"
    return None


# --- RFC 3986 URIs ------------------------------------------------------------------------------

_UNRESERVED_SUB_DELIMS = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"


def _run(characters: str) -> str:
    """Any number of `characters` and percent-encodings; possessive, so it never backtracks."""
    return rf"(?:[{characters}]++|{_PCT})*+"


_PCHAR = rf"(?:[{_UNRESERVED_SUB_DELIMS}:@]|{_PCT})"
_SEGMENTS = rf"(?:/{_run(_UNRESERVED_SUB_DELIMS + ':@')})*+"
_QUERY = _run(_UNRESERVED_SUB_DELIMS + ":@/?")
# RFC 3986 §3: scheme ":" hier-part ["?" query] ["#" fragment]. An IP-literal host is matched
# loosely here and its address checked with `ipaddress` afterwards.
_URI = re.compile(
    rf"^[A-Za-z][A-Za-z0-9+.\-]*+:"
    rf"(?://(?:{_run(_UNRESERVED_SUB_DELIMS + ':')}@)?"  # userinfo
    rf"(?P<host>\[[0-9A-Fa-f:.]++\]|\[v[0-9A-Fa-f]++\.[{_UNRESERVED_SUB_DELIMS}:]++\]"
    rf"|{_run(_UNRESERVED_SUB_DELIMS)})"
    rf"(?::[0-9]*+)?{_SEGMENTS}"  # port, path-abempty
    rf"|/(?:{_PCHAR}{_run(_UNRESERVED_SUB_DELIMS + ':@')}{_SEGMENTS})?"
    rf"|{_PCHAR}{_run(_UNRESERVED_SUB_DELIMS + ':@')}{_SEGMENTS}|)"  # path-absolute, -rootless
    rf"(?:\?{_QUERY})?(?:#{_QUERY})?\Z"
)
# RFC 3986 Appendix B: the components of any URI reference, well-formed or not.
_COMPONENTS = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?\Z",
                         re.S)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*\Z")
_PCT_PREFIX = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PORT = re.compile(r"^[0-9]*\Z")

_REG_NAME_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%")
_ALLOWED = {  # the characters of each component (§3.2.1–§3.5), '%' checked apart
    "userinfo": _REG_NAME_CHARACTERS | {":"},
    "host": _REG_NAME_CHARACTERS,
    "path": _REG_NAME_CHARACTERS | {":", "@", "/"},
    "query": _REG_NAME_CHARACTERS | {":", "@", "/", "?"},
    "fragment": _REG_NAME_CHARACTERS | {":", "@", "/", "?"},
}


def _character(char: str) -> str:
    if char.isspace():
        return "whitespace" if char != " " else "a space"
    return repr(char)


def _first_bad(part: str, where: str, text: str) -> str | None:
    allowed = _ALLOWED[where]
    for char in part:
        if char not in allowed:
            if ord(char) > 127:
                return (f"the non-ASCII character {char!r} in the {where} must be "
                        f"percent-encoded (RFC 3986 §2.1){_hint(text)}")
            what = _character(char)
            article = "a " if where in ("host", "path", "query", "fragment") else ""
            return f"{what} is not allowed in {article}{where}{_hint(text)}"
    if _PCT_PREFIX.search(part):
        return f"'%' in the {where} must start a percent-encoding such as %20 (RFC 3986 §2.1)"
    return None


def uri_problem(text: str) -> str | None:
    """Why `text` is not an RFC 3986 URI (scheme ":" hier-part …), or None when it is one."""
    match = _URI.match(text)
    if match is not None:
        host = match.group("host")
        if host and host.startswith("[") and not host.startswith("[v"):
            try:
                ipaddress.IPv6Address(host[1:-1])
            except ValueError:
                return f"{host} is not an IPv6 address (RFC 3986 §3.2.2)"
        return None
    return _uri_diagnosis(text)


def _uri_diagnosis(text: str) -> str:
    if not text:
        return "it is empty"
    scheme, authority, path, query, fragment = _COMPONENTS.match(text).groups()  # type: ignore[union-attr]
    if scheme is None:
        return f"it has no scheme such as 'https:'{_hint(text)}"
    if _SCHEME.match(scheme) is None:
        return (f"the scheme {scheme!r} must be a letter followed by letters, digits, '+', '-' "
                f"or '.'{_hint(text)}")
    if authority is not None:
        problem = _authority_problem(authority, text)
        if problem:
            return problem
    for part, where in ((path, "path"), (query, "query"), (fragment, "fragment")):
        if part:
            problem = _first_bad(part, where, text)
            if problem:
                return problem
    return f"it does not follow the RFC 3986 URI syntax{_hint(text)}"


def _authority_problem(authority: str, text: str) -> str | None:
    userinfo, at, host_port = authority.rpartition("@")
    if at:
        problem = _first_bad(userinfo, "userinfo", text)
        if problem:
            return problem
    if not host_port.startswith("["):
        host, colon, port = host_port.partition(":")
        if "[" in host_port or "]" in host_port:
            bracket = "[" if "[" in host_port else "]"
            return f"{bracket!r} is not allowed in a host{_hint(text)}"
        if colon and _PORT.match(port) is None:
            return f"the port {port!r} must be digits{_hint(text)}"
        return _first_bad(host, "host", text)
    host, bracket, after = host_port.partition("]")
    if not bracket:
        return f"'[' opens an IPv6 host that no ']' closes{_hint(text)}"
    if after and (not after.startswith(":") or _PORT.match(after[1:]) is None):
        return f"{after!r} after the host must be ':' and a port number{_hint(text)}"
    if _URI.match(f"x://{host}]") is None or uri_problem(f"x://{host}]") is not None:
        return f"{host}] is not an IPv6 address or IPvFuture literal (RFC 3986 §3.2.2)"
    return None


# --- RFC 5322 addr-spec -------------------------------------------------------------------------

# §3.2.3 atext, and with RFC 6532 any non-ASCII character; §3.4.1 addr-spec without the
# obsolete forms, which §4 forbids generating.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\U0010ffff]|\\[\x20-\x7e])*"'
_DOMAIN_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]*\]"
_ADDR_SPEC = re.compile(rf"^(?:{_DOT_ATOM}|{_QUOTED})@(?:{_DOT_ATOM}|{_DOMAIN_LITERAL})\Z")
_DISPLAY_NAME_FORM = re.compile(r"<[^<>]*@[^<>]*>\s*\Z")


def email_address_problem(text: str) -> str | None:
    """Why `text` is not one RFC 5322 addr-spec (local-part@domain), or None when it is one."""
    if _ADDR_SPEC.match(text) is not None:
        return None
    if _DISPLAY_NAME_FORM.search(text):
        return "it must be the address alone, without a display name (use 'display_name')"
    local, at, domain = text.rpartition("@")
    if not at:
        return f"it has no '@'{_hint(text)}"
    if not local:
        return "the part before '@' is empty"
    if not domain:
        return "the domain after '@' is empty"
    if looks_defanged(text):
        return "it is not local-part@domain (defanged?)"
    if any(char.isspace() for char in text):
        return "it contains whitespace"
    return "it is not local-part@domain as RFC 5322 §3.4.1 writes it"


# --- RFC 1034 / RFC 5890 domain names -----------------------------------------------------------

# The common case, all ASCII: labels of letters, digits, '-' and '_' (which DNS carries, in
# _dmarc or SRV names), no label starting or ending with '-'.
_ASCII_DOMAIN = re.compile(
    r"^(?=.{1,253}\.?\Z)(?:(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.?\Z")
_ASCII_LABEL = re.compile(r"^[A-Za-z0-9_-]+\Z")
# RFC 5892: U-labels hold letters, marks and digits (the PVALID code points, approximately).
_LABEL_CATEGORIES = frozenset({"Ll", "Lu", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd"})


def domain_name_problem(text: str) -> str | None:
    """Why `text` is not a domain name (RFC 1034 §3.5, IDN U-labels per RFC 5890), or None."""
    if _ASCII_DOMAIN.match(text) is not None and not _has_bad_a_label(text):
        return None
    if not text:
        return "it is empty"
    if "://" in text or "/" in text:
        return f"a domain name has no scheme or path (a 'url' object holds those){_hint(text)}"
    name = text[:-1] if text.endswith(".") else text
    length = 0
    for label in name.split("."):
        problem = _label_problem(label, text)
        if problem:
            return problem
        length += len(_a_label(label)) + 1
    if length - 1 > 253:
        return "it is longer than 253 characters (RFC 1034 §3.1)"
    return None


def _a_label(label: str) -> str:
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def _has_bad_a_label(text: str) -> bool:
    return "xn--" in text.lower() and any(
        _a_label_problem(label) for label in text.rstrip(".").split("."))


def _a_label_problem(label: str) -> str | None:
    if not label.lower().startswith("xn--"):
        return None
    try:
        label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return f"the label {label!r} is not valid punycode (RFC 5891 §5.4)"
    return None


def _label_problem(label: str, text: str) -> str | None:
    if not label:
        return f"it has an empty label (two dots in a row, or a leading dot){_hint(text)}"
    if label.startswith("-") or label.endswith("-"):
        return f"the label {label!r} starts or ends with '-'"
    if len(_a_label(label)) > 63:
        return f"the label {label!r} is longer than 63 characters (RFC 1034 §3.1)"
    if label.isascii():
        if _ASCII_LABEL.match(label) is None:
            bad = next(char for char in label if not (char.isalnum() or char in "-_"))
            return f"{_character(bad)} is not allowed in a domain name{_hint(text)}"
        return _a_label_problem(label)
    if unicodedata.category(label[0]) in ("Mn", "Mc"):
        return f"the label {label!r} starts with a combining mark (RFC 5891 §5.4)"
    for char in label:
        if char != "-" and unicodedata.category(char) not in _LABEL_CATEGORIES:
            return f"{_character(char)} is not allowed in a domain name{_hint(text)}"
    return None


# --- RFC 6838 media types -----------------------------------------------------------------------

# §4.2 restricted-name, for type and subtype; RFC 2045 §5.1 parameters after them.
_RESTRICTED_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&\-^_.+]{0,126}"
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z|~]+"
_MEDIA_TYPE = re.compile(
    rf"^{_RESTRICTED_NAME}/{_RESTRICTED_NAME}"
    rf'(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|"(?:[^"\\\r\n]|\\.)*"))*\Z')


def media_type_problem(text: str) -> str | None:
    """Why `text` is not a media type name type/subtype[; parameter=value], or None."""
    if _MEDIA_TYPE.match(text) is not None:
        return None
    if "/" not in text:
        return "it is not of the form type/subtype (RFC 6838 §4.2)"
    return ("type and subtype must each be a letter or digit followed by letters, digits and "
            "!#$&-^_.+ (RFC 6838 §4.2)")
