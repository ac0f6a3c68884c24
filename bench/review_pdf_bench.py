#!/usr/bin/env python3
"""The review as a PDF: how long WeasyPrint takes to print the review's HTML, in English,
Chinese and both side by side.

The review is of `--count` generated requests between four parties (review_bench's ledgers:
twelve directions, each with its exercises, every quarter of a half-year) — the report's size
depends on the directions and quarters, not on the number of requests, so this is as large as
a review of four parties gets.

With --pair, only the requests between the first two parties (two directions and their
exercises): the review two delegations print for their meeting.

usage: review_pdf_bench.py [--count 20000] [--repeat 3] [--pair] [--keep DIR]
Prints one JSON line per language: HTML rendering and PDF printing (best of --repeat, wall
clock and this process's CPU time: the machine may be shared), the PDF's pages and size.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from review_bench import NOW, PARTIES, PERIOD_END, PERIOD_START, best_of, generate_ledgers

from accord.cooperation.ledger import derive
from accord.cooperation.report import document, render
from accord.cooperation.review import review


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pair", action="store_true", help="Only the first two parties.")
    parser.add_argument("--keep", type=Path, help="Write the PDFs into this directory.")
    args = parser.parse_args(argv)

    ledgers = generate_ledgers(args.count)
    if args.pair:
        first_two = set(list(PARTIES)[:2])
        ledgers = [ledger for ledger in ledgers
                   if {ledger.request.requester, ledger.request.addressee} == first_two]
    result = review((derive(ledger, NOW) for ledger in ledgers), start=PERIOD_START,
                    end=PERIOD_END, now=NOW, names=PARTIES)
    directions = len(result.directions) + len(result.exercises)
    started = time.perf_counter()
    document(result, "pdf", "en")  # the first PDF loads WeasyPrint and the fonts: timed apart
    first = time.perf_counter() - started
    print(json.dumps({"phase": "first pdf (import, fonts)", "seconds": round(first, 3),
                      "requests_reviewed": sum(f.requests for f in result.directions.values())}))
    for lang in ("en", "zh-Hans", "both"):
        html_s, html = best_of(args.repeat, lambda lang=lang: render(result, "html", lang))
        cpu = time.process_time()
        pdf_s, pdf = best_of(args.repeat, lambda lang=lang: document(result, "pdf", lang))
        cpu_s = (time.process_time() - cpu) / args.repeat
        from pypdf import PdfReader  # noqa: PLC0415 (only to count the pages)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"review-{lang}.pdf").write_bytes(pdf)
        print(json.dumps({"lang": lang, "requests": args.count, "directions": directions,
                          "html_seconds": round(html_s, 4), "html_chars": len(html),
                          "pdf_seconds": round(pdf_s, 3), "pdf_cpu_seconds": round(cpu_s, 3),
                          "pages": pages,
                          "pdf_bytes": len(pdf)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
