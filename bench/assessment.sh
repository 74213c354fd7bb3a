#!/usr/bin/env bash
# Assessment benchmark (issue 12): the 2026 year-end review (`probity assessment results`) for the
# demo district and for S subjects with N records (default 20,000 and 1,000,000; about a third
# decided in 2026), time and peak memory, beside a baseline measured in the same run on the same
# database (a steady `probity tick` round: the daily pass over the records' periods). Then the
# credit check (POST /api/v1/sanctions/check, each answer logged) under wrk beside the bare route
# (/ping) of the same server, with the 组织人事部门's bearer token. SQLite, and PostgreSQL when
# PROBITY_BENCH_PG or PROBITY_TEST_PG is set (the year-end review only).
#
#   bench/assessment.sh [RECORDS] [SUBJECTS]      DURATION=30s CONNECTIONS="8 64" bench/assessment.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
S="${2:-20000}"
DUR="${DURATION:-30s}"
CONNS="${CONNECTIONS:-8 64}"
PG="${PROBITY_BENCH_PG:-${PROBITY_TEST_PG:-}}"
OUT=bench-out/assessment
PORT="${PORT:-18185}"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT"

cargo build --release -q -p probity --bin probity
BIN=target/release/probity

measure() { # prints "<seconds> <peak RSS in MB>"
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{dt:.2f} {rss:.0f}")
sys.exit(p.returncode)
PY
}

if [ ! -d "$OUT/gen-$S-$N" ]; then
  "$BIN" gen --subjects "$S" --records "$N" --seed 17 --out "$OUT/gen-$S-$N" >/dev/null
fi

prepare() { # url
  local url=$1
  "$BIN" --db "$url" --key-file "$OUT/bench.key" subjects import "$OUT/gen-$S-$N/roster.csv" >/dev/null
  "$BIN" --db "$url" --key-file "$OUT/bench.key" records import "$OUT/gen-$S-$N/records.csv" \
    --provider 区财政局 --activate --json >/dev/null
}

bench_one() { # name url
  local name=$1 url=$2
  local P=("$BIN" --db "$url" --key-file "$OUT/bench.key")
  "${P[@]}" tick >/dev/null 2>&1 || true
  read -r B BM < <(measure "${P[@]}" tick)
  read -r T1 M1 < <(measure "${P[@]}" assessment results --year 2026 --json)
  read -r T2 M2 < <(measure "${P[@]}" assessment results --year 2026 --period mid_year --json)
  local units
  units=$("${P[@]}" assessment results --year 2026 --json 2>/dev/null | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$units" "$B" "$BM" "$T1" "$M1" "$T2" "$M2"
}

# The demo district.
DEMO="sqlite://$OUT/demo.db"
rm -f "$OUT/demo.db"*
"$BIN" --db "$DEMO" --key-file "$OUT/bench.key" demo >/dev/null
bench_one "SQLite, demo district" "$DEMO" >"$OUT/results.tsv"

DB="sqlite://$OUT/assess-$S-$N.db"
if [ ! -f "$OUT/assess-$S-$N.db" ]; then
  echo "preparing $N records in SQLite ..." >&2
  prepare "$DB"
fi
bench_one "SQLite, $S subjects / $N records" "$DB" >>"$OUT/results.tsv"
if [ -n "$PG" ]; then
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  PGURL="${PG}${sep}options=-csearch_path%3Dprobity_assess_bench"
  psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_assess_bench CASCADE; CREATE SCHEMA probity_assess_bench;" >/dev/null
  echo "preparing $N records in PostgreSQL ..." >&2
  prepare "$PGURL"
  bench_one "PostgreSQL, $S subjects / $N records" "$PGURL" >>"$OUT/results.tsv"
fi

# The credit check under wrk, on the SQLite database, as the 组织人事部门 (a bearer token), for a
# civil servant with records.
if command -v wrk >/dev/null 2>&1; then
  P=("$BIN" --db "$DB" --key-file "$OUT/bench.key")
  printf 'Bench-Pass-2026!\n' | "${P[@]}" user add --name bench_hr --role hr \
    --real-name 基准测试 --phone 022-65300000 --password-stdin >/dev/null 2>&1 || true
  TOKEN=$("${P[@]}" token issue --user bench_hr --label bench 2>/dev/null | grep -o 'pbt_[A-Za-z0-9_-]*' | head -1)
  SUBJECT=$(python3 - "$OUT/assess-$S-$N.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT r.subject_id FROM records r JOIN subjects s ON s.id = r.subject_id "
                "WHERE s.kind = 'civil_servant' AND r.decided_on >= '2026-01-01' LIMIT 1").fetchone()[0])
PY
)
  cat >"$OUT/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"subject": "$SUBJECT", "purpose": "excellent_rating", "year": 2026}'
wrk.headers["Content-Type"] = "application/json"
LUA
  "${P[@]}" serve --addr "127.0.0.1:$PORT" >"$OUT/serve.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"subject\": \"$SUBJECT\", \"purpose\": \"excellent_rating\", \"year\": 2026}" "$BASE/api/v1/sanctions/check" >"$OUT/check-sample.json"
  run() { # name url [script]
    local script=()
    if [ -n "${3:-}" ]; then script=(-s "$3"); fi
    wrk -t2 -c"$CONN" -d"$DUR" --latency "${script[@]}" -H "Authorization: Bearer $TOKEN" "$2" >"$OUT/wrk-$1-$CONN.txt"
    printf '%s\t' "$CONN"
    python3 - "$1" "$OUT/wrk-$1-$CONN.txt" <<'PY'
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def ms(v):
    n, u = float(re.match(r"([\d.]+)", v).group(1)), re.sub(r"[\d.]", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{name}\t{rps:.0f}\t{p50:.2f}\t{p99:.2f}\t{errors.group(1) if errors else 0}")
PY
  }
  for CONN in $CONNS; do
    run bare "$BASE/ping"; run check "$BASE/api/v1/sanctions/check" "$OUT/check.lua"
  done >"$OUT/load.tsv"
fi

printf '\nThe 2026 year-end review and mid-year check (seconds, peak MB); baseline = a steady `probity tick` round on the same database\n\n'
printf '| database | units | baseline s | baseline MB | year-end s | year-end MB | mid-year s | mid-year MB |\n|---|---|---|---|---|---|---|---|\n'
awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8}' "$OUT/results.tsv"
if [ -f "$OUT/load.tsv" ]; then
  printf '\nwrk, %s each (组织人事部门 token; every check is logged)\n\n| connections | target | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n' "$DUR"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$OUT/load.tsv"
fi
