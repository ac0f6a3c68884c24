"""A reader that may read few of a collection's many rows: what its TAXII pages cost.

`.venv/bin/python bench/sparse_reader_bench.py [--hidden 200000] [--walk 20000] [--db URL]`:
a collection holding `--hidden` AMBER+STRICT indicators addressed to one party and 10 to
another, then, for the second (sparse) and the first (dense) reader, the first page of 1,000
(median of 3) and the whole collection paged by following the cursor, with and without the
walk bound (ObjectQuery.most_walked, as the TAXII routes set it). The bound should make a
sparse reader's page cost at most `--walk` rows, and cost a dense reader nothing. With the
bound, also as a TAXII poll (`polled`, store.walk_marks): the first page, and the whole
collection read by a client that keeps only `added_after` (the last object's date_added),
never following `next`, as many pollers do.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from accord.node import Node, initialise, open_node
from accord.store.query import ObjectQuery, Reader
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

BATCH = 10_000


def indicator(n: int, creator: str, to: str) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created_by_ref": creator, "created": "2020-01-01T00:00:00.000Z",
            "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '10.0.{n // 256 % 256}.{n % 256}']",
            "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
            "object_marking_refs": [MARKING_FOR[Tlp.AMBER_STRICT]],
            "extensions": {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                      "recipients": [to]}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=200_000)
    parser.add_argument("--walk", type=int, default=20_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-sparse-")
    node = open_node(args.db or str(Path(scratch.name) / "sparse.db"))
    own, _ = initialise(node, "Bench")
    dense, sparse = node.directory.add_party("Dense"), node.directory.add_party("Sparse")
    shared = node.directory.create_collection("Shared", read=[own, dense, sparse],
                                              write=[own])
    for start in range(0, args.hidden, BATCH):
        node.objects.add(shared.id, [indicator(n, own.id, dense.id) for n in range(
            start, min(args.hidden, start + BATCH))], poster_id=own.id)
    node.objects.add(shared.id, [indicator(n, own.id, sparse.id) for n in range(10)],
                     poster_id=own.id)
    for reader, name in ((sparse, "sparse"), (dense, "dense")):
        for walk in (None, args.walk):
            query = ObjectQuery(limit=1000, reader=Reader(reader.id, int(shared.default_tlp)),
                                most_walked=walk)
            times = []
            for _ in range(3):
                t = time.perf_counter()
                first = node.objects.page(shared.id, query)
                times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            pages = objects = 0
            while True:
                page = node.objects.page(shared.id, query)
                pages, objects = pages + 1, objects + len(page.items)
                if not page.more:
                    break
                query = replace(query, after=page.next_cursor)
            figures = {
                "bench": "sparse_reader", "backend": node.engine.dialect.name,
                "hidden": args.hidden, "reader": name, "walk": walk,
                "first_page_ms": round(statistics.median(times), 1),
                "first_page_objects": len(first.items), "pages": pages, "objects": objects,
                "whole_s": round(time.perf_counter() - t, 2)}
            if walk is not None:
                figures |= _polled(node, shared.id, replace(query, after=None))
            print(json.dumps(figures))
    node.engine.dispose()


def _polled(node: Node, collection_id: str, query: ObjectQuery) -> dict[str, float | int]:
    """A poller by `added_after` alone, from the start; then the first page as a poll
    (median of 3): for a reader that met no page of hidden rows only, what looking for a
    mark costs; for one that did, the page it resumes (from where its last walk stopped)."""
    t = time.perf_counter()
    pages = objects = 0
    polled = query
    while pages < 10_000:
        page = node.objects.page(collection_id, polled, polled=True)
        pages, objects = pages + 1, objects + len(page.items)
        if not page.more:
            break
        if page.items:
            polled = replace(polled, added_after=page.items[-1].date_added)
    figures: dict[str, float | int] = {"poll_pages": pages, "poll_objects": objects,
                                       "poll_s": round(time.perf_counter() - t, 2)}
    times = []
    for _ in range(3):
        t = time.perf_counter()
        node.objects.page(collection_id, query, polled=True)
        times.append((time.perf_counter() - t) * 1000)
    return figures | {"polled_first_page_ms": round(statistics.median(times), 1)}


if __name__ == "__main__":
    main()
