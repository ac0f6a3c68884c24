#!/usr/bin/env python3
"""The plans of every access path at scale: each path's statements, as the store issues them,
under EXPLAIN (ANALYZE, BUFFERS), written into docs/plans.md.

Runs against a schema that `scale_bench.py SIZE --keep` loaded. Each TAXII access path (by id,
by id + version, versions, paging and its next page, added_after, match[type] of a rare and a
common type, the manifest) is requested in process through the node's own ASGI app, as the
node's own party and as a party that may only read the collection (the entitlement rule at
work); the SELECTs it sends to PostgreSQL are captured with their bound values, and each is
explained on the same database. The result replaces the section `## TAXII reads at scale` of
docs/plans.md (other sections are left as they are).

The other paths go into `## Every other access path at scale`: the correlation look-up (a value
found and one nowhere), search by name, an object's page with its relationship graph, the
dashboard, the requests list and REST `GET /requests` of a liaison officer with tens of
thousands of requests, the review of the period, and the audit trail (newest, by party, by
object); every SELECT they send to a table that grows with the node is explained.

usage: scale_explain.py SIZE [--pg URL] [--schema NAME] [--out docs/plans.md]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
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
OTHER_HEADING = "## Every other access path at scale"
# The tables that grow with the node: a statement reading none of them reads a small table.
GROWING = re.compile(r"\b(objects|observables|recipients|sightings|audit|audit_objects|ledger|"
                     r"object_names|relationship_ends|request_summaries|request_readers|request_figures)\b")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


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


def explain(node: Any, captured: list[tuple[str, Any]], keep: re.Pattern[str]
            ) -> list[tuple[str, Any, str]]:
    """Each captured SELECT that `keep` matches, with its plan as EXPLAIN (ANALYZE, BUFFERS)
    runs it with the same values (in a transaction rolled back)."""
    plans = []
    with node.engine.connect() as conn:
        for statement, parameters in captured:
            if not keep.search(statement):
                continue
            rows = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
            plans.append((statement, parameters, "\n".join(r[0] for r in rows)))
        conn.rollback()
    return plans


@contextmanager
def capturing(captured: list[tuple[str, Any]]) -> Iterator[None]:
    """Every SELECT any engine of this process sends while the block runs (the app's, and a
    command's own, run in process)."""

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    captured.clear()
    event.listen(Engine, "before_cursor_execute", capture)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", capture)


def signed_in(client: TestClient, token: str) -> None:
    """The client's session of the web UI as the token's holder."""
    form = client.get("/ui/sign-in")
    found = CSRF.search(form.text)
    done = client.post("/ui/sign-in", data={"token": token, "next": "/ui/",
                                             "csrf": found.group(1) if found else ""},
                       follow_redirects=False)
    if done.status_code != 303:
        raise SystemExit(f"sign-in failed: {done.status_code} {done.text[:200]}")


def other_paths(app: Any, db: str, keys: dict[str, str], probes: dict[str, Any]
                ) -> list[tuple[str, str, Callable[[], tuple[int, str]]]]:
    """(label, who, call) for each access path outside TAXII; a call returns the status and
    what it found, in words."""
    api = TestClient(app, headers={"authorization": f"Bearer {keys['token']}"})
    analyst = TestClient(app)
    signed_in(analyst, keys["token"])
    found_value = probes["values"][0]
    node_party = api.get("/api/v1/node").json().get("identity", {}).get("id", "")
    some_object = probes["ids"][0]

    def get(client: TestClient, path: str, **params: str) -> Callable[[], tuple[int, str]]:
        def call() -> tuple[int, str]:
            response = client.get(path, params=params)
            body: Any = (response.json()
                         if "json" in response.headers.get("content-type", "") else None)
            size = (f"{body.get('count', len(body.get('objects') or body.get('matches') or []))} "
                    "found" if isinstance(body, dict)
                    else f"{len(body)} rows" if isinstance(body, list)
                    else f"{len(response.content):,} bytes of page")
            return response.status_code, size
        return call

    paths = [
        ("correlation look-up, a value in the data", "the node's own party (admin)",
         get(api, "/api/v1/lookup", value=found_value)),
        ("correlation look-up, a value nowhere", "the node's own party (admin)",
         get(api, "/api/v1/lookup", value="0" * 64)),
        ("search by name", "the node's own party (admin)",
         get(analyst, "/ui/search", q=probes["names"][0])),
        ("object page with its relationship graph (intrusion set)",
         "the node's own party (admin)", get(analyst, f"/ui/objects/{probes['hubs'][0]}")),
        ("audit trail: the newest 100", "the node's own party (admin)",
         get(api, "/api/v1/audit")),
        ("audit trail: of one object", "the node's own party (admin)",
         get(api, "/api/v1/audit", object_id=some_object)),
        ("audit trail: of one party", "the node's own party (admin)",
         get(api, "/api/v1/audit", party=node_party)),
    ]
    if keys.get("liaison"):
        officer = TestClient(app)
        signed_in(officer, keys["liaison"])
        liaison_api = TestClient(app, headers={"authorization": f"Bearer {keys['liaison']}"})
        who = "a liaison officer of US-CERT (tens of thousands of requests)"
        paths += [
            ("dashboard", who, get(officer, "/ui/")),
            ("requests list, first page", who, get(officer, "/ui/requests")),
            ("REST GET /requests, first page", who, get(liaison_api, "/api/v1/requests")),
        ]

        def review() -> tuple[int, str]:
            from typer.testing import CliRunner

            from accord.cli import app as cli

            done = CliRunner().invoke(cli, ["review", "--from", "2026-01-01", "--to",
                                            "2026-07-01", "--format", "json", "--db", db])
            counted = (sum(d["requests"] for d in json.loads(done.stdout)["directions"].values())
                       if done.exit_code == 0 else 0)
            return done.exit_code, f"{counted:,} requests counted"

        paths.append(("review of 2026-01-01 to 2026-07-01 (the whole command, in process)",
                      "the node's operator", review))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=synth.parse_count)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--schema", help="default: scale_SIZE")
    parser.add_argument("--data-dir", default="/tmp/accord-scale")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "plans.md")
    parser.add_argument("--only", choices=("taxii", "other"),
                        help="write one of the two sections (default: both)")
    args = parser.parse_args()
    schema = args.schema or f"scale_{args.size}"
    data = Path(args.data_dir)
    keys = json.loads((data / f"{schema}.keys.json").read_text())
    probes = json.loads(synth.probes_path(data / f"synth-{args.size}.json").read_bytes())
    db = schema_url(args.pg, schema)
    collection = keys["collection"]
    node = open_node(db)
    app = create_app(node)
    captured: list[tuple[str, Any]] = []
    with node.engine.connect() as conn:
        counts = conn.execute(text("SELECT count(*), pg_size_pretty(pg_total_relation_size("
                                   "'objects')) FROM objects")).one()

    if args.only in (None, "taxii"):
        readers = {"the node's own party (admin)": keys["token"],
                   "a party that may only read the collection": reader_token(db, collection)}
        after = added_after_threshold(args.pg, schema, collection, 10_000)
        client = TestClient(app)
        sections = []
        for who, token in readers.items():
            for label, path, params in paths(collection, probes, after, client, token):
                with capturing(captured):
                    response = client.get(path, params=params, headers={
                        "authorization": f"Bearer {token}", "accept": TAXII})
                found = len(response.json().get("objects", response.json().get("versions",
                                                                                [])))
                # The token, the collection, the permissions: small tables, left out.
                plans = explain(node, captured, re.compile(r"\bobjects\b"))
                sections.append((who, label, path, params, response.status_code, found, plans))
                print(f"{who}: {label}: {response.status_code}, {found} objects, "
                      f"{len(plans)} statement(s) on objects", file=sys.stderr)
        write_section(args.out, render(args.size, counts, commit_of_code(), sections))

    if args.only in (None, "other"):
        others = []
        for label, who, call in other_paths(app, db, keys, probes):
            call()  # warm: statements prepared, caches filled, as a user's second visit
            with capturing(captured):
                status, said = call()
            plans = explain(node, captured, GROWING)
            others.append((label, who, status, said, plans))
            print(f"{label}: {status}, {said}, {len(plans)} statement(s) on growing tables",
                  file=sys.stderr)
        write_section(args.out, render_other(args.size, counts, commit_of_code(), others),
                      OTHER_HEADING)
    node.engine.dispose()


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
            took, buffers, used = plan_figures(plan)
            lines.append(f"| {label} | {who} | {found:,} | {took} | {buffers} | {used} |")
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


