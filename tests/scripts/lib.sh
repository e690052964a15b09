# Shared preamble of the script tests in tests/scripts (bash; not run on its own).
# Source it first thing: . "$(dirname "$0")/lib.sh" || exit 1
#
# It offers:
#   set -uo pipefail             turned on here (a script that also wants -e or -m sets it itself);
#   pass, fail                   the counters, both 0;
#   ok                           counts a passed check;
#   bad MESSAGE...               counts a failed check and prints "  FAIL: MESSAGE";
#   fail_setup MESSAGE...        the test cannot run: prints "NAME: FAIL: MESSAGE" on stderr and
#                                "$pass passed, $((fail + 1)) failed", exits 1. NAME is $TEST_NAME
#                                when the script sets it before sourcing, else $0's basename
#                                without .sh. A script whose message differs defines its own
#                                fail_setup after sourcing; need_exe and need_cmd call that one;
#   need_exe PATH WHAT [HINT]    fail_setup "WHAT 'PATH' is missing or not executable (HINT)"
#                                unless PATH is executable (an empty PATH is not);
#   need_cmd CMD [WHY]           fail_setup "CMD is not installed (WHY)" unless CMD is on PATH;
#   abs_path PATH                prints PATH made absolute (the directory resolved, the name kept);
#   finish                       prints "$pass passed, $fail failed" and exits 0 when no check
#                                failed and at least one passed, else 1.
# Nothing here skips: a missing prerequisite fails the test.
set -uo pipefail
# Tests talk only to 127.0.0.1: the end of the AWS chain never asks the machine's instance
# metadata at 169.254.169.254 (some hosts answer it). A test of IMDS points
# AWS_EC2_METADATA_SERVICE_ENDPOINT at its fake and sets this to false for that command.
export AWS_EC2_METADATA_DISABLED=true
# Azure managed identity (IMDS), tried last without other credentials: a closed loopback port,
# never 169.254.169.254.
export AZURE_POD_IDENTITY_AUTHORITY_HOST=${AZURE_POD_IDENTITY_AUTHORITY_HOST:-http://127.0.0.1:9}

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL: $*"; }
fail_setup() {
  echo "$TEST_NAME: FAIL: $*" >&2
  echo "$pass passed, $((fail + 1)) failed"
  exit 1
}
need_exe() {
  [ -x "$1" ] || fail_setup "$2 '$1' is missing or not executable${3:+ ($3)}"
}
need_cmd() {
  command -v "$1" >/dev/null || fail_setup "$1 is not installed${2:+ ($2)}"
}
abs_path() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
  esac
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] && exit 0
  exit 1
}
