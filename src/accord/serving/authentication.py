"""Who is calling, the same way on every interface (TAXII, the REST API, the web sign-in).

The order of checks is the point. The credential is looked up first, always (one digest, one
query, whatever is wrong with it); a valid token is served even while its address is
throttled, so an attacker sharing an address (a NAT, a proxy) cannot lock its holder out.
Only a failure is counted against the source, and only a failure is answered 429 once the
source has failed too often. That the 429 comes after the look-up gives a guesser nothing:
tokens and session secrets carry 256 random bits, so even a billion guesses a second for a
century would find one with odds below 2^-160 — the throttle bounds the noise and the work a
failing source causes, and tells a misconfigured client to stop; entropy stops guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.serving.refusals import Attempt
from accord.trust.access import Principal
from accord.trust.credentials import Credential

if TYPE_CHECKING:
    from accord.node import Node


@dataclass(frozen=True, slots=True)
class Refused:
    """Not authenticated: answer 401, or 429 with `retry_after` seconds when throttled."""

    retry_after: int = 0

    @property
    def is_throttled(self) -> bool:
        return self.retry_after > 0

    @property
    def throttled_words(self) -> str:
        """What TAXII and the REST API say with their 429."""
        return (f"too many failed authentications from your address: try again in "
                f"{self.retry_after} s (a valid token is still served)")


def authenticate(node: Node, credential: Credential, *, source: str | None, via: str,
                 method: str, path: str | Callable[[], str],
                 look_up: Callable[[str], Principal | None] | None = None
                 ) -> Principal | Refused:
    """The holder of the credential, or why not (the failure counted and recorded).
    `path`: the request's, or how to make it (only a refusal records it).
    `look_up`: how the secret is looked up, when not by `Directory.principal` alone (TAXII
    reads the grant on the URL's collection in the same statement)."""
    # Always the look-up, even for an empty secret: the same work for every refusal.
    principal = (look_up or node.directory.principal)(credential.secret)
    if principal is not None:
        return principal
    return Refused(node.refusals.refuse(Attempt(
        source, credential.form, via, method, path if isinstance(path, str) else path())))
