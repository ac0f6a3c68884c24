#!/usr/bin/env python3
"""The plans of the TAXII reads at scale: each access path's statements, as the store issues
them, under EXPLAIN (ANALYZE, BUFFERS), written into docs/plans.md.

Runs against a schema that `scale_bench.py SIZE --keep` loaded. Each TAXII access path (by id,
by id + version, versions, paging and its next page, added_after, match[type] of a rare and a
common type, the manifest) is requested in process through the node's own ASGI app, as the
node's own party and as a party that may only read the collection (the entitlement rule at
work); the SELECTs it sends to PostgreSQL are captured with their bound values, and each is
explained on the same database. The result replaces the section `## TAXII reads at scale` of
docs/plans.md (other sections are left as they are).

usage: scale_explain.py SIZE [--pg URL] [--schema NAME] [--out docs/plans.md]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from starlette.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from scale_bench import (  # noqa: E402
    ACCORD,
    DEFAULT_PG,
    TAXII,
    added_after_threshold,
    commit_of_code,
    schema_url,
)

from accord.app import create_app  # noqa: E402
from accord.node import open_node  # noqa: E402

HEADING = "## TAXII reads at scale"


def accord(*args: str, db: str) -> str:
    done = subprocess.run([str(ACCORD), *args, "--db", db], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def reader_token(db: str, collection: str) -> str:
    """A token of a second party that may read the collection and nothing more."""
    accord("party", "add", "Scale Reader", db=db)
    accord("collection", "grant", collection, "--party", "Scale Reader", "--read", db=db)
    return accord("token", "create", "--party", "Scale Reader", "--role", "reader", db=db
                  ).splitlines()[-1]


def paths(collection: str, probes: dict[str, Any], after: str, client: TestClient,
          token: str) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/taxii2/accord/collections/{collection}/"
    some_id = probes["ids"][0]
    first = client.get(base + "objects/", params={"limit": "1000"},
                       headers={"authorization": f"Bearer {token}", "accept": TAXII}).json()
    version = client.get(base + f"objects/{some_id}/versions/",
                         headers={"authorization": f"Bearer {token}", "accept": TAXII}
                         ).json().get("versions", [""])[0]
    return [
        ("GET object by id", base + f"objects/{some_id}/", {}),
        ("GET object by id + version", base + f"objects/{some_id}/",
         {"match[version]": version}),
        ("versions of an object", base + f"objects/{some_id}/versions/", {}),
        ("paging: first page", base + "objects/", {"limit": "1000"}),
        ("paging: next page", base + "objects/", {"limit": "1000",
                                                  "next": first.get("next", "")}),
        ("added_after: the newest 10,000, first page", base + "objects/",
         {"added_after": after, "limit": "1000"}),
        ("match[type] rare (intrusion-set), first page", base + "objects/",
         {"match[type]": "intrusion-set"}),
        ("match[type] common (indicator), first page", base + "objects/",
         {"match[type]": "indicator"}),
        ("manifest, first page", base + "manifest/", {"limit": "1000"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=synth.parse_count)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--schema", help="default: scale_SIZE")
    parser.add_argument("--data-dir", default="/tmp/accord-scale")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "plans.md")
    args = parser.parse_args()
    schema = args.schema or f"scale_{args.size}"
    data = Path(args.data_dir)
    keys = json.loads((data / f"{schema}.keys.json").read_text())
    probes = json.loads(synth.probes_path(data / f"synth-{args.size}.json").read_bytes())
    db = schema_url(args.pg, schema)
    collection = keys["collection"]
    readers = {"the node's own party (admin)": keys["token"],
               "a party that may only read the collection": reader_token(db, collection)}
    after = added_after_threshold(args.pg, schema, collection, 10_000)
    node = open_node(db)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    client = TestClient(create_app(node))
    sections = []
    for who, token in readers.items():
        for label, path, params in paths(collection, probes, after, client, token):
            captured.clear()
            event.listen(node.engine, "before_cursor_execute", capture)
            response = client.get(path, params=params, headers={
                "authorization": f"Bearer {token}", "accept": TAXII})
            event.remove(node.engine, "before_cursor_execute", capture)
            found = len(response.json().get("objects", response.json().get("versions", [])))
            plans = []
            with node.engine.connect() as conn:
                for statement, parameters in captured:
                    if not re.search(r"\bobjects\b", statement):
                        continue  # the token, the collection, the permissions: small tables
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
                    plans.append((statement, parameters, "\n".join(r[0] for r in rows)))
                conn.rollback()
            sections.append((who, label, path, params, response.status_code, found, plans))
            print(f"{who}: {label}: {response.status_code}, {found} objects, "
                  f"{len(plans)} statement(s) on objects", file=sys.stderr)
    with node.engine.connect() as conn:
        counts = conn.execute(text("SELECT count(*), pg_size_pretty(pg_total_relation_size("
                                   "'objects')) FROM objects")).one()
    node.engine.dispose()
    write_section(args.out, render(args.size, counts, commit_of_code(), sections))


def render(size: int, counts: Any, commit: str, sections: list) -> str:
    lines = [
        HEADING, "",
        f"Made by `bench/scale_explain.py {size}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"commit `{commit}`, on the schema `bench/scale_bench.py {size} --keep` loaded: "
        f"{counts[0]:,} rows in `objects` ({counts[1]} with its indexes), the synthetic mix of "
        "`bench/synth.py`, PostgreSQL 15 on loopback, after `ANALYZE`. Each path is requested "
        "through the node's own app; every SELECT it sends that reads `objects` is shown with "
        "its plan, as `EXPLAIN (ANALYZE, BUFFERS)` ran it with the same values. Run again after "
        "a change to the store's statements or indexes.", "",
    ]
    lines += ["| access path | reader | returned | execution | buffers hit / read | "
              "index used |", "|---|---|--:|--:|--:|---|"]
    for who, label, _path, _params, _status, found, plans in sections:
        for _statement, _parameters, plan in plans:
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            hit = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
            used = sorted(set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan "
                                         r"(?:Backward )?(?:using|on) (\w+)", plan)))
            lines.append(f"| {label} | {who} | {found:,} | "
                         f"{took.group(1) if took else '?'} ms | "
                         f"{hit.group(1) if hit else 0} / {hit.group(2) or 0 if hit else 0} | "
                         f"{', '.join(used) or 'none (sequential scan)'} |")
    lines.append("")
    for who, label, path, params, status, found, plans in sections:
        query = "&".join(f"{k}={v[:40]}" for k, v in params.items())
        lines += [f"### {label} — as {who}", "",
                  f"`GET {path}{'?' + query if query else ''}` → {status}, {found} returned", ""]
        if not plans:
            lines += ["(no statement on `objects`)", ""]
        for statement, parameters, plan in plans:
            lines += ["```sql", statement.strip(), "```", "",
                      f"values: `{json.dumps(parameters, default=str)[:600]}`", "",
                      "```", plan, "```", ""]
    return "\n".join(lines)


def write_section(out: Path, section: str) -> None:
    """Replace this bench's section of docs/plans.md (up to the next `## ` heading), or add it."""
    if not out.exists():
        out.write_text("# Query plans\n\nThe statements of each access path with their "
                       "PostgreSQL plans, as measured at scale.\n\n" + section)
        return
    current = out.read_text()
    start = current.find(HEADING + "\n")
    if start < 0:
        out.write_text(current.rstrip("\n") + "\n\n" + section)
        return
    following = current.find("\n## ", start + len(HEADING))
    rest = current[following + 1:] if following >= 0 else ""
    out.write_text(current[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
