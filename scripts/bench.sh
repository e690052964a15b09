#!/usr/bin/env bash
# Builds the Google Benchmark suites (Release, warnings as errors) into build-bench/ and runs
# each one pinned to one CPU (STYLE §4.6):
#   scripts/bench.sh             5 repetitions, aggregates only (mean/median/stddev/cv); JSON per
#                                suite in build-bench/bench-results/<suite>.json
#   scripts/bench.sh --smoke     each benchmark's correctness check and a few iterations
#                                (--benchmark_min_time=0.01); fails if any check failed (CI)
#   scripts/bench.sh [--smoke] ARGS...   ARGS go to every suite, e.g. --benchmark_filter=SigV4
# Environment: BUILD_DIR (default build-bench), BENCH_CPU (default 0; empty: no pinning).
# The VM has two shared cores: compare medians, and expect ±10-15 % between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
BENCH_CPU=${BENCH_CPU-0}
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi

# Every target bench/CMakeLists.txt declares; built alone, so a broken test elsewhere in the
# tree does not stop the benchmarks.
mapfile -t suites < <(sed -n 's/^add_executable(\([A-Za-z0-9_]*_bench\)[ )].*/\1/p' bench/CMakeLists.txt)
if [ "${#suites[@]}" -eq 0 ]; then
  echo "bench.sh: no *_bench targets in bench/CMakeLists.txt" >&2
  exit 1
fi
cmake -S . -B "$BUILD_DIR" -DPRESIGN_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DPRESIGN_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${suites[@]}"

pin=()
if [ -n "$BENCH_CPU" ] && command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$BENCH_CPU"); fi
out_dir="$BUILD_DIR/bench-results"
mkdir -p "$out_dir"
failed=0
for suite in "${suites[@]}"; do
  exe="$BUILD_DIR/bench/$suite"
  if [ "$smoke" = 1 ]; then
    json="$out_dir/$suite.smoke.json"
    flags=(--benchmark_min_time=0.01)
  else
    json="$out_dir/$suite.json"
    flags=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
  fi
  echo "== $suite ($(date -u +%Y-%m-%dT%H:%M:%SZ), ${pin[*]:-unpinned})"
  "${pin[@]}" "$exe" "${flags[@]}" --benchmark_out="$json" --benchmark_out_format=json "$@"
  # A failed correctness check is reported with SkipWithError, which does not change the exit
  # status: look for it in the JSON.
  if grep -q '"error_occurred": true' "$json"; then
    echo "bench.sh: $suite: a benchmark failed its correctness check (see $json)" >&2
    failed=1
  fi
done
if [ "$failed" != 0 ]; then exit 1; fi
echo "bench.sh: results in $out_dir"
