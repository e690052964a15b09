#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite (unit,
# vectors, oracles, live emulators on 127.0.0.1, crash tests) with ctest, then each libFuzzer
# target for 15 s (PRESIGN_FUZZ_SECONDS; scripts/fuzz.sh, clang build), then the sanitizer builds (ASan+UBSan over
# the suites, TSan over the concurrent engine).
#   scripts/test.sh                 everything
#   scripts/test.sh --quick [ARGS]  release build and ctest only; ARGS go to ctest (e.g. -L signers)
# Tests are labelled by group (core, signers, auth, io, providers, engine, store, stress, smoke, cli, oracle, live,
# crash, meta); `--quick -L GROUP` runs one group.
# Every phase keeps going after a failure. The last line is the summary, counting the format
# check, the ctest entries of every phase, each fuzz target and each TSan command as one entry:
#   test.sh: N passed, N failed
# and the exit status is non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/summary.sh
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
scripts/install-deps.sh
# Unformatted C++ fails the test command (scripts/format.sh fixes it).
summary_run "format --check" scripts/format.sh --check
t=$SECONDS
if scripts/build.sh; then
  echo "test.sh: release build took $((SECONDS - t)) s"
  t=$SECONDS
  # -j4 on 2 cores: the release tests wait on emulators, processes and sockets more than they
  # compute (-j2 kept about one core busy: 412 s; -j4 took 290 s on the CI-like machine).
  summary_ctest release build -j4 "$@"
  echo "test.sh: release ctest took $((SECONDS - t)) s"
else
  echo "test.sh: the release build failed" >&2
  SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
fi
if [ "$quick" = 0 ]; then
  mkdir -p build
  start=$SECONDS
  scripts/fuzz.sh "${PRESIGN_FUZZ_SECONDS:-15}" 2>&1 | tee build/fuzz-phase.log || true
  echo "test.sh: fuzz phase took $((SECONDS - start)) s"
  summary_add_from fuzz build/fuzz-phase.log
  start=$SECONDS
  scripts/sanitize.sh 2>&1 | tee build/sanitize-phase.log || true
  echo "test.sh: sanitizer phase took $((SECONDS - start)) s"
  summary_add_from sanitize build/sanitize-phase.log
fi
echo "test.sh: $SECONDS s in all"
summary_line test.sh
