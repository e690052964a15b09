#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite (unit,
# vectors, oracles, live emulators on 127.0.0.1, crash tests) with ctest, then the sanitizer
# builds (ASan+UBSan over the suites, TSan over the concurrent engine).
#   scripts/test.sh                 everything
#   scripts/test.sh --quick [ARGS]  release build and ctest only; ARGS go to ctest (e.g. -L signers)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
scripts/install-deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j2 "$@")
if [ "$quick" = 0 ]; then
  scripts/sanitize.sh
fi
echo "test.sh: all suites passed"
