#!/usr/bin/env python3
"""Plot each figure of bench/scale-results.jsonl against the number of objects (log x), with
its target, into bench/scale.png; also print the markdown table (figure × size × target).

For each (figure, size) the latest run counts. Needs matplotlib: pip install -e '.[bench]'.

usage: scale_plot.py [--results bench/scale-results.jsonl] [--out bench/scale.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The figures drawn, in the order, with the words the table uses.
SHOWN = {
    "ingest": "bulk ingest (`accord import`)",
    "get_by_id_p99": "GET object by id, p99",
    "paging": "paging a collection",
    "match_type_rare_p99": "`match[type]` first page, rare type, p99",
    "match_type_common_p99": "`match[type]` first page, common type, p99",
    "added_after_10000": "`added_after`: the newest 10,000",
    "lookup_p99": "correlation look-up, p99",
    "search_name_p95": "search by name, p95",
    "object_graph_p95": "object page with its relationship graph, p95",
    "review": "review of 100,000 requests (whole command)",
    "dashboard_p95": "dashboard of a party (20,000 running requests), p95",
}

# The table also gives the medians beside the percentiles the targets name.
TABLE = {**{k: v for k, v in SHOWN.items() if k in ("ingest", "paging")},
         "get_by_id_p50": "GET object by id, p50", "get_by_id_p99": SHOWN["get_by_id_p99"],
         "match_type_rare_p50": "`match[type]` first page, rare type, p50",
         "match_type_rare_p99": SHOWN["match_type_rare_p99"],
         "match_type_common_p50": "`match[type]` first page, common type, p50",
         "match_type_common_p99": SHOWN["match_type_common_p99"],
         "added_after_10000": SHOWN["added_after_10000"],
         "lookup_p50": "correlation look-up, p50", "lookup_p99": SHOWN["lookup_p99"],
         "search_name_p50": "search by name, p50", "search_name_p95": SHOWN["search_name_p95"],
         "object_graph_p50": "object page with its relationship graph, p50",
         "object_graph_p95": SHOWN["object_graph_p95"], "review": SHOWN["review"],
         "dashboard_p50": "dashboard of a party (20,000 running requests), p50",
         "dashboard_p95": SHOWN["dashboard_p95"]}


def latest(results: Path) -> dict[str, dict[int, dict]]:
    figures: dict[str, dict[int, dict]] = {}
    for line in results.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            figures.setdefault(row["figure"], {})[row["size"]] = row  # later lines win
    return figures


def table(figures: dict[str, dict[int, dict]]) -> str:
    sizes = sorted({s for rows in figures.values() for s in rows})
    head = "| figure | " + " | ".join(f"{s:,} objects" for s in sizes) + " | target |"
    lines = [head, "|---|" + "---:|" * len(sizes) + "---|"]
    for figure, words in TABLE.items():
        rows = figures.get(figure, {})
        if not rows:
            continue
        any_row = next(iter(rows.values()))
        unit = any_row["unit"]
        cells = []
        for s in sizes:
            row = rows.get(s)
            if row is None:
                cells.append("")
                continue
            digits = 0 if unit == "obj/s" else 2 if unit == "s" else 1
            value = f"{row['value']:,.{digits}f}"
            cells.append(f"{value} {unit}" + (" ✗" if row["met"] is False else ""))
        target = any_row["target"]
        op = "≥" if any_row["target_op"] == "ge" else "≤"
        goal = f"{op} {target:,} {unit}" if target is not None else ""
        lines.append(f"| {words} | " + " | ".join(cells) + f" | {goal} |")
    return "\n".join(lines)


def plot(figures: dict[str, dict[int, dict]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [f for f in SHOWN if figures.get(f)]
    columns = 3
    rows = (len(shown) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows))
    for ax, figure in zip(axes.flat, shown, strict=False):
        points = sorted(figures[figure].items())
        sizes = [s for s, _ in points]
        values = [r["value"] for _, r in points]
        unit, target = points[0][1]["unit"], points[0][1]["target"]
        ax.plot(sizes, values, "o-", color="tab:blue", label="measured")
        if target is not None:
            ax.axhline(target, color="tab:red", linestyle="--", linewidth=1,
                       label=f"target {'≥' if points[0][1]['target_op'] == 'ge' else '≤'} "
                             f"{target:,}")
        ax.set_xscale("log")
        ax.set_xlim(min(5e4, sizes[0] / 2), 2e7)
        spread = [v for v in values + [target or 0] if v > 0]
        if max(spread) / min(spread) > 20:
            # A figure tens of times off its target: log y keeps both readable.
            ax.set_yscale("log")
            ax.set_ylim(min(spread) / 2, max(spread) * 2)
        else:
            ax.set_ylim(bottom=0, top=max(spread) * 1.25)
        ax.set_title(SHOWN[figure].replace("`", ""), fontsize=8.5)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_xlabel("objects in the node", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    commits = sorted({r["commit"] for rows in figures.values() for r in rows.values()})
    fig.suptitle("Accord on PostgreSQL 15, 2 CPUs, loopback — commit " + ", ".join(commits),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "scale-results.jsonl")
    parser.add_argument("--out", type=Path, default=HERE / "scale.png")
    args = parser.parse_args()
    figures = latest(args.results)
    plot(figures, args.out)
    print(table(figures))


if __name__ == "__main__":
    main()
