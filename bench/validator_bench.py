#!/usr/bin/env python3
"""Time Accord's STIX validator against the OASIS stix2-validator on a real bundle.

    .venv/bin/python bench/validator_bench.py [BUNDLE] [--sample 500] [--repeat 5]

Ours validates every object of the bundle (best of --repeat runs); stix2-validator validates a
fixed random sample of --sample objects, extrapolated to the whole bundle, since it is two to
three orders of magnitude slower. Both count MUST-level results only.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path
from typing import Any

import orjson

from accord.stix.bundle import objects_in
from accord.stix.validation import validate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "data" / "attack" / "enterprise-attack-18.1.json"


def time_ours(objects: list[Any], repeat: int) -> tuple[float, int]:
    best, refused = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        refused = sum(1 for obj in objects if validate(obj))
        best = min(best, time.perf_counter() - started)
    return best, refused


def time_oasis(objects: list[Any]) -> tuple[float, int]:
    from stix2validator import ValidationOptions, validate_instance

    logging.getLogger("stix2validator").setLevel(logging.ERROR)
    options = ValidationOptions(version="2.1")
    started = time.perf_counter()
    refused = sum(1 for obj in objects if not validate_instance(obj, options).is_valid)
    return time.perf_counter() - started, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--sample", type=int, default=500,
                        help="objects given to stix2-validator (default 500)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of our validator, the best one counts (default 5)")
    args = parser.parse_args()

    objects = objects_in(orjson.loads(args.bundle.read_bytes()))
    count = len(objects)
    print(f"{args.bundle.name}: {count} objects")

    ours, ours_refused = time_ours(objects, args.repeat)
    print(f"accord      {ours:8.3f} s for all {count} objects  "
          f"{count / ours:10.0f} objects/s  ({ours_refused} refused)")

    sample = random.Random(2015).sample(objects, min(args.sample, count))
    oasis, oasis_refused = time_oasis(sample)
    per_object = oasis / len(sample)
    print(f"stix2-validator {oasis:4.1f} s for {len(sample)} objects  "
          f"{1 / per_object:10.0f} objects/s  ({oasis_refused} refused); "
          f"all {count} would take {per_object * count:.0f} s")
    print(f"accord is {per_object * count / ours:.0f}x faster")


if __name__ == "__main__":
    main()
