#!/usr/bin/env bash
# Load benchmark (issue 3): `probity serve` on SQLite with N records (default 1,000,000), 64
# concurrent clients for 30 s each on a provider's record list, one record (JSON and its page), and
# a bare route of the same binary (`/ping`, no database), measured in the same run with wrk.
#
#   bench/load.sh [RECORDS]            DURATION=30s CONNECTIONS=64 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
DUR="${DURATION:-30s}"
CONN="${CONNECTIONS:-64}"
OUT=bench-out/load
PORT="${PORT:-18181}"
BASE="http://127.0.0.1:$PORT"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "wrk is needed (apt-get install wrk)" >&2; exit 2; fi
fi
cargo build --release -q -p probity --bin probity
BIN=target/release/probity
mkdir -p "$OUT"
DB="sqlite://$OUT/load-$N.db"
P=("$BIN" --db "$DB" --key-file "$OUT/load.key")

if [ ! -f "$OUT/load-$N.db" ]; then
  echo "preparing $N records ..." >&2
  "$BIN" gen --subjects 20000 --records "$N" --seed 7 --out "$OUT/gen-$N" >/dev/null
  "${P[@]}" subjects import "$OUT/gen-$N/roster.csv" >/dev/null
  "${P[@]}" records import "$OUT/gen-$N/records.csv" --provider 区财政局 --json >/dev/null
  printf 'Bench-Provider-2026\n' | "${P[@]}" user add --name bench_provider --role provider --unit 区财政局 --password-stdin >/dev/null
fi
TOKEN=$("${P[@]}" token issue --user bench_provider 2>/dev/null)

"${P[@]}" serve --addr "127.0.0.1:$PORT" >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

ID=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/records?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

run() { # name url
  wrk -t2 -c"$CONN" -d"$DUR" --latency -H "Authorization: Bearer $TOKEN" "$2" >"$OUT/wrk-$1.txt"
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

{
  run bare "$BASE/ping"
  run list "$BASE/api/v1/records?limit=50"
  run record "$BASE/api/v1/records/$ID"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/console/records/$ID")" = 200 ]; then
    run record-page "$BASE/console/records/$ID"
  fi
} >"$OUT/results.tsv"

printf '\n%s records on SQLite, %s connections, %s each\n\n' "$N" "$CONN" "$DUR"
printf '| target | requests/s | p50 ms | p99 ms | non-2xx | throughput vs bare |\n|---|---|---|---|---|---|\n'
BARE=$(awk -F'\t' '$1=="bare"{print $2}' "$OUT/results.tsv")
awk -F'\t' -v bare="$BARE" '{printf "| %s | %s | %s | %s | %s | %.2f |\n", $1, $2, $3, $4, $5, $2/bare}' "$OUT/results.tsv"
