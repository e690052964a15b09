#!/usr/bin/env bash
# `--summary FILE` and `--compress` (ctest label "cli").
# - a successful run's summary has every documented field with its JSON type;
# - a run whose listing fails (a closed 127.0.0.1 port, one attempt) still writes a summary:
#   status "failed", exit_code 5, the error's kind and reason, zero counts, and no output file;
# - an unwritable summary path is refused before any work, and no output file is created:
#   a missing directory exits 4 naming the reason, a directory exits 2;
# - a job killed (-9) mid-run and resumed reports "resumed":true and fewer objects signed by
#   this run than in the whole job, and the resume says so on stderr;
# - --compress zstd output decompresses (zstd CLI) to the uncompressed output; zstd:0,
#   zstd:20 and gzip are refused with exit 2.
# usage: summary.sh PATH/TO/presign. A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1
PRESIGN=${1:?usage: summary.sh PATH/TO/presign}
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "summary: FAIL: $PY is missing"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/presign-summary.XXXXXX")
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=AKIDSUMMARYTEST AWS_SECRET_ACCESS_KEY=summary-secret-value
seq -f 'sum/obj-%07.0f.bin' 1 1000 > "$work/keys.txt"
common=(sign s3://sum-bucket --keys-from "$work/keys.txt" --signing-time 2024-01-01T00:00:00Z
        --expires 1h --threads 2 --quiet)

# check_json FILE PYTHON-EXPRESSIONS...: every expression (over `s`, the parsed summary) is true.
check_json() {
  local file=$1; shift
  "$PY" - "$file" "$@" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
failed = [e for e in sys.argv[2:] if not eval(e, {"s": s, "int": int, "float": float, "str": str, "bool": bool, "dict": dict})]
for e in failed:
    print("    not true:", e, file=sys.stderr)
if failed:
    print("    summary:", json.dumps(s), file=sys.stderr)
sys.exit(1 if failed else 0)
PYEOF
}
isint='type(s[k]) is int and s[k] >= 0'

echo "a successful run's summary has every field with its type"
rc=0; "$PRESIGN" "${common[@]}" --output "$work/ok.ndjson" --summary "$work/ok.json" || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$work/ok.json" ] && check_json "$work/ok.json" \
    's["version"] == 1' 's["exit_code"] == 0' 's["status"] == "ok"' 's["error"] is None' \
    's["uri"] == "s3://sum-bucket"' 's["format"] == "ndjson"' 's["output"].endswith("/ok.ndjson")' \
    's["signing_time"] == "2024-01-01T00:00:00Z"' 's["expires_at"] == "2024-01-01T01:00:00Z"' \
    's["objects"] == 1000' 's["errors"] == 0' 's["objects_this_run"] == 1000' 's["resumed"] is False' \
    "s['bytes'] == $(stat -c %s "$work/ok.ndjson")" \
    'type(s["wall_seconds"]) is float' 'all(type(s[k]) is int and s[k] >= 0 for k in ["urls_per_second","batches","peak_rss_bytes"])' \
    's["threads"] == 2' 's["batches"] >= 1' 's["peak_rss_bytes"] > 0' \
    'sorted(s["latency_ns"]) == ["max","p50","p90","p99","p999"]' \
    'all(type(v) is int for v in s["latency_ns"].values())' \
    's["latency_ns"]["p50"] <= s["latency_ns"]["p99"] <= s["latency_ns"]["max"]' \
    'sorted(s) == sorted(["version","exit_code","status","error","uri","format","output","signing_time","expires_at","objects","errors","objects_this_run","resumed","bytes","wall_seconds","urls_per_second","threads","batches","peak_rss_bytes","latency_ns"])' \
    && ! grep -q 'summary-secret-value' "$work/ok.json"; then ok; else bad "success summary (rc $rc)"; fi

echo "a failed listing still writes a summary with the reason and zero counts"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
rc=0; "$PRESIGN" sign s3://sum-bucket/p/ --endpoint "http://127.0.0.1:$port" --addressing path \
    --retry-max-attempts 1 --quiet --output "$work/list.ndjson" --summary "$work/list.json" 2>"$work/list.err" || rc=$?
