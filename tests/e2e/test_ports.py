"""The ports the end-to-end tests give their servers: never one an outgoing connection may
take as its local port in the moment between the pick and the server's bind."""

from __future__ import annotations

import socket

from tests.e2e.ports import _ephemeral, free_port


def test_a_picked_port_is_outside_the_ephemeral_range_and_free() -> None:
    low, high = _ephemeral()
    for _ in range(50):
        port = free_port()
        assert not low <= port <= high
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # raises if something holds it


def test_a_port_in_use_is_not_picked(monkeypatch) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        taken = held.getsockname()[1]
        monkeypatch.setattr("tests.e2e.ports._candidates", lambda: range(taken, taken + 2))
        assert free_port() == taken + 1
