#!/usr/bin/env bash
# `accord import` of generated indicator bundles: the whole command's wall time and the peak
# resident memory of its processes (GNU time's "Maximum resident set size": the largest of the
# command and its forked validator), into SQLite and into PostgreSQL.
#
# usage: bench/import_scale.sh COUNT... (e.g. 100000 1000000)
#   ACCORD_BENCH_PG  PostgreSQL URL to measure on too (default postgresql://postgres@127.0.0.1:5432/test;
#                    empty: SQLite only). Each run gets its own schema, dropped afterwards.
# Bundles are written by bench/indicator_bundle.py into a scratch directory under /tmp.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
PY="$REPO/.venv/bin/python"
ACCORD="$REPO/.venv/bin/accord"
PG=${ACCORD_BENCH_PG-postgresql://postgres@127.0.0.1:5432/test}
[ $# -gt 0 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
SCRATCH=$(mktemp -d /tmp/accord-import-scale.XXXXXX)
SCHEMA=""
cleanup() {
  [ -z "$SCHEMA" ] || "$PY" -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute('DROP SCHEMA IF EXISTS \"' + sys.argv[2] + '\" CASCADE')" "$PG" "$SCHEMA"
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

measure() {  # measure LABEL COUNT DB
  "$ACCORD" init --party Bench --db "$3" >/dev/null 2>&1
  /usr/bin/time -v "$ACCORD" import "$SCRATCH/$2.json" --collection evidence --db "$3" \
    >/dev/null 2>"$SCRATCH/time.txt" || true
  local wall rss summary
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$SCRATCH/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$SCRATCH/time.txt")
  summary=$(grep -E 'accepted|error|unreadable' "$SCRATCH/time.txt" | tail -1 || true)
  printf '%s\t%s objects\twall %s\tpeak RSS %s MB\t%s\n' "$1" "$2" "$wall" "$((rss / 1024))" "$summary"
}

for count in "$@"; do
  "$PY" "$HERE/indicator_bundle.py" "$count" "$SCRATCH/$count.json"
  measure sqlite "$count" "$SCRATCH/$count.db"
  rm -f "$SCRATCH/$count.db"*
  if [ -n "$PG" ]; then
    SCHEMA="bench_import_$$_$count"
    "$PY" -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute('CREATE SCHEMA \"' + sys.argv[2] + '\"')" "$PG" "$SCHEMA"
    measure postgresql "$count" "$PG?options=-csearch_path%3D$SCHEMA"
    "$PY" -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute('DROP SCHEMA \"' + sys.argv[2] + '\" CASCADE')" "$PG" "$SCHEMA"
    SCHEMA=""
  fi
  rm -f "$SCRATCH/$count.json"
done
