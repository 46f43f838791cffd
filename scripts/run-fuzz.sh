#!/usr/bin/env bash
# Runs every libFuzzer target for RUNS executions (default 1,000,000), one after another,
# then replays each target's grown corpus to find the slowest input.
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DLATENT_FUZZ=ON -DLATENT_BUILD_TESTS=OFF -DLATENT_BUILD_APP=OFF
#   cmake --build build-fuzz --target fuzz_all
#   scripts/run-fuzz.sh build-fuzz [RUNS] [TARGET...]
# FUZZ_SECONDS (default 0: no limit) stops each target after that many seconds even if
# it has not reached RUNS executions. Logs go to BUILD/fuzz-logs/, grown corpora to BUILD/fuzz-corpus/, findings to BUILD/fuzz-findings/.
set -uo pipefail
shopt -s nullglob  # an empty grown corpus adds no arguments
cd "$(dirname "$0")/.."
BUILD=${1:?usage: run-fuzz.sh BUILD [RUNS] [TARGET...]}
RUNS=${2:-1000000}
shift $(( $# >= 2 ? 2 : 1 ))
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  TARGETS=($(ls "$BUILD"/tests/fuzz/ | sed -n 's/^fuzz_\([a-z0-9_]*\)$/\1/p' | grep -v '^all$'))
fi
mkdir -p "$BUILD/fuzz-logs" "$BUILD/fuzz-findings"
status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/fuzz_$t"
  work="$BUILD/fuzz-corpus/$t"
  mkdir -p "$work" "$BUILD/fuzz-findings/$t"
  log="$BUILD/fuzz-logs/$t.log"
  start=$(date +%s)
  # -timeout: an input slower than 10 s is a finding (the replay below measures the slowest).
  # A single allocation above 1 GiB is a finding too, except in Debian's libstb, which
  # reserves up to 2 GB for some corrupt 80-byte PNGs (address space, never filled:
  # RSS stays under the 2 GiB limit; see docs/reliability.md).
  malloc_mb=1024
  [[ $t == image ]] && malloc_mb=4096
  "$bin" -runs="$RUNS" -max_total_time="${FUZZ_SECONDS:-0}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=$malloc_mb -print_final_stats=1 \
    -artifact_prefix="$BUILD/fuzz-findings/$t/" "$work" "tests/fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
  # Replay the grown corpus and the seeds one input at a time: the slowest input.
  slowest=$("$bin" -runs=1 "$work"/* tests/fuzz/corpus/"$t"/* 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p' | sort -n | tail -1)
  inputs=$(ls "$work" | wc -l)
  findings=$(ls "$BUILD/fuzz-findings/$t" | wc -l)
  printf '%-12s rc=%d executions=%s seconds=%d corpus=%d slowest_ms=%s findings=%d\n' \
    "$t" "$rc" "${execs:-?}" "$secs" "$inputs" "${slowest:-?}" "$findings" | tee -a "$BUILD/fuzz-logs/summary.txt"
  [[ $rc -ne 0 ]] && status=1
done
exit $status
