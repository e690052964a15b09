#!/usr/bin/env bash
# clang-tidy-14 over the production sources (app/, auth/, core/, engine/, io/, providers/, signers/, store/) with .clang-tidy, using the
# compile commands of the release build (scripts/build.sh writes build/compile_commands.json).
#   scripts/lint.sh [FILE...]   default: every .cpp under app/ auth/ core/ engine/ io/ providers/ signers/ store/
# Exit status non-zero when clang-tidy reports a finding. Not part of the test command yet: the
# findings of the first full run are being worked off (see docs/ARCHITECTURE.md, "Tooling").
set -euo pipefail
cd "$(dirname "$0")/.."
CT=${CLANG_TIDY:-clang-tidy-14}
command -v "$CT" >/dev/null || { echo "lint: $CT not found (apt-get install clang-tidy-14)" >&2; exit 2; }
[ -f build/compile_commands.json ] || { echo "lint: run scripts/build.sh first (build/compile_commands.json)" >&2; exit 2; }
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files 'app/*.cpp' 'auth/*.cpp' 'core/*.cpp' 'engine/*.cpp' 'io/*.cpp' 'providers/*.cpp' 'signers/*.cpp' 'store/*.cpp'); fi
"$CT" -p build --quiet "${files[@]}" 2>/dev/null | tee build/lint.log
! grep -q ': warning: \|: error: ' build/lint.log
