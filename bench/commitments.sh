#!/usr/bin/env bash
# Commitments benchmark (守信践诺, task 13): N procurement contracts (default 1,000,000) and twice as
# many payments from `probity gen-commitments`, loaded into a fresh database that holds the demo
# district's roster (`probity demo`: the purchasers are its units), then the daily clock and the
# overdue list. Each step is timed on its own (wall seconds, peak RSS of the probity process) and
# printed with the line the command printed:
#   gen-commitments, commitments import (contracts), commitments import (payments),
#   tick (every clock, the commitments' included), commitments list --state overdue --json.
#
#   bench/commitments.sh [CONTRACTS] [DB]     DB: sqlite (default), postgres or both
#   PROBITY_BENCH_PG=postgres://postgres@127.0.0.1:5432/test bench/commitments.sh 1000000 postgres
#   DATE=2026-06-15 bench/commitments.sh      (default: today in Beijing)
#
# DATE is the generator's today and the clock's. The imports check dates against the real today
# in Beijing (no file date may be after it), so DATE must not be later than that.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
WHICH="${2:-sqlite}"
PG="${PROBITY_BENCH_PG:-${PROBITY_TEST_PG:-}}"
BEIJING_TODAY="$(TZ=Asia/Shanghai date +%F)"
DATE="${DATE:-$BEIJING_TODAY}"
OUT=bench-out/commitments
mkdir -p "$OUT"

case "$WHICH" in
  sqlite) BACKENDS="sqlite" ;;
  postgres) BACKENDS="postgres" ;;
  both) BACKENDS="sqlite postgres" ;;
  *) echo "DB must be sqlite, postgres or both, not '$WHICH'" >&2; exit 2 ;;
esac
case " $BACKENDS " in
  *" postgres "*)
    [ -n "$PG" ] || { echo "postgres needs PROBITY_BENCH_PG or PROBITY_TEST_PG (a postgres:// URL)" >&2; exit 2; }
    command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 2; }
    ;;
esac
if ! [[ "$DATE" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
  echo "DATE must be YYYY-MM-DD, not '$DATE'" >&2; exit 2
fi
if [[ "$DATE" > "$BEIJING_TODAY" ]]; then
  echo "DATE $DATE is after today in Beijing ($BEIJING_TODAY): the imports would refuse its dates" >&2
  exit 2
fi

cargo build --release -q -p probity --bin probity
BIN="${CARGO_TARGET_DIR:-target}/release/probity"
GEN="$OUT/gen-$N"

# measure TSV STEP CMD...: runs CMD, appends "STEP<TAB>seconds<TAB>peak RSS MB<TAB>output" to TSV.
# The output is the lines the command printed, joined; a JSON list (one object a line) is counted
# instead and otherwise discarded, as `> /dev/null` would. Exit 3 (rows rejected) is reported, not
# fatal; any other failure stops the run with the command's stderr.
measure() {
  python3 - "$@" <<'PY'
import os, resource, subprocess, sys, tempfile, time
tsv, step, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
err = tempfile.TemporaryFile()
t = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
objects, lines = 0, []
for raw in p.stdout:
    line = raw.decode("utf-8", "replace").strip()
    if line.startswith("{"):
        objects += 1
    elif line and line not in ("[", "]"):
        lines = (lines + [line])[-4:]
code = p.wait()
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if code not in (0, 3):
    err.seek(0)
    sys.stderr.write(err.read().decode("utf-8", "replace")[-3000:])
    sys.stderr.write(f"{step}: exit {code}\n")
    sys.exit(code or 1)
text = "；".join(lines)
if objects:
    text = (text + "；" if text else "") + f"{objects} 份合同（JSON）"
if code == 3:
    text += "（有被拒绝的行：exit 3）"
text = text.replace("|", "\\|").replace("\t", " ")
with open(tsv, "a") as f:
    f.write(f"{step}\t{dt:.2f}\t{rss:.0f}\t{text}\n")
print(f"  {step}: {dt:.2f} s, {rss:.0f} MB — {text}", file=sys.stderr)
PY
}

bench_one() { # backend url
  local name=$1 url=$2
  local tsv="$OUT/$name.tsv"
  local P=("$BIN" --db "$url" --key-file "$OUT/bench.key" --index-dir "$OUT/search-index-$name")
  : >"$tsv"
  echo "$name: loading the demo district ..." >&2
  "${P[@]}" demo >/dev/null
  # gen writes files only; timed once per backend so each table is complete.
  rm -rf "$GEN"
  measure "$tsv" "gen-commitments" "$BIN" gen-commitments --contracts "$N" --seed 1 --out "$GEN" --today "$DATE"
  sync
  measure "$tsv" "commitments import contracts.csv --kind procurement" \
    "${P[@]}" commitments import "$GEN/contracts.csv" --kind procurement
  sync
  measure "$tsv" "commitments import payments.csv --kind payments" \
    "${P[@]}" commitments import "$GEN/payments.csv" --kind payments
  sync
  measure "$tsv" "tick --today $DATE" "${P[@]}" tick --today "$DATE"
  # The next day's round: what is left once the backlog is drafted (the steady state).
  measure "$tsv" "tick --today $DATE (again)" "${P[@]}" tick --today "$DATE"
  measure "$tsv" "commitments list --state overdue --json" \
    "${P[@]}" commitments list --state overdue --json --today "$DATE"
}

for b in $BACKENDS; do
  case $b in
    sqlite)
      rm -f "$OUT/commitments.db" "$OUT/commitments.db-wal" "$OUT/commitments.db-shm"
      rm -rf "$OUT/search-index-sqlite"
      bench_one sqlite "sqlite://$OUT/commitments.db"
      ;;
    postgres)
      psql "$PG" -q -c "DROP SCHEMA IF EXISTS probity_commitments_bench CASCADE; CREATE SCHEMA probity_commitments_bench;" >/dev/null
      sep='?'; case "$PG" in *\?*) sep='&';; esac
      rm -rf "$OUT/search-index-postgres"
      bench_one postgres "${PG}${sep}options=-csearch_path%3Dprobity_commitments_bench"
      ;;
  esac
done

for b in $BACKENDS; do
  case $b in sqlite) label=SQLite ;; postgres) label=PostgreSQL ;; esac
  printf '\n%s: %s contracts, %s payments, as of %s\n\n' "$label" "$N" "$((2 * N))" "$DATE"
  printf '| step | wall s | peak RSS MB | output |\n|---|---|---|---|\n'
  awk -F'\t' '{printf "| `%s` | %s | %s | %s |\n", $1, $2, $3, $4}' "$OUT/$b.tsv"
done
