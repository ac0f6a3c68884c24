"""A peer that keeps failing is retried after a growing pause, never more than an hour."""

from accord.store.peers import Peer


def peer(failures: int, last_attempt: str | None = "2026-01-01T00:00:00.000000Z") -> Peer:
    return Peer("china", "http://cn.example/", "t", "identity--x", "k", "2026-01-01T00:00:00Z",
                last_attempt, None, "down" if failures else None, {}, 0, failures)


def test_a_healthy_peer_is_tried_at_every_interval():
    assert peer(0).next_attempt() is None


def test_the_pause_doubles_with_each_failure_up_to_an_hour():
    assert peer(1).next_attempt() == "2026-01-01T00:00:05.000000Z"
    assert peer(2).next_attempt() == "2026-01-01T00:00:10.000000Z"
    assert peer(5).next_attempt() == "2026-01-01T00:01:20.000000Z"
    assert peer(30).next_attempt() == "2026-01-01T01:00:00.000000Z"
