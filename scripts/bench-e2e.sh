#!/usr/bin/env bash
# End-to-end throughput of `presign sign` on a synthetic key file: wall time, URLs/s and peak
# RSS (GNU time's "Maximum resident set size") per key count N and thread count T.
#   scripts/bench-e2e.sh                      N=10,000,000, T=1 and 2, 3 runs each (median shown)
#   scripts/bench-e2e.sh -n 1000000 -n 10000000     RSS against N (it must stay flat)
#   scripts/bench-e2e.sh -t 2 -r 5            only T=2, 5 runs
# Options: -n N (repeatable), -t T (repeatable), -r RUNS, --keep (keep the last output),
#          --null (write to stdout redirected to /dev/null: signing, formatting and the
#          pipeline without any file system; the record count is then checked from --summary),
#          --no-build (use the existing binary).
# Environment: BUILD_DIR (default build-bench: built here in Release), PRESIGN (the binary;
#   default $BUILD_DIR/presign), E2E_DIR (key files and outputs; default $BUILD_DIR/e2e: put it
#   on tmpfs, e.g. /dev/shm/presign-e2e, to leave the disk out of the figures),
#   E2E_WAIT_IDLE=PCT (before each run wait, up to E2E_WAIT_MAX s (default 600), until the
#   CPUs are at least PCT % idle: the VM's two cores are shared with other builds).
# Columns: idle% is how idle the CPUs were in the second before the run (judge the noise by
# it); wall_s is GNU time's elapsed time; URLs/s = N / wall_s; run_s is presign's own
# measure (--summary: first read to committed output, so without start-up and exit).
# Key files (keys-N.txt, ~40-byte keys `datasets/images/train/YYYY/NNNNNNNN.jpg`) are generated
# once and cached. Every run's output must have N lines; on the first run of each (N, T) a few
# lines are also checked against a SigV4 signature computed independently (Python hashlib).
# The output is fsynced and renamed by presign, so wall time includes writing it to disk.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
PRESIGN=${PRESIGN:-$BUILD_DIR/presign}
E2E_DIR=${E2E_DIR:-$BUILD_DIR/e2e}
ns=()
ts=()
runs=3
keep=0
null=0
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) ns+=("$2"); shift 2 ;;
    -t) ts+=("$2"); shift 2 ;;
    -r) runs="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --null) null=1; shift ;;
    --no-build) build=0; shift ;;
    *) echo "bench-e2e.sh: unknown argument '$1' (see the comment at the top)" >&2; exit 2 ;;
  esac
done
[ "${#ns[@]}" -gt 0 ] || ns=(10000000)
[ "${#ts[@]}" -gt 0 ] || ts=(1 2)

if [ ! -x /usr/bin/time ]; then
  echo "bench-e2e.sh: /usr/bin/time is missing (Debian package 'time'; scripts/install-deps.sh)" >&2
  exit 1
fi
if [ "$build" = 1 ]; then
  cmake -S . -B "$BUILD_DIR" -DPRESIGN_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target presign
fi
mkdir -p "$E2E_DIR"

# Dummy credentials only, and nothing from the caller's AWS configuration.
run_env=(env -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ENDPOINT_URL
         -u AWS_ENDPOINT_URL_S3 -u AWS_DEFAULT_REGION
         AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
         AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
         AWS_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent)

keys_file() {
  local n=$1 f="$E2E_DIR/keys-$1.txt"
  if [ ! -s "$f" ]; then
    echo "bench-e2e: generating $n keys into $f" >&2
    awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "datasets/images/train/%04d/%08d.jpg\n", 2000 + i % 25, i }' \
      >"$f.tmp"
    mv "$f.tmp" "$f"
  fi
  printf '%s' "$f"
}

# Independent check: SigV4 query presigning (GET, virtual-hosted, UNSIGNED-PAYLOAD) written
# from the AWS documentation with hashlib/hmac, compared with sampled NDJSON records.
verify_py=$(cat <<'EOF'
import hashlib, hmac, json, sys, urllib.parse
keys_path, out_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ak, sk = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
amz, day, region, bucket, expires = "20240101T000000Z", "20240101", "us-east-1", "bench-bucket", 3600
host = bucket + ".s3.amazonaws.com"
scope = f"{day}/{region}/s3/aws4_request"
query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + urllib.parse.quote(ak + "/" + scope, safe="")
         + f"&X-Amz-Date={amz}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host")
