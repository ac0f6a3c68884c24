#!/usr/bin/env python3
"""Realistic synthetic STIX 2.1 bundles for the scale benchmark, written as a stream.

The mix is that of a national CERT's node: mostly indicator-feed traffic (indicators whose
patterns name IPv4 addresses, domains, URLs and file hashes, their sightings, the relationships
that say what they indicate) over an ATT&CK-like core (intrusion sets with aliases, malware,
tools and campaigns, attack patterns with external ids, reports bundling them), created by
several parties and marked with every TLP 2.0 level. About one in fifty objects is a newer
version of a recent indicator. The same seed and size give the same file, byte for byte.

Memory stays constant whatever the size: objects are written in chunks, and what later objects
refer to is a bounded window of recent ids per type. Beside the bundle, OUT.probes.json holds
what the benchmark asks for (ids, names, values, each a uniform sample of the whole file),
also sampled in constant memory.

usage: synth.py COUNT OUT.json [--seed 14]        (COUNT: 100k, 1M, 10M or a number)
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

CHUNK = 5_000
WINDOW = 4_000  # recent ids kept per type for relationships, sightings and reports
SAMPLES = 2_000  # probes kept per kind
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_S = 5 * 365 * 86_400  # five years of feeds, in file order

# TLP 2.0 marking definitions (the fixed ids the store knows), with how often each is used.
TLP = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": 30,  # CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": 35,  # GREEN
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": 25,  # AMBER
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": 5,  # AMBER+STRICT
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": 5,  # RED
}
PARTIES = ["US-CERT", "CNCERT/CC", "CERT-EU", "JPCERT/CC", "KrCERT/CC", "CERT-In", "AusCERT",
           "NCSC-UK"]
# The share of each kind of object among those generated (versions of indicators apart).
MIX = {
    "indicator": 520, "relationship": 250, "sighting": 70, "report": 25, "malware": 40,
    "attack-pattern": 25, "intrusion-set": 8, "tool": 12, "campaign": 10, "identity": 20,
    "version": 20,
}
SYLLABLES = ("ka", "ri", "to", "shi", "no", "ma", "ze", "ra", "vo", "lu", "gan", "tek", "dra",
             "mon", "vex", "sol", "pi", "qu", "ax", "or", "el", "ur", "zan", "bo", "fen",
             "tor", "lis", "hal", "cry", "pto", "dar", "kin", "yo", "mi", "sen", "ju",
             "ban", "lo", "ta", "xin", "wu", "zhe", "yan")
SECTORS = ("government", "energy", "financial-services", "healthcare", "telecommunications",
           "defense", "technology", "education", "manufacturing", "transportation")


class Reservoir:
    """A uniform sample of up to `size` items from a stream (Algorithm R), in constant memory."""

    def __init__(self, size: int, rnd: random.Random) -> None:
        self.size, self.rnd, self.seen = size, rnd, 0
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            slot = self.rnd.randrange(self.seen)
            if slot < self.size:
                self.items[slot] = item


class Synth:
    """The generator's state: a clock that moves forward through the file, windows of recent
    ids per type, and the probe samples."""

    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.rnd = random.Random(seed)
        self.probe_rnd = random.Random(seed + 1)  # sampling draws do not shift the content
        self.n = 0
        self.recent: dict[str, deque[str]] = {}
        self.recent_indicators: deque[dict] = deque(maxlen=WINDOW // 4)
        self.parties = [self._uuid_id("identity") for _ in PARTIES]
        self.types: Counter[str] = Counter()
        self.probes = {k: Reservoir(SAMPLES, self.probe_rnd) for k in
                       ("ids", "names", "values", "hubs")}
        self.technique = 0
        kinds, weights = zip(*MIX.items(), strict=True)
        self.kinds, self.cum = kinds, list(_cumulative(weights))

    def _uuid_id(self, kind: str) -> str:
        return f"{kind}--{uuid.UUID(int=self.rnd.getrandbits(128), version=4)}"

    def _time(self) -> str:
        # Feeds arrive in time order: the clock follows the position in the file, jittered.
        at = START + timedelta(seconds=SPAN_S * self.n / self.count
                               + self.rnd.uniform(-3_600, 3_600))
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def _common(self, kind: str) -> dict[str, Any]:
        stamp = self._time()
        party = self.rnd.randrange(len(self.parties))
        obj = {"type": kind, "spec_version": "2.1", "id": self._uuid_id(kind),
               "created": stamp, "modified": stamp, "created_by_ref": self.parties[party],
               "object_marking_refs": [self.rnd.choices(list(TLP), list(TLP.values()))[0]]}
        return obj

    def _pick(self, kind: str) -> str | None:
        ids = self.recent.get(kind)
        return self.rnd.choice(ids) if ids else None

    def _name(self, words: int = 2) -> str:
        word = lambda: "".join(self.rnd.choice(SYLLABLES)  # noqa: E731
                               for _ in range(self.rnd.randint(2, 3))).capitalize()
        return " ".join(word() for _ in range(words))

    def _value(self) -> tuple[str, str]:
        """A pattern over one observable and the value a look-up would ask for."""
        roll = self.rnd.random()
        if roll < 0.35:
            ip = f"{self.rnd.randint(1, 223)}.{self.rnd.randrange(256)}." \
                 f"{self.rnd.randrange(256)}.{self.rnd.randrange(1, 255)}"
            return f"[ipv4-addr:value = '{ip}']", ip
        if roll < 0.60:
            domain = f"{self._name(1).lower()}{self.rnd.randrange(10_000)}." \
                     f"{self.rnd.choice(('com', 'net', 'org', 'info', 'cn', 'ru', 'xyz'))}"
            return f"[domain-name:value = '{domain}']", domain
        if roll < 0.75:
            url = f"http://{self._name(1).lower()}{self.rnd.randrange(10_000)}.com/" \
                  f"{self.rnd.getrandbits(40):010x}/payload.bin"
            return f"[url:value = '{url}']", url
        if roll < 0.92:
            digest = f"{self.rnd.getrandbits(256):064x}"
            return f"[file:hashes.'SHA-256' = '{digest}']", digest
        digest = f"{self.rnd.getrandbits(128):032x}"
        return f"[file:hashes.MD5 = '{digest}']", digest

    def indicator(self) -> dict[str, Any]:
        obj = self._common("indicator")
        pattern, value = self._value()
        obj.update(name=f"{pattern.split(':')[0][1:]} {value[:40]}", pattern=pattern,
                   pattern_type="stix", valid_from=obj["created"],
                   indicator_types=[self.rnd.choice(("malicious-activity", "anomalous-activity",
                                                     "attribution", "compromised"))])
        self.probes["values"].add(value)
        self.recent_indicators.append(obj)
        return obj

    def version(self) -> dict[str, Any]:
        """A newer version of a recent indicator: revoked, or valid for longer."""
        if not self.recent_indicators:
            return self.indicator()
        old = self.rnd.choice(self.recent_indicators)
        new = {**old, "modified": max(self._time(), old["modified"])}
        if new["modified"] == old["modified"]:
            return self.indicator()
        if self.rnd.random() < 0.3:
            new["revoked"] = True
        else:
            new["confidence"] = self.rnd.randrange(0, 101)
        self.recent_indicators.remove(old)
        return new

    def relationship(self) -> dict[str, Any]:
        shapes = (("indicator", "indicates", "malware"),
                  ("indicator", "indicates", "intrusion-set"),
                  ("intrusion-set", "uses", "malware"), ("intrusion-set", "uses", "attack-pattern"),
                  ("intrusion-set", "uses", "tool"), ("malware", "uses", "attack-pattern"),
                  ("campaign", "attributed-to", "intrusion-set"),
                  ("intrusion-set", "targets", "identity"), ("campaign", "uses", "malware"))
        weights = (40, 10, 10, 12, 4, 12, 4, 4, 4)
        source, verb, target = self.rnd.choices(shapes, weights)[0]
        source_id, target_id = self._pick(source), self._pick(target)
        if source_id is None or target_id is None:
            return self.indicator()
        obj = self._common("relationship")
        obj.update(relationship_type=verb, source_ref=source_id, target_ref=target_id)
        return obj

    def sighting(self) -> dict[str, Any]:
        seen = self._pick("indicator")
        if seen is None:
            return self.indicator()
        obj = self._common("sighting")
        obj.update(sighting_of_ref=seen, count=self.rnd.randint(1, 50),
                   first_seen=obj["created"], last_seen=obj["created"],
                   where_sighted_refs=[self.rnd.choice(self.parties)])
        return obj

    def report(self) -> dict[str, Any]:
        refs = [r for r in (self._pick(self.rnd.choice(("indicator", "indicator", "malware",
                                                         "intrusion-set", "attack-pattern",
                                                         "relationship", "campaign")))
                            for _ in range(self.rnd.randint(5, 30))) if r]
        if not refs:
            return self.indicator()
        obj = self._common("report")
        obj.update(name=f"{self._name(2)} activity report", published=obj["created"],
                   report_types=[self.rnd.choice(("threat-report", "campaign",
                                                  "threat-actor", "indicator"))],
                   object_refs=list(dict.fromkeys(refs)),
                   description=f"Analysis of {self._name(2)} operations.")
        return obj

    def named(self, kind: str) -> dict[str, Any]:
        obj = self._common(kind)
        name = self._name(2 if kind == "intrusion-set" else 1)
        obj["name"] = name
        if kind == "intrusion-set":
            obj["aliases"] = [name] + [self._name(2) for _ in range(self.rnd.randint(0, 4))]
            obj["description"] = f"{name} is a threat group targeting {self.rnd.choice(SECTORS)}."
            self.probes["hubs"].add(obj["id"])
        elif kind == "malware":
            obj["is_family"] = True
            obj["malware_types"] = [self.rnd.choice(("backdoor", "remote-access-trojan",
                                                     "ransomware", "downloader", "wiper"))]
        elif kind == "attack-pattern":
            self.technique += 1
            external = f"T{1000 + self.technique % 9000}"
            if self.technique >= 9000:
                external += f".{self.technique // 9000 % 1000:03d}"
            obj["external_references"] = [{"source_name": "mitre-attack",
                                           "external_id": external,
                                           "url": f"https://attack.mitre.org/techniques/"
                                                  f"{external.replace('.', '/')}"}]
        elif kind == "campaign":
            obj["first_seen"] = obj["created"]
        self.probes["names"].add(name)
        return obj

    def identity(self) -> dict[str, Any]:
        obj = self._common("identity")
        kind = self.rnd.choice(("Ministry", "Bank", "Telecom", "University", "Grid", "Hospital"))
        obj.update(name=f"{self._name(1)} {kind}", identity_class="organization",
                   sectors=[self.rnd.choice(SECTORS)])
        return obj

    def party_identities(self) -> Iterator[dict[str, Any]]:
        for name, ident in zip(PARTIES, self.parties, strict=True):
            stamp = self._time()
            yield {"type": "identity", "spec_version": "2.1", "id": ident, "created": stamp,
                   "modified": stamp, "name": name, "identity_class": "organization",
                   "sectors": ["government"]}

    def objects(self) -> Iterator[dict[str, Any]]:
        for obj in self.party_identities():
            yield self._emit(obj)
        while self.n < self.count:
            kind = self.kinds[_bisect(self.cum, self.rnd.random())]
            if kind == "indicator":
                obj = self.indicator()
            elif kind == "version":
                obj = self.version()
            elif kind == "relationship":
                obj = self.relationship()
            elif kind == "sighting":
                obj = self.sighting()
            elif kind == "report":
                obj = self.report()
            elif kind == "identity":
                obj = self.identity()
            else:
                obj = self.named(kind)
            yield self._emit(obj)

    def _emit(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        kind = obj["type"]
        self.types[kind] += 1
        window = self.recent.setdefault(kind, deque(maxlen=WINDOW))
        window.append(obj["id"])
        self.probes["ids"].add(obj["id"])
        return obj

    def probes_json(self) -> dict[str, Any]:
        return {"count": self.n, "types": dict(self.types.most_common()),
                "parties": dict(zip(PARTIES, self.parties, strict=True)),
                **{k: r.items for k, r in self.probes.items()}}


def _cumulative(weights: tuple[int, ...]) -> Iterator[float]:
    total, running = sum(weights), 0
    for w in weights:
        running += w
        yield running / total


def _bisect(cum: list[float], x: float) -> int:
    for i, edge in enumerate(cum):
        if x < edge:
            return i
    return len(cum) - 1


def parse_count(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def write(count: int, out: Path, seed: int = 14) -> dict[str, Any]:
    """Write the bundle to OUT (via a temporary name: a half-written file is never taken for
    a whole one) and its probes beside it; returns the probes."""
    synth = Synth(count, seed)
    partial = out.with_name(out.name + ".part")
    with partial.open("wb") as f:
        f.write(b'{"type":"bundle","id":"bundle--' + str(uuid.UUID(int=seed, version=4)).encode()
                + b'","objects":[\n')
        first = True
        chunk: list[bytes] = []
        for obj in synth.objects():
            chunk.append(orjson.dumps(obj))
            if len(chunk) >= CHUNK:
                f.write((b"" if first else b",\n") + b",\n".join(chunk))
                first, chunk = False, []
        if chunk:
            f.write((b"" if first else b",\n") + b",\n".join(chunk))
        f.write(b"\n]}\n")
    probes = synth.probes_json()
    probes_path(out).write_bytes(orjson.dumps(probes))
    partial.rename(out)
    return probes


def probes_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.name.removesuffix(".json") + ".probes.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=parse_count)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    probes = write(args.count, args.out, args.seed)
    print(orjson.dumps({"objects": probes["count"], "types": probes["types"],
                        "bytes": args.out.stat().st_size}).decode(), file=sys.stderr)


if __name__ == "__main__":
    main()
