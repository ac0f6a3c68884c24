#!/usr/bin/env bash
# Accord's benchmarks: the import floor, `accord import`, and the TAXII 2.1 black-box benchmark
# (../shared/bench/taxii_bench.py) against `accord serve`; with --medallion, also medallion and
# accord side by side on ATT&CK Mobile. See bench/README.md for what each figure means.
#
# usage: bench/run.sh [--medallion] [--workers N] [DATA.json]
#   DATA.json  default: ../shared/data/attack/enterprise-attack-18.1.json (relative to the repo)
# Results: one JSON line per measurement in bench/results/RUN.jsonl; a markdown table at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
SHARED="$(dirname "$REPO")/shared"
PY="$REPO/.venv/bin/python"
ACCORD="$REPO/.venv/bin/accord"
TAXII_ACCEPT='Accept: application/taxii+json;version=2.1'

die() { echo "bench: $*" >&2; exit 2; }

MEDALLION=0
WORKERS=2
DATA=""
while [ $# -gt 0 ]; do
  case "$1" in
    --medallion) MEDALLION=1 ;;
    --workers) shift; WORKERS=${1:?--workers needs a number} ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$DATA" ] || die "one data file only (got $DATA and $1)"; DATA=$1 ;;
  esac
  shift
done

[ -d "$SHARED/bench" ] || die "$SHARED is missing: the benchmark client (shared/bench/taxii_bench.py) \
and the ATT&CK data live there, next to this repository"
TAXII_BENCH="$SHARED/bench/taxii_bench.py"
[ -f "$TAXII_BENCH" ] || die "$TAXII_BENCH is missing"
DATA=${DATA:-$SHARED/data/attack/enterprise-attack-18.1.json}
MOBILE="$SHARED/data/attack/mobile-attack-17.1.json"
[ -f "$DATA" ] || die "no data file $DATA"
[ -x "$ACCORD" ] || die "$ACCORD not found: create the venv first (python -m venv .venv && \
.venv/bin/pip install -e '.[test]')"
command -v curl >/dev/null || die "curl is needed to wait for the server"

RUN=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$HERE/results"
OUT="$HERE/results/$RUN.jsonl"
SCRATCH=$(mktemp -d /tmp/accord-bench.XXXXXX)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# record KEY=VALUE... < JSON line: add the keys (values as JSON if they parse, else strings) and
# append the line to the results file.
record() {
  "$PY" -c '
import json, sys
line = json.loads(sys.stdin.read().strip().splitlines()[-1])
extra = {}
for pair in sys.argv[2:]:
    key, _, value = pair.partition("=")
    try:
        extra[key] = json.loads(value)
    except ValueError:
        extra[key] = value
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({**extra, **line}) + "\n")
' "$OUT" "run=$RUN" "$@"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server DB LOG: run `accord serve` on a free port; sets PORT and SERVER_PID.
start_server() {
  PORT=$(free_port)
  "$ACCORD" serve --db "$1" --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" 2>"$2" &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H "$TAXII_ACCEPT" \
         "http://127.0.0.1:$PORT/taxii2/"; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$2" >&2; SERVER_PID=""; die "accord serve exited before answering (log above)"
    fi
    sleep 0.2
  done
  cat "$2" >&2; die "accord serve did not answer on port $PORT within 30 s"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# taxii_accord DATA LABEL: a fresh node, served with $WORKERS workers, measured by taxii_bench.
taxii_accord() {
  local data=$1 label=$2 db="$SCRATCH/$2.db" collection
  TOKEN=$("$ACCORD" init --party Bench --db "$db" 2>/dev/null)
  collection=$("$ACCORD" collection create Bench --db "$db" 2>/dev/null)
  start_server "$db" "$SCRATCH/$label.log"
  echo "== taxii_bench.py against accord serve --workers $WORKERS ($(basename "$data"))" >&2
  "$PY" "$TAXII_BENCH" --url "http://127.0.0.1:$PORT" --api-root /taxii2/accord/ \
    --collection "$collection" --token "$TOKEN" --data "$data" --label accord \
    >"$SCRATCH/$label.out"
  stop_server
  record bench=taxii server=accord "workers=$WORKERS" "data=$data" <"$SCRATCH/$label.out"
}

echo "== results: $OUT" >&2

# Where and on what the figures were measured.
"$PY" - "$REPO" "$WORKERS" <<'PY' | record bench=machine
import json, os, platform, subprocess, sys
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
            if line.startswith("model name")), platform.processor())
