"""`accord serve`'s options for failed authentications: the allowance per client address, and
the reverse proxies whose X-Forwarded-For may name the client."""

from __future__ import annotations

import ipaddress

from accord.cli.common import fail
from accord.durations import DurationError, parse_duration
from accord.node import Node, throttle_limits


def keep_allowance(node: Node, failures: int | None, refill: str | None) -> None:
    """Store the allowance given (kept for later runs, read by every worker) and apply it."""
    if refill is not None:
        try:
            seconds = parse_duration(refill).total_seconds()
        except DurationError as error:
            raise fail(f"--auth-failure-refill: {error}") from None
        if seconds <= 0:
            raise fail(f"--auth-failure-refill {refill!r}: give a duration longer than zero")
        node.directory.set_setting("auth_failure_refill", repr(seconds))
    if failures is not None:
        node.directory.set_setting("auth_failures", str(failures))
    node.refusals.set_throttle(throttle_limits(node.directory))


def trusted_proxies(given: list[str] | None) -> list[str]:
    """The networks given with --trusted-proxy, checked. None given: X-Forwarded-For is
    ignored and the client is whoever opened the connection."""
    networks = []
    for value in given or []:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise fail(f"--trusted-proxy {value!r}: give an address or a network, such as "
                       "127.0.0.1 or 10.0.0.0/8") from None
    return networks
