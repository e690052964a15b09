#!/usr/bin/env bash
# Randomised S3 presign oracle (ctest label "oracle").
# usage: s3_oracle_random.sh PATH/TO/presign
#
# Signs >= 5,000 seeded random hostile keys (see s3_oracle.py) with presign and with Debian's
# botocore under a frozen clock, in 8 configurations, twice:
#   1. BOTO_DISABLE_CRT unset: botocore signs with the CRT (aws-c-auth, python3-awscrt);
#   2. BOTO_DISABLE_CRT=true:  botocore's pure-Python signer; every URL byte-identical.
# Each pass is ONE python process that signs every key itself and runs presign once per
# configuration. A missing prerequisite fails the test; nothing is skipped.
# Knobs: PRESIGN_ORACLE_COUNT (default 5000), PRESIGN_ORACLE_SEED (default 20240917).
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
COUNT=${PRESIGN_ORACLE_COUNT:-5000}
SEED=${PRESIGN_ORACLE_SEED:-20240917}

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "Debian python3 with python3-botocore is required"
"$PY" -c 'import botocore' 2>/dev/null ||
  fail_setup "python module botocore is missing for $PY (apt-get install python3-botocore)"
env -u BOTO_DISABLE_CRT "$PY" -c 'import awscrt, botocore.compat as c; assert c.HAS_CRT' 2>/dev/null ||
  fail_setup "python module awscrt is missing for $PY, so botocore cannot use its CRT signer (apt-get install python3-awscrt)"
[ "$COUNT" -ge 5000 ] 2>/dev/null || fail_setup "PRESIGN_ORACLE_COUNT=$COUNT: at least 5000 keys"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-oracle.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT

total_pass=0
total_fail=0
run_pass() {  # run_pass LABEL SIGNER ENV...
  local label=$1 signer=$2
  shift 2
  local log="$WORK/$label.log"
  env "$@" "$PY" "$HERE/s3_oracle.py" --presign "$PRESIGN" --workdir "$WORK/$label" \
    --signer "$signer" --count "$COUNT" --seed "$SEED" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "s3_oracle_random: $label pass printed no summary (exit $rc)" >&2
    total_fail=$((total_fail + 1))
    return
  fi
  p=${line%% passed*}
  f=${line#*, }
  f=${f%% failed*}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
}

echo "== pass 1: botocore CRT signer (BOTO_DISABLE_CRT unset) =="
run_pass crt crt -u BOTO_DISABLE_CRT
echo "== pass 2: botocore pure-Python signer (BOTO_DISABLE_CRT=true), byte-exact =="
run_pass python python BOTO_DISABLE_CRT=true

echo "s3_oracle_random: $COUNT keys (seed $SEED), two botocore signers"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
