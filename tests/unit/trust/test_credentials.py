"""The credential an Authorization header carries: its form, and the secret (never shown)."""

from __future__ import annotations

import base64

import pytest

from accord.trust.credentials import Credential, from_authorization

SECRET = "accord_s3cretThatMustNotBePrinted"


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("header", "form", "secret"), [
    (None, "none", ""),
    (f"Bearer {SECRET}", "bearer", SECRET),
    (f"bearer   {SECRET} ", "bearer", SECRET),
    (f"Token {SECRET}", "token", SECRET),
    (basic(f"cncert:{SECRET}"), "basic", SECRET),
    (basic(f":{SECRET}"), "basic", SECRET),
    ("", "malformed", ""),
    ("Bearer", "malformed", ""),
    ("Bearer   ", "malformed", ""),
    ("Basic !!!", "malformed", ""),
    (basic("cncert:"), "malformed", ""),
    (basic(SECRET), "malformed", ""),  # no colon: a user name, no password
    ("Basic " + base64.b64encode(b"\xff:\xfe").decode(), "malformed", ""),
    ("Basic é", "malformed", ""),  # a header Starlette read as Latin-1: not base64
    (f"Digest {SECRET}", "malformed", ""),
])
def test_each_header_is_a_credential_of_a_named_form(header, form, secret):
    assert from_authorization(header) == Credential(form, secret)


def test_a_credential_never_shows_its_secret():
    credential = from_authorization(f"Bearer {SECRET}")
    assert SECRET not in repr(credential) and SECRET not in str(credential)
