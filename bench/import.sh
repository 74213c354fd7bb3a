#!/usr/bin/env bash
# Import benchmark (issue 2, issue 9 item 9): generate N records with `probity gen`, import them
# into a fresh SQLite database and into PostgreSQL, and set each import beside the anchors of the
# same CSV measured in the same run:
#   - `sqlite3 .import` into a plain table of the same columns (SQLite),
#   - psql `\copy` into a plain table of the same columns (PostgreSQL),
#   - the raw prepared insert (`examples/raw_insert.rs`: one plain prepared statement per row, one
#     transaction, no validation, dedup, journal or change feed), on both.
# Each ratio is time_anchor / time_import (1.00: the import is as fast as the anchor). Peak memory
# is the maximum resident set size of the import process.
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

command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 2; }
if [ -n "$PG" ]; then
  command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 2; }
fi

cargo build --release -q -p probity --bin probity --example raw_insert
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/probity"
RAW="$TARGET/release/examples/raw_insert"

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
CSV="$OUT/gen/records.csv"

# The 13 columns of the record file, as plain text columns: the anchors' table.
COLS="subject_name TEXT, uscc TEXT, id_number TEXT, category TEXT, document_no TEXT, decided_on TEXT, \
authority TEXT, facts TEXT, basis TEXT, outcome TEXT, severity TEXT, scope TEXT, disclosure_until TEXT"

run_backend() { # name url key-file raw-runs
  local name=$1 url=$2 key=$3 raw_runs=$4
  "$BIN" --db "$url" --key-file "$key" subjects import "$OUT/gen/roster.csv" >/dev/null
  # The baselines run before and (for SQLite) after the import; the faster run counts, so the
  # ratio is against the most demanding baseline. `sync` keeps one step's writeback out of the next.
  sync; exec 3>"$OUT/$name.raw.m"; measure "$RAW" "$url" "$CSV"; exec 3>&-
  sync; exec 3>"$OUT/$name.import.m"
  measure "$BIN" --db "$url" --key-file "$key" records import "$CSV" --provider 区财政局 --json
  exec 3>&-
  if [ "$raw_runs" -gt 1 ]; then
    sync; exec 3>>"$OUT/$name.raw.m"; measure "$RAW" "$url" "$CSV"; exec 3>&-
  fi
  sync; exec 3>"$OUT/$name.verify.m"; measure "$BIN" --db "$url" --key-file "$key" audit verify; exec 3>&-
}

# `sqlite3 .import` of the same CSV into a fresh file (WAL, as the store runs it), one transaction.
sqlite_anchor() {
  local db="$OUT/anchor.db"
  rm -f "$db" "$db-wal" "$db-shm"
  sqlite3 "$db" "PRAGMA journal_mode=WAL; CREATE TABLE csv_records ($COLS);" >/dev/null
  printf '.bail on\nPRAGMA synchronous=NORMAL;\n.import --csv --skip 1 %s csv_records\n' "$CSV" > "$OUT/anchor.sql"
  sync; exec 3>"$OUT/sqlite.anchor.m"; measure sqlite3 "$db" ".read $OUT/anchor.sql"; exec 3>&-
  local n; n=$(sqlite3 "$db" "SELECT COUNT(*) FROM csv_records")
  [ "$n" = "$N" ] || { echo "sqlite3 .import loaded $n rows, not $N" >&2; exit 1; }
}

# psql `\copy` of the same CSV into a plain table of the same columns.
pg_anchor() {
  local url=$1
  psql "$url" -q -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS csv_records; CREATE TABLE csv_records ($COLS);" >/dev/null
  sync; exec 3>"$OUT/postgres.anchor.m"
  measure psql "$url" -q -v ON_ERROR_STOP=1 -c "\\copy csv_records FROM '$CSV' WITH (FORMAT csv, HEADER true)"
  exec 3>&-
  local n; n=$(psql "$url" -At -c "SELECT COUNT(*) FROM csv_records")
  [ "$n" = "$N" ] || { echo "\\copy loaded $n rows, not $N" >&2; exit 1; }
}

sqlite_anchor
run_backend sqlite "sqlite://$OUT/bench.db" "$OUT/bench.key" 2
BACKENDS="sqlite"
if [ -n "$PG" ]; then
  psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_bench CASCADE; CREATE SCHEMA probity_bench;" >/dev/null
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  PGB="${PG}${sep}options=-csearch_path%3Dprobity_bench"
  pg_anchor "$PGB"
  run_backend postgres "$PGB" "$OUT/bench.key" 1
  BACKENDS="sqlite postgres"
fi

printf '\n%s records (gen: %.1f s)\n\n' "$N" "$GEN_S"
printf '| backend | import s | import rec/s | import peak MB | COPY / .import s | anchor/import | raw insert s | raw/import | audit verify s |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for b in $BACKENDS; do
  read -r IS IMB < "$OUT/$b.import.m"
  read -r AS _ < "$OUT/$b.anchor.m"
  RS=$(sort -n "$OUT/$b.raw.m" | head -n1 | cut -d' ' -f1)
  read -r VS _ < "$OUT/$b.verify.m"
  python3 -c "
n=$N; i=$IS; a=$AS; r=$RS
print(f'| $b | {i:.1f} | {n/i:,.0f} | $IMB | {a:.1f} | {a/i:.2f} | {r:.1f} | {r/i:.2f} | $VS |')"
done
printf '\nAims (issue 9 item 9): SQLite raw/import >= 0.50, PostgreSQL COPY/import >= 0.33, peak memory < 300 MB.\n'
