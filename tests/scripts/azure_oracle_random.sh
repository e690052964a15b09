#!/usr/bin/env bash
# Randomised Azure blob SAS oracle (ctest label "oracle").
# usage: azure_oracle_random.sh PATH/TO/presign
#
# Signs >= 5,000 seeded random hostile blob names (see azure_oracle.py) with presign and with
# Debian's azure-storage-blob (generate_blob_sas + BlobClient.url) in ONE /usr/bin/python3
# process, in 7 configurations, and requires every URL to be byte-identical. A missing
# prerequisite fails the test; nothing is skipped.
# Knobs: PRESIGN_ORACLE_COUNT (default 5000), PRESIGN_ORACLE_SEED (default 20241123).
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
COUNT=${PRESIGN_ORACLE_COUNT:-5000}
SEED=${PRESIGN_ORACLE_SEED:-20241123}

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "Debian python3 with python3-azure-storage is required"
"$PY" -c 'from azure.storage.blob import generate_blob_sas, BlobClient' 2>/dev/null ||
  fail_setup "python module azure.storage.blob is missing for $PY (apt-get install python3-azure-storage)"
[ "$COUNT" -ge 5000 ] 2>/dev/null || fail_setup "PRESIGN_ORACLE_COUNT=$COUNT: at least 5000 names"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-azure-oracle.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT

"$PY" "$HERE/azure_oracle.py" --presign "$PRESIGN" --workdir "$WORK" --count "$COUNT" --seed "$SEED" \
  2>&1 | tee "$WORK/oracle.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/oracle.log" | tail -n 1)
[ -n "$line" ] || fail_setup "the oracle printed no summary (exit $rc)"
[ "$rc" -eq 0 ] && [ "${line#* passed, }" = "0 failed" ]