commit = subprocess.run(["git", "-C", sys.argv[1], "describe", "--always", "--dirty"],
                        capture_output=True, text=True).stdout.strip()
print(json.dumps({"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
                  "commit": commit, "workers": int(sys.argv[2])}))
PY

# (a) the floor: parse + one row per object into a fresh SQLite file, one transaction.
echo "== floor ($(basename "$DATA"))" >&2
t0=$(now)
"$PY" "$HERE/floor.py" "$DATA" >"$SCRATCH/floor.out"
t1=$(now)
record "wall_s=$(elapsed "$t0" "$t1")" <"$SCRATCH/floor.out"

# (b) accord import of the same file into a fresh SQLite node (the whole command is timed).
echo "== accord import ($(basename "$DATA"))" >&2
"$ACCORD" init --party Bench --db "$SCRATCH/import.db" >/dev/null 2>&1
t0=$(now)
set +e
"$ACCORD" import "$DATA" --db "$SCRATCH/import.db" 2>"$SCRATCH/import.log"
IMPORT_EXIT=$?
set -e
t1=$(now)
SUMMARY=$(grep -E '[0-9]+ accepted, [0-9]+ unchanged, [0-9]+ rejected' "$SCRATCH/import.log" | tail -1 || true)
if [ "$IMPORT_EXIT" -ne 0 ]; then
  echo "accord import exited $IMPORT_EXIT; its rejections:" >&2
  grep -E 'rejected|unreadable|error' "$SCRATCH/import.log" | head -20 >&2 || true
fi
"$PY" - "$SCRATCH/floor.out" "$(elapsed "$t0" "$t1")" "$IMPORT_EXIT" "$SUMMARY" "$DATA" \
  >"$SCRATCH/import.out" <<'PY'
import json, re, sys
floor = json.loads(open(sys.argv[1]).read())
seconds, exit_code, summary, data = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
counts = dict(zip(("accepted", "unchanged", "rejected"),
                  map(int, re.findall(r"(\d+) (?:accepted|unchanged|rejected)", summary))))
print(json.dumps({"bench": "import", "data": data, "objects": floor["objects"], **counts,
                  "exit": exit_code, "seconds": round(seconds, 3),
                  "objects_per_s": round(floor["objects"] / seconds)}))
PY
record <"$SCRATCH/import.out"

# (c) the TAXII 2.1 benchmark against accord serve.
taxii_accord "$DATA" main

# (d) medallion and accord on ATT&CK Mobile, side by side.
if [ "$MEDALLION" = 1 ]; then
  [ -f "$MOBILE" ] || die "no ATT&CK Mobile file at $MOBILE"
  echo "== medallion 3.0.0 ($(basename "$MOBILE")); first run installs it under /tmp" >&2
  bash "$SHARED/bench/medallion_run.sh" "$MOBILE" >"$SCRATCH/medallion.out" \
    || die "medallion_run.sh failed"
  record bench=taxii server=medallion "data=$MOBILE" <"$SCRATCH/medallion.out"
  taxii_accord "$MOBILE" mobile
fi

# The table: every figure of this run, against the issue's targets.
"$PY" - "$OUT" "$WORKERS" <<'PY'
import json, sys

lines = [json.loads(line) for line in open(sys.argv[1])]
workers = sys.argv[2]
machine = next(r for r in lines if r["bench"] == "machine")
print(f"\nrun {machine['run']}: {machine['cpus']} CPUs ({machine['cpu']}), "
      f"Python {machine['python']}, commit {machine['commit']}")
