"""The listener's limits: defaults, how operators write them, and how a node keeps them."""

from __future__ import annotations

import functools
import pickle
import ssl
from datetime import UTC, datetime

import pytest
from tests.tls_fixtures import self_signed

from accord.serving.admission import Admission, source_of
from accord.serving.limits import (
    KiB,
    LimitError,
    Limits,
    MiB,
    as_settings,
    from_settings,
    kept_limits,
    parse_size,
    with_given,
)
from accord.serving.listener import GuardedHttpProtocol, uvicorn_options
from accord.serving.tls import listener_tls


def test_the_defaults_suit_a_node_on_the_internet():
    limits = Limits()
    assert limits.idle_timeout <= 30 and limits.header_timeout <= 30
    assert limits.max_header_size == 64 * KiB
    # A 64 MiB envelope on a 1 Mbit/s link (128 KiB/s) arrives in 512 s: it is taken.
    assert limits.body_due(64 * MiB) >= 512
    assert limits.max_connections_per_source < limits.max_connections


@pytest.mark.parametrize(("text", "size"), [("65536", 65536), ("64KiB", 65536),
                                            ("64 kib", 65536), ("1MiB", MiB), ("1GiB", 1 << 30),
                                            ("12B", 12)])
def test_sizes_are_read_as_operators_write_them(text: str, size: int):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["64KB", "-1", "1.5MiB", "lots", ""])
def test_what_is_not_a_size_is_refused(text: str):
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


def test_a_slow_drip_body_is_due_after_the_grace_whatever_it_sends():
    limits = Limits(body_timeout=10, min_body_rate=128 * KiB)
    assert limits.body_due(0) == 10
    assert limits.body_due(128 * KiB) == 11
    assert limits.body_due(1000) < 10.01  # a kilobyte body dripped a byte a second: 10 s


def test_given_limits_replace_those_kept():
    limits = with_given(Limits(header_timeout=3), {"max_header_size": "8KiB",
                                                   "idle_timeout": "0.5s",
                                                   "max_connections": 10,
                                                   "body_timeout": None})
    assert (limits.max_header_size, limits.idle_timeout, limits.max_connections,
            limits.header_timeout, limits.body_timeout) == (8192, 0.5, 10, 3, 10)


@pytest.mark.parametrize(("given", "field", "words"), [
    ({"header_timeout": "soon"}, "header_timeout", "'soon' is not a duration"),
    ({"header_timeout": "0s"}, "header_timeout", "longer than 0"),
    ({"max_header_size": "100"}, "max_header_size", "at least 1KiB"),
    ({"min_body_rate": "fast"}, "min_body_rate", "'fast' is not a size"),
    ({"max_connections_per_source": 0}, "max_connections_per_source", "at least 1"),
])
def test_a_limit_that_cannot_be_is_refused_by_name(given: dict[str, str], field: str,
                                                   words: str):
    with pytest.raises(LimitError) as refused:
        with_given(Limits(), given)
    assert refused.value.field == field and words in refused.value.message


def test_limits_given_once_are_kept_for_later_runs_and_the_rest_follow_the_defaults():
    settings: dict[str, str] = {}
    first = kept_limits(settings.get, settings.__setitem__,
                        {"header_timeout": "1.5s", "min_body_rate": "1MiB", "idle_timeout": None})
    assert settings == {"listener.header_timeout": "1.5s", "listener.min_body_rate": str(MiB)}
    later = kept_limits(settings.get, settings.__setitem__, {"idle_timeout": "2s"})
    assert later == Limits(header_timeout=1.5, min_body_rate=MiB, idle_timeout=2)
    assert first.idle_timeout == Limits().idle_timeout
    assert from_settings(settings.get) == later


def test_settings_read_back_what_they_keep():
    limits = Limits(header_timeout=0.00001, body_timeout=120, max_header_size=8 * KiB)
    settings = as_settings(limits, ["header_timeout", "body_timeout", "max_header_size"])
    assert from_settings(settings.get) == limits


def test_the_limits_reach_worker_processes_with_their_configuration():
    # uvicorn pickles the configuration (and its protocol) into each worker it spawns.
    limits = Limits(header_timeout=1, max_connections=7)
    protocol = pickle.loads(pickle.dumps(uvicorn_options(limits)["http"]))
    assert isinstance(protocol, functools.partial)
    assert protocol.func is GuardedHttpProtocol
    assert protocol.keywords == {"limits": limits, "tls": None}


def test_the_tls_settings_reach_worker_processes_with_the_limits(tmp_path):
    # Each worker begins TLS itself on the connections it counted (serving.listener).
    node = self_signed(tmp_path, "node")
    tls = listener_tls(node.cert, node.key, None, datetime.now(UTC))
    options = uvicorn_options(Limits(), tls)
    protocol = pickle.loads(pickle.dumps(options["http"]))
    assert protocol.keywords["tls"] == tls
    assert protocol.keywords["tls"].server_context().verify_mode == ssl.CERT_NONE
    # uvicorn is given no certificate: its server would begin TLS before counting.
    assert not {"ssl_certfile", "ssl_keyfile"} & options.keys()
    assert options["server_header"] is False


@pytest.mark.parametrize(("host", "source"), [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same subscriber's network
    ("::ffff:198.51.100.7", "198.51.100.7"),
    (None, "local"),
])
def test_a_connection_counts_against_its_address_or_its_ipv6_network(host: str | None,
                                                                      source: str):
    assert source_of(host) == source


def test_admission_caps_each_source_and_the_whole():
    admission = Admission(Limits(max_connections=3, max_connections_per_source=2))
    assert admission.refusal("a") is None and admission.refusal("a") is None
    assert "a holds its most connections" in (admission.refusal("a") or "")
    assert admission.refusal("b") is None
    assert "this server holds its most connections (3)" in (admission.refusal("c") or "")
    admission.release("a")
    assert admission.refusal("c") is None
    assert admission.held == 3 and dict(admission.by_source) == {"a": 1, "b": 1, "c": 1}
