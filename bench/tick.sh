#!/usr/bin/env bash
# Case clock benchmark (issue 11): `probity tick` over N activated records (default 1,000,000)
# and C open cases (default 100,000) in SQLite and, when PROBITY_BENCH_PG or PROBITY_TEST_PG is
# set, in PostgreSQL: time and peak memory of each round beside the same rounds without cases
# (the records' expiry alone), measured in the same run; then the case dashboard under wrk
# (8 and 64 connections, 30 s each) beside the bare route, with a provider's bearer token. On
# two cores, 64 connections measure queueing more than the page (Little's law: 64 / rate).
#
#   bench/tick.sh [RECORDS] [CASES]        DURATION=30s CONNECTIONS="8 64" bench/tick.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
C="${2:-100000}"
DUR="${DURATION:-30s}"
CONNS="${CONNECTIONS:-8 64}"
PG="${PROBITY_BENCH_PG:-${PROBITY_TEST_PG:-}}"
OUT=bench-out/tick
PORT="${PORT:-18184}"
BASE="http://127.0.0.1:$PORT"
# Inside the years of the shipped working-day calendar (2025, 2026).
DAY1=2026-06-15
DAY2=2026-06-16
mkdir -p "$OUT"

cargo build --release -q -p probity --bin probity --example case_seed
BIN=target/release/probity
SEED=target/release/examples/case_seed

measure() { # prints "<seconds> <peak RSS in MB>"
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{dt:.2f} {rss:.0f}")
sys.exit(p.returncode)
PY
}

if [ ! -d "$OUT/gen-$N" ]; then
  "$BIN" gen --subjects 20000 --records "$N" --seed 13 --out "$OUT/gen-$N" >/dev/null
fi

# prepare URL: a database of N activated records, imported as of DAY1's eve.
prepare() {
  local url=$1
  "$BIN" --db "$url" --key-file "$OUT/bench.key" subjects import "$OUT/gen-$N/roster.csv" >/dev/null
  "$BIN" --db "$url" --key-file "$OUT/bench.key" records import "$OUT/gen-$N/records.csv" \
    --provider 区财政局 --activate --json >/dev/null
}

bench_one() { # backend url
  local name=$1 url=$2
  local P=("$BIN" --db "$url" --key-file "$OUT/bench.key")
  # The imports' activations are behind the rectification clock (it measures the deadlines).
  "$SEED" "$url" 0 "$DAY1" >/dev/null
  # Baseline: the rounds without cases (the first one expires what has ended).
  read -r B1 M1 < <(measure "${P[@]}" tick --today "$DAY1")
  read -r B2 M2 < <(measure "${P[@]}" tick --today "$DAY1")
  read -r B3 M3 < <(measure "${P[@]}" tick --today "$DAY2")
  "$SEED" "$url" "$C" "$DAY1" >/dev/null
  read -r T1 R1 < <(measure "${P[@]}" tick --today "$DAY1")
  read -r T2 R2 < <(measure "${P[@]}" tick --today "$DAY1")
  read -r T3 R3 < <(measure "${P[@]}" tick --today "$DAY2")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" \
    "$B1" "$M1" "$T1" "$R1" "$B2" "$M2" "$T2" "$R2" "$B3" "$M3" "$T3" "$R3"
}

DB="sqlite://$OUT/tick-$N.db"
rm -f "$OUT/tick-$N.db"*
echo "preparing $N records in SQLite ..." >&2
prepare "$DB"
bench_one sqlite "$DB" >"$OUT/tick.tsv"
if [ -n "$PG" ]; then
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  PGURL="${PG}${sep}options=-csearch_path%3Dprobity_tick_bench"
  psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_tick_bench CASCADE; CREATE SCHEMA probity_tick_bench;" >/dev/null
  echo "preparing $N records in PostgreSQL ..." >&2
  prepare "$PGURL"
  bench_one postgres "$PGURL" >>"$OUT/tick.tsv"
fi

# The dashboard under wrk, on the SQLite database, as the provider 区财政局 (a bearer token).
if command -v wrk >/dev/null 2>&1; then
  P=("$BIN" --db "$DB" --key-file "$OUT/bench.key")
  printf 'Bench-Pass-2026!\n' | "${P[@]}" user add --name bench_caizheng --role provider --unit 区财政局 \
    --real-name 基准测试 --phone 022-65300000 --password-stdin >/dev/null 2>&1 || true
  TOKEN=$("${P[@]}" token issue --user bench_caizheng --label bench | grep -o 'pbt_[A-Za-z0-9_-]*' | head -1)
  "${P[@]}" serve --addr "127.0.0.1:$PORT" --public-per-minute 1000000 >"$OUT/serve.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  run() { # name url
    wrk -t2 -c"$CONN" -d"$DUR" --latency -H "Authorization: Bearer $TOKEN" -H "Accept: text/html" "$2" >"$OUT/wrk-$1.txt"
    printf '%s\t' "$CONN"
    python3 - "$1" "$OUT/wrk-$1.txt" <<'PY'
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
    run bare "$BASE/ping"; run dashboard "$BASE/console/cases"; run cases-api "$BASE/api/v1/cases?limit=50"
  done >"$OUT/load.tsv"
fi

printf '\n`probity tick` over %s records, %s open cases (seconds, peak MB); baseline = the same round without cases\n\n' "$N" "$C"
printf '| backend | round | baseline s | baseline MB | with cases s | with cases MB |\n|---|---|---|---|---|---|\n'
awk -F'\t' '{
  printf "| %s | first (%s) | %s | %s | %s | %s |\n", $1, "'"$DAY1"'", $2, $3, $4, $5;
  printf "| %s | again, same day | %s | %s | %s | %s |\n", $1, $6, $7, $8, $9;
  printf "| %s | next day (%s) | %s | %s | %s | %s |\n", $1, "'"$DAY2"'", $10, $11, $12, $13 }' "$OUT/tick.tsv"
if [ -f "$OUT/load.tsv" ]; then
  printf '\nwrk, %s each (provider token)\n\n| connections | target | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n' "$DUR"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$OUT/load.tsv"
fi
