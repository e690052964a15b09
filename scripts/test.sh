#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite (unit,
# vectors, oracles, live emulators on 127.0.0.1) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j2 "$@"
