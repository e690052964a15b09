#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite (unit,
# vectors, oracles, live emulators on 127.0.0.1, crash tests) with ctest, then each libFuzzer
# target for 25 s (scripts/fuzz.sh, clang build), then the sanitizer builds (ASan+UBSan over
# the suites, TSan over the concurrent engine).
#   scripts/test.sh                 everything
#   scripts/test.sh --quick [ARGS]  release build and ctest only; ARGS go to ctest (e.g. -L signers)
# Tests are labelled by group (signers, io, engine, stress, smoke, cli, oracle, live, crash,
# meta); `--quick -L GROUP` runs one group.
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
if scripts/build.sh; then
  summary_ctest release build -j2 "$@"
else
  echo "test.sh: the release build failed" >&2
  SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
fi
if [ "$quick" = 0 ]; then
  mkdir -p build
  start=$SECONDS
  scripts/fuzz.sh "${PRESIGN_FUZZ_SECONDS:-25}" 2>&1 | tee build/fuzz-phase.log || true
  echo "test.sh: fuzz phase took $((SECONDS - start)) s"
  summary_add_from fuzz build/fuzz-phase.log
  scripts/sanitize.sh 2>&1 | tee build/sanitize-phase.log || true
  summary_add_from sanitize build/sanitize-phase.log
fi
summary_line test.sh