floor = next(r for r in lines if r["bench"] == "floor")
imp = next(r for r in lines if r["bench"] == "import")
taxii = [r for r in lines if r["bench"] == "taxii"]
main = next(r for r in taxii if r["server"] == "accord" and r["data"] == floor["data"])


def num(value, unit=""):
    text = f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + unit


def verdict(ok):
    return "yes" if ok else "**no**"


ratio_wall = imp["seconds"] / floor["wall_s"]
ratio_inproc = imp["seconds"] / floor["seconds"]
print(f"\n### Import — {floor['data'].rsplit('/', 1)[-1]} ({floor['objects']:,} objects)\n")
print("| figure | measured | target | met |")
print("|---|---|---|---|")
print(f"| floor: parse + insert, in-process | {floor['seconds']} s | | |")
print(f"| floor: whole command | {floor['wall_s']} s | | |")
rejected = f", {imp.get('rejected', '?')} rejected" if imp.get("rejected") else ""
print(f"| `accord import`: whole command | {imp['seconds']} s "
      f"({num(imp['objects_per_s'])} obj/s{rejected}) | | |")
print(f"| import / floor (whole commands) | {ratio_wall:.2f}× | ≤ 2× | {verdict(ratio_wall <= 2)} |")
print(f"| import / floor (in-process floor) | {ratio_inproc:.2f}× | | |")

print(f"\n### TAXII 2.1 — accord serve --workers {workers}, "
      f"{main['data'].rsplit('/', 1)[-1]} ({main['objects']:,} objects)\n")
print("| figure | measured | target | met |")
print("|---|---|---|---|")
rows = [
    ("POST (batches of 500, status checked)", main["post_obj_per_s"], " obj/s", ">= 10,000",
     main["post_obj_per_s"] >= 10_000),
    ("paging (limit=1000)", main["page_obj_per_s"], " obj/s", ">= 30,000",
     main["page_obj_per_s"] >= 30_000),
    ("GET by id p50", main["by_id_p50_ms"], " ms", "<= 2 ms", main["by_id_p50_ms"] <= 2),
    ("GET by id p99", main["by_id_p99_ms"], " ms", "<= 10 ms", main["by_id_p99_ms"] <= 10),
    ("match[type]=intrusion-set p50", main["by_type_p50_ms"], " ms", "<= 20 ms",
     main["by_type_p50_ms"] <= 20),
    ("match[type]=intrusion-set p99", main["by_type_p99_ms"], " ms", "", None),
    ("8 threads, GET by id", main["conc_req_per_s"], " req/s", ">= 1,000",
     main["conc_req_per_s"] >= 1_000),
]
for name, value, unit, target, ok in rows:
    met = "" if ok is None else verdict(ok)
    print(f"| {name} | {num(value, unit)} | {target.replace('>=', '≥').replace('<=', '≤')} "
          f"| {met} |")
if main.get("conc_errors"):
    print(f"\n{main['conc_errors']} requests failed during the 8-thread phase.")

medallion = next((r for r in taxii if r["server"] == "medallion"), None)
if medallion:
    ours = next(r for r in taxii if r["server"] == "accord" and r["data"] == medallion["data"])
    print(f"\n### accord vs medallion 3.0.0 — {medallion['data'].rsplit('/', 1)[-1]} "
          f"({medallion['objects']:,} objects)\n")
    print("| figure | accord | medallion | accord better by |")
    print("|---|---|---|---|")
    compare = [
        ("POST", "post_obj_per_s", " obj/s", True),
        ("paging", "page_obj_per_s", " obj/s", True),
        ("GET by id p50", "by_id_p50_ms", " ms", False),
        ("GET by id p99", "by_id_p99_ms", " ms", False),
        ("match[type] p50", "by_type_p50_ms", " ms", False),
        ("8 threads", "conc_req_per_s", " req/s", True),
    ]
    for name, key, unit, higher_is_better in compare:
        a, m = ours[key], medallion[key]
        factor = (a / m if higher_is_better else m / a) if a and m else float("nan")
        print(f"| {name} | {num(a, unit)} | {num(m, unit)} | {factor:,.1f}× |")
print(f"\nraw results: {sys.argv[1]}")
PY
