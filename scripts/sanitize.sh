#!/usr/bin/env bash
# Sanitizer runs (part of the test command):
#   build-asan: ASan + UBSan (clang-14), every doctest suite and the CLI tests (ctest -LE 'live|oracle',
#               without the kill -9 and signal scripts, which the release and TSan runs have)
#   build-tsan: TSan, the concurrency suites (stress.*, engine.*, io.http*, io.retry*, io.listing*, io.gcs*), a
#               real multi-threaded job, and SIGINT/SIGTERM mid-job (tests/scripts/interrupt.sh)
# Usage: scripts/sanitize.sh [asan|tsan]   (default both)
# Every ctest entry and every TSan command counts as one entry; the last line is
# "sanitize: N passed, N failed" and the exit status is non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/summary.sh
which=${1:-both}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
# TBB's own (uninstrumented) synchronisation is invisible to TSan; the suppressions file says
# why each entry is there.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"

if [ "$which" = both ] || [ "$which" = asan ]; then
  t=$SECONDS
  # clang-14, not g++: the same instrumented tree compiles in less than half the time (g++ 12
  # 87 s, clang 36 s of CPU for tests/support/fake_gcs_server.cpp), and clang's UBSan checks
  # more (CMakeLists.txt says which check clang 14 must leave out). The release and TSan
  # builds stay on g++, so both compilers build every change. A tree configured by the other
  # compiler (an older build-asan) is started afresh.
  if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  if CC=clang-14 CXX=clang++-14 scripts/build.sh -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DPRESIGN_SANITIZE=address,undefined -DPRESIGN_BUILD_BENCH=OFF; then
    echo "sanitize: ASan build took $((SECONDS - t)) s"
    t=$SECONDS
    # store_cli.sh's two processes at once: 15 rounds each here, 50 in the release run.
    # The kill -9 and SIGINT/SIGTERM scripts (crash.*_kill9_resume, crash.sigint_sigterm) run
    # in the release ctest, and under TSan (interrupt.sh below); here they would add about
    # three minutes of CI for code the engine suites (checkpoint, job, pipeline) already run
    # under ASan. crash.full_disk (the ENOSPC paths) stays.
    PRESIGN_STORE_LOOPS=15 summary_ctest asan build-asan -j2 -LE 'live|oracle' \
      -E '^crash\.(kill9_resume|s3_list_kill9_resume|formats_kill9_resume|sigint_sigterm)$'
    echo "sanitize: ASan ctest took $((SECONDS - t)) s"
  else
    echo "sanitize: the ASan build failed" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
  fi
fi

# A real job on 4 threads through the whole program, its keys kept in order.
tsan_job() {
  rm -f build-tsan/tsan.ck build-tsan/tsan-out.tsv
  seq -f 'tsan/key-%09.0f.txt' 1 300000 > build-tsan/tsan-keys.txt
  AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK build-tsan/presign sign s3://tsan-bucket \
    --keys-from build-tsan/tsan-keys.txt --threads 4 --format tsv --output build-tsan/tsan-out.tsv \
    --checkpoint build-tsan/tsan.ck --signing-time 2024-01-01T00:00:00Z &&
    cut -f1 build-tsan/tsan-out.tsv | cmp - build-tsan/tsan-keys.txt &&
    echo "sanitize: tsan job kept 300000 keys in order"
}

if [ "$which" = both ] || [ "$which" = tsan ]; then
  # Only what the TSan runs use (the signers' suites are single-threaded: ASan covers them).
  t=$SECONDS
  if scripts/build.sh -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESIGN_SANITIZE=thread \
      -DPRESIGN_BUILD_BENCH=OFF --target presign --target engine_tests --target io_tests; then
    # The engine executable whole (every engine.* and stress.* suite), run directly rather
    # than case by case through ctest (one process, the suites' threads together).
    echo "sanitize: TSan build took $((SECONDS - t)) s"
    t=$SECONDS
    summary_run "tsan engine_tests" build-tsan/tests/engine_tests
    # The HTTP client (its I/O thread and pool against many caller threads), the retry quota
    # and the listing source (its prefetch thread, cancel from the destructor), the one page
    # fetcher (timer backoff, Asio cancellation) and the GCS token flows (io.gcs*: the shared
    # token cache of gcs_token_cache.hpp on the listing's client and on the provider's own).
    summary_run "tsan io_tests io.http*,io.retry*,io.listing*,io.gcs*" \
      build-tsan/tests/io_tests -ts='io.http*,io.retry*,io.listing*,io.gcs*'
    summary_run "tsan job" tsan_job
    # SIGINT/SIGTERM mid-job: the signal thread, the pipeline's cancel flag and the writer's
    # last checkpoint under TSan (the same script as crash.sigint_sigterm, on a smaller job).
    PRESIGN_INTERRUPT_OBJECTS=600000 summary_run "tsan interrupt" bash tests/scripts/interrupt.sh build-tsan/presign
    echo "sanitize: TSan runs took $((SECONDS - t)) s"
  else
    echo "sanitize: the TSan build failed" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
  fi
fi
summary_line sanitize
