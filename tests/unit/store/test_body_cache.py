"""The bodies a PostgreSQL node keeps of pages asked for again: what it keeps, for how long,
and within what memory."""

from __future__ import annotations

from accord.store.body_cache import ENTRY_BYTES, BodyCache, Held


def _held(n: int, size: int = 10, row_version: str = "1") -> dict[int, Held]:
    return {n: Held(row_version, bytes([n % 256]) * size)}


def test_a_page_asked_once_is_remembered_but_its_bodies_are_not_kept() -> None:
    cache = BodyCache()
    held, asked_before = cache.held_for("q")
    assert (held, asked_before) == ({}, False)
    cache.served("q", [1, 2], {**_held(1), **_held(2)}, asked_before)
    assert len(cache) == 0

    held, asked_before = cache.held_for("q")
    assert (held, asked_before) == ({}, True)  # the rows are known, their bodies not kept


def test_a_page_asked_again_has_its_bodies_kept_and_handed_back() -> None:
    cache = BodyCache()
    cache.served("q", [1, 2], {**_held(1), **_held(2)}, cache.held_for("q")[1])
    cache.served("q", [1, 2], {**_held(1), **_held(2)}, cache.held_for("q")[1])

    held, asked_before = cache.held_for("q")
    assert asked_before and held == {**_held(1), **_held(2)}
    assert cache.held_bytes == 20 + 2 * ENTRY_BYTES
    # Another query that returned other rows is handed none of them.
    assert cache.held_for("other") == ({}, False)


def test_only_the_rows_the_query_returned_last_time_are_handed_back() -> None:
    cache = BodyCache()
    for _ in range(2):
        cache.served("q", [1, 2], {**_held(1), **_held(2)}, cache.held_for("q")[1])
    cache.served("q", [2, 3], _held(3), cache.held_for("q")[1])  # 1 left the page
    assert set(cache.held_for("q")[0]) == {2, 3}


def test_a_body_read_again_replaces_the_one_held() -> None:
    cache = BodyCache()
    cache.served("q", [1], _held(1), cache.held_for("q")[1])
    cache.served("q", [1], _held(1, row_version="1"), cache.held_for("q")[1])
    cache.served("q", [1], _held(1, size=30, row_version="2"), cache.held_for("q")[1])
    assert cache.held_for("q")[0][1] == Held("2", bytes([1]) * 30)
    assert cache.held_bytes == 30 + ENTRY_BYTES


def test_the_least_recently_used_bodies_go_first_when_the_budget_is_spent() -> None:
    entry = 100 + ENTRY_BYTES  # a body of 100 bytes, with what keeping it costs
    cache = BodyCache(budget=16 * entry)  # 16 fit (each at most a 16th of the budget)
    for page in range(4):  # 4 pages of 5 bodies, each asked twice: 20 bodies, 4 too many
        seqs = range(page * 5, page * 5 + 5)
        read = {n: Held("1", b"x" * 100) for n in seqs}
        for _ in range(2):
            cache.served(page, seqs, read, cache.held_for(page)[1])
    assert cache.held_bytes == 16 * entry and len(cache) == 16
    assert set(cache.held_for(0)[0]) == {4}  # the oldest page lost 4 of its bodies
    assert len(cache.held_for(3)[0]) == 5


def test_a_body_over_a_sixteenth_of_the_budget_is_not_kept() -> None:
    cache = BodyCache(budget=16 * (100 + ENTRY_BYTES))
    for _ in range(2):
        cache.served("q", [1, 2], {1: Held("1", b"x" * 101), 2: Held("1", b"y" * 100)},
                     cache.held_for("q")[1])
    assert set(cache.held_for("q")[0]) == {2}


def test_small_bodies_are_counted_with_what_keeping_them_costs() -> None:
    cache = BodyCache(budget=1_000_000)
    rows = range(100_000)
    for _ in range(2):  # 100,000 bodies of 10 bytes: 1 MB of bytes, far more to keep
        cache.served("q", rows, {n: Held("1", b"0123456789") for n in rows},
                     cache.held_for("q")[1])
    assert len(cache) == 1_000_000 // (10 + ENTRY_BYTES)
    assert cache.held_bytes <= 1_000_000


def test_the_rows_remembered_are_bounded_oldest_query_first() -> None:
    cache = BodyCache(remembered=10)
    for query in range(4):
        cache.served(query, range(query * 4, query * 4 + 4), {}, False)  # 16 rows asked
    assert cache.held_for(0) == ({}, False) and cache.held_for(1) == ({}, False)
    assert cache.held_for(2)[1] and cache.held_for(3)[1]
    cache.served("huge", range(11), {}, False)  # more than may be remembered at all
    assert cache.held_for("huge") == ({}, False) and cache.held_for(3)[1]


def test_queries_that_match_nothing_are_bounded_too() -> None:
    cache = BodyCache(queries=100)
    for query in range(10_000):  # a client trying endless filters
        cache.served(query, [], {}, cache.held_for(query)[1])
    assert sum(cache.held_for(q)[1] for q in range(10_000)) == 100
    assert cache.held_for(9_999)[1] and not cache.held_for(9_899)[1]
