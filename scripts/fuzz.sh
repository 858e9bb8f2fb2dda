#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang 14, ASan + UBSan) and runs each for
# SECONDS (default 60), starting from its seed corpus in tests/fuzz/<target>/. Prints one line
# per target:
#   fuzz <target>: <N> runs, 0 crashes
# or the crashing input's file, and exits non-zero if any target crashes, leaks or times out.
# What a run finds new is kept in build/fuzz/corpus/<target>/ (not in git); a crash is written
# to build/fuzz/crashes/<target>/ and becomes a regression test in the normal suite.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(config events_http event_json otlp_logs lines disk_queue checkpoints)
fi

scripts/setup.sh --fuzz
scripts/build.sh fuzz >/dev/null

failed=0
for target in "${targets[@]}"; do
  binary="build/fuzz/tests/fuzz/fuzz_$target"
  corpus="build/fuzz/corpus/$target"
  crashes="build/fuzz/crashes/$target"
  log="build/fuzz/$target.log"
  mkdir -p "$corpus" "$crashes"
  # -rss_limit_mb: a parser that balloons on small input is a bug; -timeout: so is one that
  # spins. -max_len keeps inputs near what a parser meets (a head, a line, a small segment).
  status=0
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$binary" "$corpus" "tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" \
    >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if ((status == 0)); then
    echo "fuzz $target: ${runs:-?} runs, 0 crashes"
  else
    failed=1
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    echo "fuzz $target: ${runs:-?} runs, FAILED (exit $status): ${artifact:-see $log}"
    grep -E "ERROR: |fuzz invariant broken|SUMMARY" "$log" | head -5 | sed 's/^/    /'
  fi
done
exit "$failed"
