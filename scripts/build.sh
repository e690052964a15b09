#!/usr/bin/env bash
# Configures and builds presign into build/ (Release, warnings as errors). Extra arguments go to
# the configure step, e.g. scripts/build.sh -DPRESIGN_SANITIZE=address,undefined -B build-asan;
# `--target NAME` (repeatable) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build
args=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -B) BUILD_DIR="$2"; shift 2 ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
cmake -S . -B "$BUILD_DIR" -DPRESIGN_WERROR=ON "${args[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