def tidy(text_: str) -> str:
    """A statement or plan for reading: a long IN list of parameters, or a long array literal,
    shortened to its first values and how many there are."""
    def parameters(m: re.Match[str]) -> str:
        return f"{m.group(1)}, … ({m.group(0).count('%(')} parameters)"

    def array(m: re.Match[str]) -> str:
        values = m.group(1).split(",")
        return "'{" + ",".join(values[:2]) + f",… ({len(values)} values)" + "}'"

    cast = r"::\w+(?:\(\d+\))?"
    text_ = re.sub(rf"(%\((\w+?)_1\)s{cast})(, %\(\2_\d+\)s{cast}){{3,}}", parameters, text_)
    return re.sub(r"'\{([^}]{200,})\}'", array, text_)


def plan_figures(plan: str) -> tuple[str, str, str]:
    """Execution time, buffers (hit / read) and the indexes a plan used, for the table."""
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    hit = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
    used = sorted(set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan "
                                 r"(?:Backward )?(?:using|on) (\w+)", plan)))
    return (f"{took.group(1) if took else '?'} ms",
            f"{hit.group(1) if hit else 0} / {hit.group(2) or 0 if hit else 0}",
            ", ".join(used) or "none (sequential scan)")


def render_other(size: int, counts: Any, commit: str, sections: list) -> str:
    lines = [
        OTHER_HEADING, "",
        f"Made by `bench/scale_explain.py {size}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"commit `{commit}`, on the same schema ({counts[0]:,} rows in `objects`, "
        f"{counts[1]}). Each path is requested twice through the node's own app (the review: "
        "the whole command, in process; its forked half's statements are the same as the "
        "parent's); every SELECT of the second that reads a table growing with the node is "
        "shown with its plan. The small tables (tokens, sessions, parties, permissions, "
        "settings) are left out.", "",
        "| access path | as | status, found | statement | execution | buffers hit / read | "
        "index used |", "|---|---|---|--:|--:|--:|---|",
    ]
    for label, who, status, found, plans in sections:
        for number, (_statement, _parameters, plan) in enumerate(plans, 1):
            took, buffers, used = plan_figures(plan)
            lines.append(f"| {label} | {who} | {status}, {found} | {number} | {took} | "
                         f"{buffers} | {used} |")
    lines.append("")
    for label, who, status, found, plans in sections:
        lines += [f"### {label} — as {who}", "", f"{status}, {found}", ""]
        if not plans:
            lines += ["(no statement on a growing table)", ""]
        for number, (statement, parameters, plan) in enumerate(plans, 1):
            lines += [f"Statement {number}:", "", "```sql", tidy(statement.strip()), "```",
                      "", f"values: `{json.dumps(parameters, default=str)[:600]}`", "",
                      "```", tidy(plan), "```", ""]
    return "\n".join(lines)


def write_section(out: Path, section: str, heading: str = HEADING) -> None:
    """Replace this bench's section of docs/plans.md (up to the next `## ` heading), or add it."""
    if not out.exists():
        out.write_text("# Query plans\n\nThe statements of each access path with their "
                       "PostgreSQL plans, as measured at scale.\n\n" + section)
        return
    current = out.read_text()
    start = current.find(heading + "\n")
    if start < 0:
        out.write_text(current.rstrip("\n") + "\n\n" + section)
        return
    following = current.find("\n## ", start + len(heading))
    rest = current[following + 1:] if following >= 0 else ""
    out.write_text(current[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
