#!/usr/bin/env python3
"""Write a STIX 2.1 bundle of N generated indicators (those of lookup_bench.py), streamed to
disk: the input of the `accord import` memory and speed measurements in bench/README.md.

usage: indicator_bundle.py COUNT OUT.json
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import orjson
from lookup_bench import indicator

CHUNK = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    rnd = random.Random(7)
    with args.out.open("wb") as out:
        out.write(b'{"type":"bundle","id":"bundle--6d5f8a4e-2c1b-4f3a-9e8d-7c6b5a4f3e2d",'
                  b'"objects":[')
        for start in range(0, args.count, CHUNK):
            chunk = [orjson.dumps(indicator(n, rnd)[0])
                     for n in range(start, min(args.count, start + CHUNK))]
            out.write((b"," if start else b"") + b",".join(chunk))
        out.write(b"]}\n")


if __name__ == "__main__":
    main()
