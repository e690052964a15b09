#!/usr/bin/env bash
# libFuzzer runs of the parser targets (tests/fuzz/*_fuzz.cpp), docs/RELIABILITY.md §5.
#
# Configures build-fuzz with clang-14, the whole tree instrumented for coverage
# (-fsanitize=fuzzer-no-link) under ASan + UBSan, links each target with -fsanitize=fuzzer, and
# runs each one for SECONDS (default 60) on its seeds (tests/fuzz/corpus/<target>/, read only;
# new inputs go to build-fuzz/corpus/<target>/).
#
# A crash, leak or failed invariant stops that target and leaves the input in
# build-fuzz/artifacts/<target>/. Fix it, then copy the input into
# tests/fuzz/regressions/<target>/: io_tests (core_tests for core's targets, store_tests for
# api_key) replays that
# folder on every build.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: list_page_s3 list_page_azure
#        list_page_gcs uri_decode gcs_token utf8 endpoint http_date aws_ini aws_process
#        aws_sts gcs_sign_blob gcs_access_token gcs_adc azure_udk api_key; default all).
#        PRESIGN_FUZZ_JOBS targets run at once (default 2: one per core). scripts/test.sh
#        runs every target for 15 s this way (PRESIGN_FUZZ_SECONDS).
# Each target run is one entry; the last line is "fuzz: N passed, N failed" and the exit
# status is non-zero if any target failed (a failed build counts as one failure).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/summary.sh

secs=${1:-60}
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(list_page_s3 list_page_azure list_page_gcs uri_decode gcs_token utf8 endpoint http_date
           aws_ini aws_process aws_sts gcs_sign_blob gcs_access_token gcs_adc azure_udk api_key)
fi
build=${PRESIGN_FUZZ_BUILD_DIR:-build-fuzz}

jobs=${PRESIGN_FUZZ_JOBS:-2}
if ! { CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DPRESIGN_BUILD_FUZZ=ON -DPRESIGN_BUILD_TESTS=ON -DPRESIGN_BUILD_BENCH=OFF \
         -DPRESIGN_SANITIZE=address,undefined \
         -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null &&
       cmake --build "$build" -j2 --target "${targets[@]/%/_fuzz}"; }; then
  echo "fuzz: the clang fuzz build failed" >&2
  SUMMARY_FAILED=1
  summary_line fuzz || exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# fuzz_one TARGET: one libFuzzer run; its log in $build/TARGET.log, its status in $build/TARGET.rc.
fuzz_one() {
  local t=$1 dict=() rc=0
  case "$t" in
    list_page_s3|list_page_azure|aws_sts) dict=(-dict=tests/fuzz/list_page_xml.dict) ;;
    list_page_gcs | gcs_token | aws_process | gcs_sign_blob | gcs_access_token | gcs_adc) dict=(-dict=tests/fuzz/list_page_json.dict) ;;
  esac
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  # -max_len 64 KiB: room for pages of a few hundred keys; -timeout 10 s per input catches
  # anything quadratic.
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$secs" -max_len=65536 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" "${dict[@]}" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" 2>"$build/$t.log" || rc=$?
  echo "$rc" >"$build/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${secs}s"
  rm -f "$build/$t.rc"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=()
for t in "${targets[@]}"; do
  rc=$(cat "$build/$t.rc" 2>/dev/null || echo missing)
  if [ "$rc" = 0 ]; then
    SUMMARY_PASSED=$((SUMMARY_PASSED + 1))
  else
    failed+=("$t")
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
    echo "fuzz: $t FAILED (exit $rc); see $build/$t.log and $build/artifacts/$t/" >&2
  fi
  echo "fuzz: $t:"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+ +DONE' \
    "$build/$t.log" || true
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
else
  echo "fuzz: all targets ran ${secs}s without findings"
fi
summary_line fuzz
