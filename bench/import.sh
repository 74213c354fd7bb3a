#!/usr/bin/env bash
# Import benchmark (issue 2): generate N records with `probity gen`, import them into a fresh SQLite
# database and into PostgreSQL, and print records per second beside the raw insert rate of the same
# rows (one plain prepared statement, one transaction), measured in the same run, with peak memory.
#
#   bench/import.sh [RECORDS] [SUBJECTS]        (default 1000000 records, 20000 subjects)
#   PROBITY_BENCH_PG=postgres://postgres@127.0.0.1:5432/test bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
S="${2:-20000}"
PG="${PROBITY_BENCH_PG:-${PROBITY_TEST_PG:-}}"
OUT=bench-out
rm -rf "$OUT"; mkdir -p "$OUT"

cargo build --release -q -p probity --bin probity --example raw_insert
BIN=target/release/probity
RAW=target/release/examples/raw_insert

# Runs a command, prints "<seconds> <peak RSS in MB>" on fd 3.
measure() {
  python3 - "$@" 3>&3 <<'PY'
import os, resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write(p.stderr[-2000:] if p.returncode not in (0, 3) else "")
print(p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "", file=sys.stderr)
os.write(3, f"{dt:.3f} {rss:.0f}\n".encode())
sys.exit(0 if p.returncode in (0, 3) else p.returncode)
PY
}

echo "generating $N records over $S subjects ..." >&2
exec 3>"$OUT/gen.m"; measure "$BIN" gen --subjects "$S" --records "$N" --seed 42 --out "$OUT/gen"; exec 3>&-
read -r GEN_S GEN_MB < "$OUT/gen.m"

run_backend() { # name url key-file raw-runs
  local name=$1 url=$2 key=$3 raw_runs=$4
  "$BIN" --db "$url" --key-file "$key" subjects import "$OUT/gen/roster.csv" >/dev/null
  # The baseline runs before and (for SQLite) after the import; the faster run counts, so the
  # ratio is against the most demanding baseline. `sync` keeps one step's writeback out of the next.
  sync; exec 3>"$OUT/$name.raw.m"; measure "$RAW" "$url" "$OUT/gen/records.csv"; exec 3>&-
  sync; exec 3>"$OUT/$name.import.m"
  measure "$BIN" --db "$url" --key-file "$key" records import "$OUT/gen/records.csv" --provider 区财政局 --json
  exec 3>&-
  if [ "$raw_runs" -gt 1 ]; then
    sync; exec 3>>"$OUT/$name.raw.m"; measure "$RAW" "$url" "$OUT/gen/records.csv"; exec 3>&-
  fi
  sync; exec 3>"$OUT/$name.verify.m"; measure "$BIN" --db "$url" --key-file "$key" audit verify; exec 3>&-
}

run_backend sqlite "sqlite://$OUT/bench.db" "$OUT/bench.key" 2
BACKENDS="sqlite"
if [ -n "$PG" ]; then
  psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_bench CASCADE; CREATE SCHEMA probity_bench;" >/dev/null
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  run_backend postgres "${PG}${sep}options=-csearch_path%3Dprobity_bench" "$OUT/bench.key" 1
  BACKENDS="sqlite postgres"
fi

printf '\n%s records (gen: %.1f s)\n\n' "$N" "$GEN_S"
printf '| backend | import s | import rec/s | import peak MB | raw insert s | raw rec/s | import/raw | audit verify s |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for b in $BACKENDS; do
  read -r IS IMB < "$OUT/$b.import.m"
  RS=$(sort -n "$OUT/$b.raw.m" | head -n1 | cut -d' ' -f1)
  read -r VS VMB < "$OUT/$b.verify.m"
  python3 -c "
n=$N; i=$IS; r=$RS
print(f'| $b | {i:.1f} | {n/i:,.0f} | $IMB | {r:.1f} | {n/r:,.0f} | {r/i:.2f} | $VS |')"
done
