#!/usr/bin/env bash
# Fuzzes the .xlsx reader (fuzz_targets/xlsx_reader.rs) under a memory limit: an input that takes
# the process past 512 MB is a memory bomb the reader's limits let through. libFuzzer saves it as
# artifacts/xlsx_reader/oom-*, and this script then fails. Inputs up to 256 KiB, so that deflate
# can blow one up to hundreds of megabytes.
#
#   fuzz/run_xlsx_reader.sh [SECONDS]        (default 300)
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_TO_RUN="${1:-300}"
mkdir -p corpus/xlsx_reader artifacts/xlsx_reader
# -fork=1 -ignore_crashes=1: keep going past calamine's known overflow panic (see README); crashes
# and out-of-memory inputs are still saved under artifacts/xlsx_reader.
cargo fuzz run xlsx_reader --sanitizer none -- \
  -rss_limit_mb=512 -max_len=262144 -timeout=60 \
  -max_total_time="$SECONDS_TO_RUN" -fork=1 -ignore_crashes=1 \
  corpus/xlsx_reader
if compgen -G "artifacts/xlsx_reader/oom-*" >/dev/null; then
  echo "inputs that took the reader past 512 MB:" >&2
  ls artifacts/xlsx_reader/oom-* >&2
  exit 1
fi
