#!/usr/bin/env bash
# Before/after figures on the same machine in the same run (issue: "the hot path stays as
# fast"): builds the benchmark suites and `presign` of BASE (a git revision) in a scratch
# worktree and of the working tree, then runs each suite for both, alternating base and new
# suite by suite so drift on the shared VM hits both alike, pinned to one CPU.
#   scripts/bench-compare.sh BASE_REV            the default selection below
#   BENCH_FILTER_<suite>=REGEX overrides one suite's filter; REPS (default 3) repetitions;
#   BASE_DIR (default /tmp/presign-bench-base) the base checkout, BASE_BUILD and NEW_BUILD the
#   build folders (default BASE_DIR/build-bench and build-bench); SKIP_BUILD=1 uses them as
#   they are (both built Release with the benchmarks).
# Prints one table per suite (median ns per iteration and items/s, base vs new) and the
# whole-job figures of `presign bench` for the three providers at 1 and 2 threads.
# Run it on a quiet machine: nothing else building.
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:?usage: scripts/bench-compare.sh BASE_REV}
REPS=${REPS:-3}
BENCH_CPU=${BENCH_CPU-1}
base_dir=${BASE_DIR:-/tmp/presign-bench-base}
new_build=${NEW_BUILD:-build-bench}
base_build=${BASE_BUILD:-$base_dir/build-bench}
suites=(sha256_multi_bench sigv4_bench gcs_bench azure_bench pipeline_bench list_page_bench)
declare -A filter=(
  [sha256_multi_bench]='BM_Url/'
  [sigv4_bench]='key_bytes:(40|256)$'
  [gcs_bench]='key_bytes:40$|RawSign'
  [azure_bench]='name_bytes:(40|256)$'
  [pipeline_bench]='EndToEnd'
  [list_page_bench]='S3Scanner|Azure|ListPage_Gcs$'
)

build() {  # build DIR: the suites and presign, Release
  cmake -S "$1" -B "$2" -DPRESIGN_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DPRESIGN_BUILD_BENCH=ON \
    >/dev/null
  cmake --build "$2" -j"$(nproc)" --target "${suites[@]}" presign >/dev/null
}
if [ -z "${SKIP_BUILD:-}" ]; then
  if [ ! -d "$base_dir/.git" ] && [ ! -f "$base_dir/.git" ]; then
    git worktree add --detach "$base_dir" "$base_rev" >/dev/null
  else
    git -C "$base_dir" checkout --detach -q "$base_rev"
  fi
  build "$base_dir" "$base_build"
  build . "$new_build"
fi

pin=()
if [ -n "$BENCH_CPU" ] && command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$BENCH_CPU"); fi
find_bin() { find "$1" -name "$2" -type f -perm -u+x | head -1; }
echo "bench-compare: base $(git -C "$base_dir" rev-parse --short HEAD), new $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + changes'); $(date -u +%FT%TZ); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); pinned: ${BENCH_CPU:-no}"
for s in "${suites[@]}"; do
  f=${filter[$s]}
  var="BENCH_FILTER_$s"
  f=${!var:-$f}
  for side in base new; do
    dir=$base_build
    [ "$side" = new ] && dir=$new_build
    bin=$(find_bin "$dir" "$s")
    "${pin[@]}" "$bin" --benchmark_filter="$f" --benchmark_repetitions="$REPS" \
      --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null |
      awk -F, -v side="$side" '$1 ~ /_median"?$/ {gsub(/"/, "", $1); sub(/_median$/, "", $1);
        t = ($1 ~ /real_time/) ? $3 : $4;
        printf "%s\t%s\t%.1f\t%s\n", side, $1, t, ($7 == "" ? "-" : $7)}' >"/tmp/bench-compare.$side"
  done
  echo
  echo "== $s (median of $REPS; CPU ns per iteration, wall for */real_time; items/s)"
  join -t $'\t' -j 1 <(cut -f2- /tmp/bench-compare.base | sort) <(cut -f2- /tmp/bench-compare.new | sort) |
    awk -F'\t' 'BEGIN {printf "%-55s %12s %12s %14s %14s %7s\n", "benchmark", "base ns", "new ns", "base items/s", "new items/s", "new/base"}
      {r = ($2 > 0) ? $4 / $2 : 0; printf "%-55s %12.1f %12.1f %14s %14s %7.3f\n", $1, $2, $4, $3, $5, r}'
done
echo
echo "== presign bench (whole job: sign + format + write to /dev/null)"
for p in s3 gcs azure; do
  for side in base new; do
    dir=$base_build
    [ "$side" = new ] && dir=$new_build
    echo "-- $side $p"
    "$(find_bin "$dir" presign)" bench --provider "$p" --threads 1,2 --objects 2000000 2>&1 | tail -4
  done
done
