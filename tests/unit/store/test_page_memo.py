"""The pages a PostgreSQL serving process remembers: answered only while the listener's word
is fresh and nothing changed since they were read, each reader its own, within a memory
bound; and which statements count as changing them."""

from __future__ import annotations

import time

import pytest

from accord.store.page_memo import (
    VERSION_BYTES,
    Changes,
    PageMemo,
    writes_pages,
)
from accord.store.query import Page, StoredVersion


def _page(*seqs: int, size: int = 10) -> Page:
    return Page([StoredVersion(seq, f"indicator--{seq}", "2026-01-01T00:00:00.000000Z",
                               "v", "2.1", bytes([seq % 256]) * size) for seq in seqs],
                more=False)


def _live(memo: PageMemo) -> PageMemo:
    memo.live_until = time.monotonic() + 60
    return memo


def test_a_page_is_answered_again_while_nothing_changed() -> None:
    memo = _live(PageMemo(changes=Changes()))
    kept, generation = memo.get("q")
    assert kept is None and generation is not None
    memo.put("q", _page(1, 2), generation)

    again, _ = memo.get("q")
    assert again == _page(1, 2)


def test_each_answer_is_a_page_of_its_own() -> None:
    memo = _live(PageMemo(changes=Changes()))
    memo.put("q", _page(1), memo.get("q")[1])
    first, _ = memo.get("q")
    assert first is not None
    first.items.clear()  # one reader's use of its list …
    second, _ = memo.get("q")
    assert second == _page(1)  # … is not another's


def test_a_change_forgets_every_page() -> None:
    changes = Changes()
    memo = _live(PageMemo(changes=changes))
    memo.put("q", _page(1), memo.get("q")[1])
    changes.bump()
    assert memo.get("q")[0] is None
    assert len(memo) == 0 and memo.held_bytes == 0


def test_a_page_read_while_something_changed_is_not_kept() -> None:
    changes = Changes()
    memo = _live(PageMemo(changes=changes))
    _, generation = memo.get("q")  # the read begins …
    changes.bump()  # … a write commits meanwhile …
    memo.put("q", _page(1), generation)  # … and what the read found may predate it
    assert memo.get("q")[0] is None


def test_nothing_is_answered_or_kept_without_the_listeners_fresh_word() -> None:
    memo = PageMemo(changes=Changes())  # never confirmed
    assert memo.get("q") == (None, None)
    memo.put("q", _page(1), None)
    assert len(memo) == 0

    _live(memo)
    memo.put("q", _page(1), memo.get("q")[1])
    memo.live_until = time.monotonic() - 0.001  # its last confirmation is too old
    assert memo.get("q") == (None, None)


def test_keys_are_kept_apart() -> None:
    # The key holds the query and its reader: another reader's page is another key.
    memo = _live(PageMemo(changes=Changes()))
    memo.put(("c", "party-a"), _page(1), memo.get(("c", "party-a"))[1])
    assert memo.get(("c", "party-b"))[0] is None


def test_the_least_recently_asked_go_first_within_the_budget() -> None:
    one = 100 + 2 * VERSION_BYTES  # a page of one version of 100 bytes
    memo = _live(PageMemo(budget=one * 8, changes=Changes()))
    keys = "abcdefgh"
    for key in keys:
        memo.put(key, _page(1, size=100), memo.get(key)[1])
    memo.get("a")  # asked again: now the most recent
    memo.put("i", _page(1, size=100), memo.get("i")[1])
    assert memo.get("b")[0] is None  # the least recent went
    assert all(memo.get(key)[0] is not None for key in "acdefghi")
    assert memo.held_bytes <= one * 8


def test_a_page_too_large_for_its_share_is_not_kept() -> None:
    memo = _live(PageMemo(budget=8000, changes=Changes()))
    memo.put("big", _page(1, size=2000), memo.get("big")[1])
    assert memo.get("big")[0] is None


@pytest.mark.parametrize("statement", [
    "SELECT objects.seq FROM objects WHERE objects.id = %(id)s",
    "  select 1",
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(%(key)s))",
    "INSERT INTO audit (at, action) VALUES (%(at)s, %(action)s)",
    'UPDATE "tokens" SET last_used = %(u)s',
    "DELETE FROM web_sessions WHERE expires < %(now)s",
    "COPY audit_objects (record, object_id) FROM STDIN",
])
def test_reads_and_writes_of_other_tables_change_no_page(statement: str) -> None:
    assert not writes_pages(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO objects (seq, id) VALUES (%(seq)s, %(id)s)",
    "UPDATE objects SET is_latest = false WHERE seq = ANY(%(seqs)s)",
    'UPDATE "hc".objects SET body = %(body)s',
    "DELETE FROM walk_marks WHERE party_id = %(p)s",
    "delete from recipients where seq = 1",
    "COPY objects (seq, id, body) FROM STDIN (FORMAT BINARY)",
    "TRUNCATE TABLE objects",
    # What is not recognised counts as a change: forgetting too much costs a read.
    "WITH moved AS (DELETE FROM audit RETURNING *) INSERT INTO audit SELECT * FROM moved",
    "ALTER TABLE objects ADD COLUMN x int",
])
def test_writes_of_the_tables_pages_are_read_from_change_them(statement: str) -> None:
    assert writes_pages(statement)



def test_a_notification_waiting_on_the_listeners_socket_sends_reads_to_the_database() -> None:
    import socket

    memo = _live(PageMemo(changes=Changes()))
    memo.put("q", _page(1), memo.get("q")[1])
    ours, theirs = socket.socketpair()
    with ours, theirs:
        memo.heard_on = ours.fileno()
        assert memo.get("q")[0] is not None  # nothing waiting
        theirs.send(b"A")  # a notification, not yet handled by the listener's thread
        assert memo.get("q") == (None, None)
        ours.recv(1)  # handled
        assert memo.get("q")[0] is not None
