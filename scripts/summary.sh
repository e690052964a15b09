# Counting helpers for scripts/test.sh, scripts/sanitize.sh and scripts/fuzz.sh (sourced).
# Every phase counts its entries (ctest tests, fuzz targets, TSan commands) into
# SUMMARY_PASSED / SUMMARY_FAILED / SUMMARY_SKIPPED and ends with one line
# "NAME: N passed, N failed", which a caller can add to its own counts (summary_add_from).

SUMMARY_PASSED=${SUMMARY_PASSED:-0}
SUMMARY_FAILED=${SUMMARY_FAILED:-0}
SUMMARY_SKIPPED=${SUMMARY_SKIPPED:-0}

# summary_ctest LABEL DIR [CTEST ARGS...]: runs ctest in DIR (output shown and kept in
# DIR/ctest-LABEL.log) and counts its tests from ctest's "N tests failed out of M" line;
# skipped tests (SKIP_RETURN_CODE) count as neither passed nor failed. A ctest run that prints
# no such line (no tests, a crash) counts as one failure.
summary_ctest() {
  local label=$1 dir=$2
  shift 2
  local log="$dir/ctest-$label.log" rc=0
  (cd "$dir" && ctest --output-on-failure "$@") 2>&1 | tee "$log" || rc=$?
  local line total failed skipped
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "summary: ctest ($label) printed no result line (exit $rc); counted as 1 failure" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
    return 0
  fi
  failed=$(sed -E 's/.*, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.*, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \((Skipped|Disabled)\)$' "$log" || true)
  SUMMARY_FAILED=$((SUMMARY_FAILED + failed))
  SUMMARY_SKIPPED=$((SUMMARY_SKIPPED + skipped))
  SUMMARY_PASSED=$((SUMMARY_PASSED + total - failed - skipped))
  if [ "$failed" -eq 0 ] && [ "$rc" -ne 0 ]; then
    echo "summary: ctest ($label) exited $rc with no failed test; counted as 1 failure" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
  fi
}

# summary_run NAME COMMAND...: one entry, passed when COMMAND exits 0.
summary_run() {
  local name=$1
  shift
  if "$@"; then
    SUMMARY_PASSED=$((SUMMARY_PASSED + 1))
  else
    echo "summary: FAILED: $name (exit $?)" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
  fi
}

# summary_add_from NAME LOG: adds the last "NAME: N passed, N failed" line of LOG; a LOG
# without one counts as one failure.
summary_add_from() {
  local name=$1 log=$2 line
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "summary: $name printed no result line; counted as 1 failure" >&2
    SUMMARY_FAILED=$((SUMMARY_FAILED + 1))
    return 0
  fi
  SUMMARY_PASSED=$((SUMMARY_PASSED + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
  SUMMARY_FAILED=$((SUMMARY_FAILED + $(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")))
  local skipped
  # (no "skipped" line is the usual case: grep's status 1 must not end a `set -e` caller)
  skipped=$(grep -E "^$name: [0-9]+ skipped" "$log" | tail -n 1 | sed -E 's/.*: ([0-9]+) skipped.*/\1/' || true)
  SUMMARY_SKIPPED=$((SUMMARY_SKIPPED + ${skipped:-0}))
}

# summary_line NAME: prints "NAME: N passed, N failed" (skips, if any, on the line before);
# returns non-zero when anything failed.
summary_line() {
  if [ "$SUMMARY_SKIPPED" -gt 0 ]; then
    echo "$1: $SUMMARY_SKIPPED skipped (reported by ctest, counted neither passed nor failed)"
  fi
  echo "$1: $SUMMARY_PASSED passed, $SUMMARY_FAILED failed"
  [ "$SUMMARY_FAILED" -eq 0 ]
}