def mac(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
kdate = mac(("AWS4" + sk).encode(), day)
ksign = mac(mac(mac(kdate, region), "s3"), "aws4_request")
def url(key):
    path = "/" + urllib.parse.quote(key, safe="/~")
    cr = f"GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    sts = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n" + hashlib.sha256(cr.encode()).hexdigest()
    sig = hmac.new(ksign, sts.encode(), hashlib.sha256).hexdigest()
    return f"https://{host}{path}?{query}&X-Amz-Signature={sig}"
samples = {1, 2, n // 2, n} | set(range(1, n + 1, max(1, n // 16)))
checked = lines = 0
with open(keys_path, "rb") as kf, open(out_path, "rb") as of:
    for lines, (k, rec) in enumerate(zip(kf, of), 1):
        if lines in samples:
            r = json.loads(rec)
            key = k.rstrip(b"\n").decode()
            want = {"key": key, "url": url(key), "expires_at": "2024-01-01T01:00:00Z"}
            if r != want:
                sys.exit(f"line {lines}: got {r!r}\n  want {want!r}")
            checked += 1
    if of.read(1):
        sys.exit("the output has more records than there are keys")
if lines != n:
    sys.exit(f"{lines} records for {n} keys")
print(f"bench-e2e: verified {checked} sampled records against an independent SigV4 signature")
EOF
)

# Percent of CPU time idle over the next $1 seconds (all CPUs).
idle_pct() {
  local a b
  read -r -a a < /proc/stat
  sleep "$1"
  read -r -a b < /proc/stat
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN { n = split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    printf "%d", (t > 0) ? 100 * ((y[5] - x[5]) + (y[6] - x[6])) / t : 0 }'
}

wait_idle() {
  local want=${E2E_WAIT_IDLE:-} waited=0 idle
  idle=$(idle_pct 1)
  if [ -n "$want" ]; then
    while [ "$idle" -lt "$want" ] && [ "$waited" -lt "${E2E_WAIT_MAX:-600}" ]; do
      sleep 4
      waited=$((waited + 5))
      idle=$(idle_pct 1)
    done
  fi
  printf '%s' "$idle"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-e2e: $("$PRESIGN" --version 2>/dev/null | head -1), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), outputs in $E2E_DIR"
printf '%-10s %2s %3s %5s %8s %11s %8s %8s %7s %11s\n' N T run idle% wall_s URLs/s run_s user_s sys_s peak_RSS_MB
summary=()
for n in "${ns[@]}"; do
  keys=$(keys_file "$n")
  for t in "${ts[@]}"; do
    walls=()
    rsss=()
    for ((r = 1; r <= runs; r++)); do
      out="$E2E_DIR/out-$n-t$t.ndjson"
      tv="$E2E_DIR/time-$n-t$t.txt"
      js="$E2E_DIR/summary-$n-t$t.json"
      rm -f "$out" "$js"
      idle=$(wait_idle)
      if [ "$null" = 1 ]; then
        "${run_env[@]}" /usr/bin/time -v -o "$tv" "$PRESIGN" sign s3://bench-bucket --keys-from "$keys" \
          --format ndjson --threads "$t" --signing-time 2024-01-01T00:00:00Z --quiet --summary "$js" >/dev/null
      else
        "${run_env[@]}" /usr/bin/time -v -o "$tv" "$PRESIGN" sign s3://bench-bucket --keys-from "$keys" \
          --format ndjson --output "$out" --threads "$t" --signing-time 2024-01-01T00:00:00Z --quiet --summary "$js"
      fi
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")
      user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
      sys=$(awk -F': ' '/System time/ { print $2 }' "$tv")
      rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tv")
      run_s=$(python3 -c 'import json, sys; print("%.2f" % json.load(open(sys.argv[1]))["wall_seconds"])' "$js")
      objects=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(int(d["objects"]) if d["errors"] == 0 else -1)' "$js")
      if [ "$objects" -ne "$n" ]; then
        echo "bench-e2e: the summary counts $objects signed objects (-1: some failed), expected $n" >&2
        exit 1
      fi
      if [ "$null" = 0 ]; then
        lines=$(wc -l <"$out")
        if [ "$lines" -ne "$n" ]; then
          echo "bench-e2e: $out has $lines lines, expected $n" >&2
          exit 1
        fi
        if [ "$r" = 1 ]; then python3 -c "$verify_py" "$keys" "$out" "$n"; fi
        [ "$keep" = 1 ] || rm -f "$out"
      fi
      rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
      printf '%-10s %2s %3s %5s %8s %11s %8s %8s %7s %11s\n' "$n" "$t" "$r" "$idle" "$wall" "$rate" "$run_s" "$user" "$sys" "$rss"
      walls+=("$wall")
      rsss+=("$rss")
    done
    mw=$(printf '%s\n' "${walls[@]}" | median)
    mr=$(printf '%s\n' "${rsss[@]}" | median)
    summary+=("$(printf '%-10s %2s %8s %11.0f %11s' "$n" "$t" "$mw" "$(awk -v n="$n" -v w="$mw" 'BEGIN { print n / w }')" "$mr")")
  done
done
echo
echo "median of $runs run(s)$([ "$null" = 1 ] && echo ', output to /dev/null'):"
printf '%-10s %2s %8s %11s %11s\n' N T wall_s URLs/s peak_RSS_MB
printf '%s\n' "${summary[@]}"
