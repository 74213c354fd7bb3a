#!/usr/bin/env bash
# Search benchmark (issue 4): N public, activated records (default 1,000,000) in SQLite and, when
# PROBITY_BENCH_PG or PROBITY_TEST_PG is set, in PostgreSQL; the index built by `probity reindex`
# (time, peak memory); single-query latency of a 2-character query, a 6-character query and a
# USCC beside the same queries as a LIKE '%…%' scan in each database; then `probity serve` under
# wrk (64 connections, 30 s) on the public search, beside its bare route, with the server's
# resident memory.
#
#   bench/search.sh [RECORDS]          DURATION=30s CONNECTIONS=64 bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
DUR="${DURATION:-30s}"
CONN="${CONNECTIONS:-64}"
PG="${PROBITY_BENCH_PG:-${PROBITY_TEST_PG:-}}"
OUT=bench-out/search
PORT="${PORT:-18183}"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "wrk is needed (apt-get install wrk)" >&2; exit 2; fi
fi
cargo build --release -q -p probity --bin probity --example search_bench
BIN=target/release/probity
SB=target/release/examples/search_bench
DB="sqlite://$OUT/search-$N.db"
IDX="$OUT/index-$N"
P=("$BIN" --db "$DB" --key-file "$OUT/bench.key" --index-dir "$IDX")

# Runs a command, prints "<seconds> <peak RSS in MB>".
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{dt:.1f} {rss:.0f}")
sys.exit(p.returncode)
PY
}

if [ ! -f "$OUT/search-$N.db" ]; then
  echo "preparing $N activated records ..." >&2
  "$BIN" gen --subjects 20000 --records "$N" --seed 11 --out "$OUT/gen-$N" >/dev/null
  "${P[@]}" subjects import "$OUT/gen-$N/roster.csv" >/dev/null
  "${P[@]}" records import "$OUT/gen-$N/records.csv" --provider 区财政局 --activate --json >/dev/null
fi
URLS=("$DB")
if [ -n "$PG" ]; then
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  PGURL="${PG}${sep}options=-csearch_path%3Dprobity_search_bench"
  if ! psql "$PG" -tAc "SELECT count(*) FROM probity_search_bench.records" 2>/dev/null | grep -qx "$N"; then
    echo "preparing $N activated records in PostgreSQL ..." >&2
    psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_search_bench CASCADE; CREATE SCHEMA probity_search_bench;" >/dev/null
    "$BIN" --db "$PGURL" --key-file "$OUT/bench.key" subjects import "$OUT/gen-$N/roster.csv" >/dev/null
    "$BIN" --db "$PGURL" --key-file "$OUT/bench.key" records import "$OUT/gen-$N/records.csv" --provider 区财政局 --activate --json >/dev/null
  fi
  URLS+=("$PGURL")
fi

echo "building the index ..." >&2
read -r BUILD_S BUILD_MB < <(measure "${P[@]}" reindex)
DOCS=$(du -sm "$IDX" | cut -f1)
USCC=$(sed -n 3p "$OUT/gen-$N/records.csv" | cut -d, -f2)

"$SB" "$IDX" "${URLS[@]}" -- 采购 政府采购合同 "$USCC" >"$OUT/single.tsv"

"${P[@]}" serve --addr "127.0.0.1:$PORT" --public-per-minute 1000000 >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
# Wait for the server's own catch-up to find nothing new (the index was just rebuilt).
sleep 2
run() { # name url
  wrk -t2 -c"$CONN" -d"$DUR" --latency "$2" >"$OUT/wrk-$1.txt"
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
# Every request a different USCC (more than the result cache holds): the uncached path.
python3 - "$OUT/gen-$N/roster.csv" >"$OUT/usccs.lua" <<'PY'
import csv, sys
codes = [r["统一社会信用代码"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")) if r.get("统一社会信用代码")]
print("local q = {" + ",".join('"%s"' % c for c in codes) + "}")
print("local i = math.random(#q)")
print('request = function() i = i % #q + 1; return wrk.format("GET", "/api/v1/public/search?q=" .. q[i]) end')
PY
run_lua() { # name script url
  wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$2" "$3" >"$OUT/wrk-$1.txt"
}
{
  run bare "$BASE/ping"
  run search-cached "$BASE/api/v1/public/search?q=%E9%87%87%E8%B4%AD"
  run_lua search-usccs "$OUT/usccs.lua" "$BASE"
  python3 - search-usccs "$OUT/wrk-search-usccs.txt" <<'PY'
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
} >"$OUT/load.tsv"
RSS=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$SERVER/status")
HWM=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$SERVER/status")

printf '\n%s records; index built in %s s (peak %s MB), %s MB on disk\n\n' "$N" "$BUILD_S" "$BUILD_MB" "$DOCS"
printf '| query | chars | index p50 ms | index p99 ms | hits | LIKE backend | LIKE ms | speedup (LIKE / index p50) |\n|---|---|---|---|---|---|---|---|\n'
awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s× |\n", $1, $2, $3, $4, $5, $6, $7, $9}' "$OUT/single.tsv"
printf '\n`probity serve`, wrk %s connections, %s each; server resident memory %s MB (peak %s MB)\n\n' "$CONN" "$DUR" "$RSS" "$HWM"
printf '| target | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|\n'
awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$OUT/load.tsv"
