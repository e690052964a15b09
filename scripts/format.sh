#!/usr/bin/env bash
# Formats every C++ source the repository tracks with clang-format-14 and .clang-format.
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   change nothing; list the files that are not formatted and exit 1
#                               (scripts/test.sh runs this: CI fails on unformatted code)
set -euo pipefail
cd "$(dirname "$0")/.."
CF=${CLANG_FORMAT:-clang-format-14}
command -v "$CF" >/dev/null || { echo "format: $CF not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$CF" --style=file "$f" | cmp -s - "$f" || bad+=("$f")
  done
  if [ "${#bad[@]}" -gt 0 ]; then
    printf 'format: not formatted (run scripts/format.sh): %s\n' "${bad[@]}" >&2
    echo "format: ${#bad[@]} of ${#files[@]} files not formatted" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
  exit 0
fi
"$CF" --style=file -i "${files[@]}"
echo "format: ${#files[@]} files formatted"