if [ "$rc" -eq 5 ] && [ ! -e "$work/list.ndjson" ] && [ -f "$work/list.json" ] && check_json "$work/list.json" \
    's["exit_code"] == 5' 's["status"] == "failed"' 'type(s["error"]) is dict' \
    's["error"]["kind"] in ("network", "protocol")' 'len(s["error"]["message"]) > 10' \
    '"refused" in s["error"]["message"].lower()' \
    's["objects"] == 0' 's["objects_this_run"] == 0' 's["bytes"] == 0' 's["batches"] == 0'; then ok
else bad "failed listing summary (rc $rc)"; cat "$work/list.err"; fi

echo "a summary in a missing directory is refused (exit 4, with the reason) before any output"
rc=0; "$PRESIGN" "${common[@]}" --output "$work/nodir.ndjson" --summary "$work/missing/s.json" 2>"$work/nodir.err" || rc=$?
if [ "$rc" -eq 4 ] && [ ! -e "$work/nodir.ndjson" ] && ! ls -A "$work" | grep -q 'nodir.ndjson' \
    && grep -q 'No such file or directory' "$work/nodir.err"; then ok
else bad "missing summary directory (rc $rc)"; cat "$work/nodir.err"; fi

echo "a summary path that is a directory is refused (exit 2) before any output"
mkdir "$work/sumdir"
rc=0; "$PRESIGN" "${common[@]}" --output "$work/isdir.ndjson" --summary "$work/sumdir" 2>"$work/isdir.err" || rc=$?
if [ "$rc" -eq 2 ] && ! ls -A "$work" | grep -q 'isdir.ndjson' && [ -z "$(ls -A "$work/sumdir")" ] \
    && grep -q 'is a directory' "$work/isdir.err"; then ok
else bad "directory summary path (rc $rc)"; cat "$work/isdir.err"; fi

echo "a resumed job's summary counts only what this run signed"
seq -f 'big/obj-%09.0f.bin' 1 3000000 > "$work/big.txt"
big=(sign s3://sum-bucket --keys-from "$work/big.txt" --signing-time 2024-01-01T00:00:00Z --threads 1 --quiet
     --output "$work/big.ndjson" --checkpoint "$work/big.ck")
"$PRESIGN" "${big[@]}" &
pid=$!
part="$work/.big.ndjson.presign-part"
for _ in $(seq 1 3000); do   # until a few MB were written (several checkpoints), at most 30 s
  [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -gt 4000000 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null; rc=0; wait "$pid" 2>/dev/null || rc=$?
if [ "$rc" -ne 137 ] || [ ! -f "$work/big.ck" ]; then
  bad "the job to resume was not killed mid-run (rc $rc)"
else
  rc=0; "$PRESIGN" "${big[@]}" --resume --summary "$work/big.json" 2>"$work/big.err" || rc=$?
  if [ "$rc" -eq 0 ] && check_json "$work/big.json" 's["resumed"] is True' 's["objects"] == 3000000' \
      '0 < s["objects_this_run"] < s["objects"]' 's["status"] == "ok"' \
      && grep -Eq "resuming from .*big.ck: [1-9][0-9]* objects already written" "$work/big.err" \
      && [ "$(wc -l < "$work/big.ndjson")" -eq 3000000 ]; then ok
  else bad "resumed summary (rc $rc)"; cat "$work/big.err"; fi
fi
rm -f "$work/big.txt" "$work/big.ndjson"

echo "--compress zstd output decompresses to the uncompressed output"
if ! command -v zstd >/dev/null; then
  bad "the zstd command is missing (Debian package zstd, in scripts/install-deps.sh)"
else
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/ok.ndjson.zst" --compress zstd:3 || rc=$?
  if [ "$rc" -eq 0 ] && zstd -q -d -c "$work/ok.ndjson.zst" | cmp -s - "$work/ok.ndjson"; then ok
  else bad "zstd output (rc $rc)"; fi
fi
for level in zstd:0 zstd:20 gzip; do
  echo "--compress $level is refused with exit 2"
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/lvl.ndjson" --compress "$level" 2>"$work/lvl.err" || rc=$?
  if [ "$rc" -eq 2 ] && [ ! -e "$work/lvl.ndjson" ] && grep -q 'compress' "$work/lvl.err"; then ok
  else bad "--compress $level (rc $rc)"; fi
done

finish
