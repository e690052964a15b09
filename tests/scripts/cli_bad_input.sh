#!/usr/bin/env bash
# Command-line robustness of `presign sign` (ctest label "cli").
# usage: cli_bad_input.sh PATH/TO/presign
#
# Refusals (with the exit codes documented in `presign sign --help`) leave nothing behind in
# the output directory; a successful output is mode 0600; an over-long key is a per-object
# error record (exit 1) while the other keys are still signed in order; order is kept for
# 100,000 keys on 2 threads; all five formats parse with standard parsers; stdin works.
# Listing (no --keys-from): bad listing options are usage errors; an unreadable --ca-bundle is
# a configuration error; a bucket that does not exist and a server that refuses connections
# are listing failures (exit 5) that leave no output file, against the fake S3 server
# (tests/support, on 127.0.0.1) and a closed port. No other network is used.
# usage: cli_bad_input.sh PATH/TO/presign PATH/TO/fake_s3_server
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE_S3=${2:-}
PY=/usr/bin/python3

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_exe "$FAKE_S3" "fake_s3_server binary" "usage: $0 PRESIGN FAKE_S3_SERVER"
need_exe "$PY" python3 "python3 is needed to parse the formats"
"$PY" -c 'import json, csv' 2>/dev/null || fail_setup "python modules json/csv are missing for $PY"
PRESIGN=$(abs_path "$PRESIGN")
FAKE_S3=$(abs_path "$FAKE_S3")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-cli.XXXXXX") || fail_setup "mktemp failed"
FAKE_PID=""
trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/emptyhome"
cd "$WORK" || fail_setup "cannot cd to $WORK"

SECRET='cliTestSecret/Value+9876543210abcdefGHIJ'
# Credentials come from the environment only; no profile file is visible.
creds_env=(env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" AWS_ACCESS_KEY_ID=AKIDCLITEST
  AWS_SECRET_ACCESS_KEY="$SECRET")
TS=2024-01-01T00:00:00Z
printf 'a.txt\ndir/b c.txt\n' >"$WORK/keys.txt"

# run_case NAME WANT_RC STDERR_REGEX [env...] -- presign-args...
# Runs presign with --output in a fresh, empty directory and checks the exit code, the message
# and that the directory is still empty afterwards (no output file, no .*.part left over).
run_case() {
  local name=$1 want=$2 regex=$3
  shift 3
  local envs=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local dir="$WORK/case-$name"
  mkdir -p "$dir/out"
  "${envs[@]}" "$PRESIGN" sign "$@" --output "$dir/out/result.ndjson" >"$dir/stdout" 2>"$dir/stderr"
  local rc=$?
  local msg
  msg=$(head -c 600 "$dir/stderr")
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, want $want (stderr: $msg)"; return 1; fi
  if ! grep -Eq -- "$regex" "$dir/stderr"; then bad "$name: message does not match /$regex/: $msg"; return 1; fi
  if [ -n "$(ls -A "$dir/out")" ]; then bad "$name: output dir not empty after failure: $(ls -A "$dir/out" | tr '\n' ' ')"; return 1; fi
  if [ -s "$dir/stdout" ]; then bad "$name: wrote to stdout: $(head -c 200 "$dir/stdout")"; return 1; fi
  ok
}

echo "== --expires range =="
run_case expires-0 2 'expires.*(604800|range)' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 0
run_case expires-0s 2 'expires.*(604800|range)' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 0s
run_case expires-604801 2 'expires.*604800' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 604801
run_case expires-8d 2 'expires.*604800' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 8d
run_case expires-negative 2 'expires|duration' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires -5
run_case expires-garbage 2 'duration' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 1w
# 213503982334602 * 86400 wraps a 64-bit integer to 61184 s: must be refused, not wrapped.
run_case expires-overflow 2 'duration|range' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 213503982334602d
run_case expires-huge 2 'duration|range' "${creds_env[@]}" -- s3://b --keys-from keys.txt --expires 99999999999999999999
# The range is checked before credentials: a usage error stays a usage error without them.
run_case expires-0-nocreds 2 'expires' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" -- s3://b --keys-from keys.txt --expires 0
for e in 7d 604800 1 168h; do
  d="$WORK/accept-$e"
  mkdir -p "$d"
  if "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from keys.txt --expires "$e" --signing-time "$TS" \
    --format urls --output "$d/u.txt" 2>"$d/err"; then
    want=$("$PY" -c 'import sys; e=sys.argv[1]; m={"d":86400,"h":3600,"m":60,"s":1}; print(int(e[:-1])*m[e[-1]] if e[-1] in m else int(e))' "$e")
    if grep -q "X-Amz-Expires=$want&" "$d/u.txt" && [ "$(wc -l <"$d/u.txt")" -eq 2 ]; then ok
    else bad "--expires $e: URLs lack X-Amz-Expires=$want: $(head -c 300 "$d/u.txt")"; fi
  else
    bad "--expires $e refused: $(cat "$d/err")"
  fi
done

echo "== --signing-time =="
i=0
for t in 2024-13-01T00:00:00Z 2024-02-30T12:00:00Z 2023-02-29T00:00:00Z 2024-01-01T24:00:01Z \
  2024-01-01T00:60:00Z 2024-01-01 2024-01-01T00:00:00 yesterday 1704067200 \
  '2024-01-01T00:00:00Z junk' ' 2024-01-01T00:00:00Z' 2024-01-01T00:00:00+25:00; do
  i=$((i + 1))
  run_case "signing-time-$i" 2 'signing-time' "${creds_env[@]}" -- s3://b --keys-from keys.txt --signing-time "$t"
done

echo "== --endpoint with a control character =="
# One endpoint parser for signers and listers (core/endpoint.hpp): the signers refuse what the
# listers always refused, naming the byte escaped (\x09), never raw.
TAB=$'\t'
run_case endpoint-tab-s3 2 "endpoint 'http://127.0.0.1:1\\\\x09'.*control" "${creds_env[@]}" -- \
  s3://bucket --keys-from keys.txt --endpoint "http://127.0.0.1:1$TAB"
run_case endpoint-tab-gcs 2 "endpoint 'http://127.0.0.1:1\\\\x09'.*control" "${creds_env[@]}" -- \
  gs://bucket --keys-from keys.txt --endpoint "http://127.0.0.1:1$TAB"
run_case endpoint-tab-azure 2 "endpoint 'http://127.0.0.1:1\\\\x09'.*control" "${creds_env[@]}" -- \
  az://acct/cont --keys-from keys.txt --endpoint "http://127.0.0.1:1$TAB"

echo "== missing credentials =="
# Nothing in the environment, HOME an empty directory: exit 3 naming the variable and the file.
run_case no-creds 3 'AWS_ACCESS_KEY_ID' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" -- s3://b --keys-from keys.txt
if grep -qF "$WORK/emptyhome/.aws/credentials" "$WORK/case-no-creds/stderr"; then ok
else bad "no-creds: message does not name $WORK/emptyhome/.aws/credentials: $(cat "$WORK/case-no-creds/stderr")"; fi
# Half the pair: the secret that is present must not be echoed.
run_case secret-only-env 3 'AWS_ACCESS_KEY_ID' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" AWS_SECRET_ACCESS_KEY="$SECRET" -- s3://b --keys-from keys.txt
mkdir -p "$WORK/halfhome/.aws"
printf '[default]\naws_secret_access_key = %s\n' "$SECRET" >"$WORK/halfhome/.aws/credentials"
run_case secret-only-file 3 'aws_access_key_id|AWS_ACCESS_KEY_ID' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/halfhome" -- s3://b --keys-from keys.txt
run_case no-such-profile 3 'nope' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/halfhome" AWS_PROFILE=nope -- s3://b --keys-from keys.txt
for c in no-creds secret-only-env secret-only-file no-such-profile; do
  if grep -qF -- "$SECRET" "$WORK/case-$c/stderr" || grep -qF -- "${SECRET:0:16}" "$WORK/case-$c/stderr"; then
    bad "$c: the secret appears in the message"
  else ok; fi
done

echo "== unreadable keys file =="
run_case keys-missing 4 'keys' "${creds_env[@]}" -- s3://b --keys-from "$WORK/does-not-exist.txt"
mkdir -p "$WORK/a-directory"
run_case keys-directory 4 'directory' "${creds_env[@]}" -- s3://b --keys-from "$WORK/a-directory"
printf 'k\n' >"$WORK/noperm.txt"
chmod 000 "$WORK/noperm.txt"
# Root reads a chmod 000 file, so as root the case runs as the unprivileged user nobody (65534):
# the work dirs are made traversable, the case's output dir writable, and both that the file
# is unreadable and that presign runs for that user are checked first (else the test fails).
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || fail_setup "running as root needs setpriv (util-linux) for the unreadable-file case"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod 711 "$WORK"
  mkdir -p "$WORK/case-keys-chmod-000/out"
  chmod 711 "$WORK/case-keys-chmod-000"
  chmod 777 "$WORK/case-keys-chmod-000/out"
  "${as_user[@]}" "$PRESIGN" --version >/dev/null 2>&1 ||
    fail_setup "presign cannot run as uid 65534 (is every directory above $PRESIGN traversable?)"
  if "${as_user[@]}" cat "$WORK/noperm.txt" >/dev/null 2>&1; then
    fail_setup "uid 65534 can read a chmod 000 file"
  fi
fi
run_case keys-chmod-000 4 'noperm\.txt.*[Pp]ermission denied' "${as_user[@]}" "${creds_env[@]}" -- s3://b --keys-from "$WORK/noperm.txt"
# Opens fine, then read(2) fails with EIO (works as root too): a mid-run input error.
if [ -r /proc/self/mem ]; then
  run_case keys-read-error 4 'read|keys' "${creds_env[@]}" -- s3://b --keys-from /proc/self/mem
fi
# A failed run must leave an existing output untouched.
mkdir -p "$WORK/keep"
printf 'previous content\n' >"$WORK/keep/out.ndjson"
"${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from "$WORK/does-not-exist.txt" --output "$WORK/keep/out.ndjson" 2>/dev/null
rc=$?
if [ "$rc" -eq 4 ] && [ "$(cat "$WORK/keep/out.ndjson")" = "previous content" ] && [ "$(ls -A "$WORK/keep" | wc -l)" -eq 1 ]; then ok
else bad "a failed run changed an existing output file (exit $rc)"; fi

echo "== output file mode =="
mkdir -p "$WORK/mode"
(umask 000 && "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from keys.txt --output "$WORK/mode/new.ndjson" 2>/dev/null)
m=$(stat -c %a "$WORK/mode/new.ndjson" 2>/dev/null)
if [ "$m" = 600 ]; then ok; else bad "new output file has mode '$m' (umask 000), want 600"; fi
printf 'old\n' >"$WORK/mode/existing.ndjson"
chmod 644 "$WORK/mode/existing.ndjson"
"${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from keys.txt --output "$WORK/mode/existing.ndjson" 2>/dev/null
m=$(stat -c %a "$WORK/mode/existing.ndjson" 2>/dev/null)
if [ "$m" = 600 ] && grep -q '"url"' "$WORK/mode/existing.ndjson"; then ok
else bad "replacing a 0644 output file left mode '$m' or old content"; fi
if [ "$(ls -A "$WORK/mode" | wc -l)" -eq 2 ]; then ok; else bad "left-overs in the output dir: $(ls -A "$WORK/mode" | tr '\n' ' ')"; fi

echo "== key longer than 1,024 bytes =="
"$PY" -c '
import sys
keys = ["first", "x" * 1025, "y" * 1024, "\u00e9" * 512, "\u00e9" * 512 + "z", "last"]
sys.stdout.buffer.write(b"".join(k.encode() + b"\n" for k in keys))' >"$WORK/long.txt"
mkdir -p "$WORK/long"
"${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from long.txt --signing-time "$TS" --output "$WORK/long/out.ndjson" \
  --threads 2 2>"$WORK/long/err"
rc=$?
if [ "$rc" -eq 1 ]; then ok; else bad "over-long key: exit $rc, want 1 (partial): $(cat "$WORK/long/err")"; fi
if "$PY" - "$WORK/long.txt" "$WORK/long/out.ndjson" <<'PYEOF'; then ok; else bad "over-long key: records wrong (above)"; fi
import json, sys
keys = open(sys.argv[1], "rb").read().decode().split("\n")[:-1]
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]]
errs = []
if [r.get("key") for r in recs] != keys:
    errs.append("keys/order differ: %r" % [r.get("key", "")[:10] for r in recs])
for k, r in zip(keys, recs):
    too_long = len(k.encode()) > 1024
    if too_long and not ("error" in r and "url" not in r and "1024" in r["error"]):
        errs.append("no error record for a %d-byte key: %r" % (len(k.encode()), r)[:300])
    if not too_long and not r.get("url", "").startswith("https://"):
        errs.append("no URL for a %d-byte key: %r" % (len(k.encode()), r)[:300])
for e in errs:
    print("    " + e)
sys.exit(1 if errs else 0)
PYEOF
if grep -q '1024' "$WORK/long/err"; then ok; else bad "over-long key: stderr does not report it: $(cat "$WORK/long/err")"; fi

echo "== order of 100,000 keys on --threads 2 =="
"$PY" -c '
import random, sys
r = random.Random(4242)
alphabet = "abcXYZ019 -_./+%~\u00e9\u65e5\U0001F600\t\\,\""
keys = []
for i in range(100000):
    k = "".join(r.choice(alphabet) for _ in range(r.randint(1, 40)))
    keys.append(k if r.random() > 0.001 or not keys else keys[-1])  # a few duplicates, kept
sys.stdout.buffer.write(b"".join(k.encode() + b"\n" for k in keys))' >"$WORK/big.txt"
mkdir -p "$WORK/big"
if "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from big.txt --signing-time "$TS" --format tsv --threads 2 \
  --output "$WORK/big/out.tsv" 2>"$WORK/big/err"; then ok; else bad "100k keys: exit $?: $(head -c 300 "$WORK/big/err")"; fi
if "$PY" - "$WORK/big.txt" "$WORK/big/out.tsv" <<'PYEOF'; then ok; else bad "100k keys: order differs (above)"; fi
import sys
def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(s[i + 1], "\\" + s[i + 1])); i += 2
        else:
            out.append(c); i += 1
    return "".join(out)
keys = open(sys.argv[1], "rb").read().decode().split("\n")[:-1]
lines = open(sys.argv[2], "rb").read().decode().split("\n")
if lines[-1] != "":
    print("    tsv does not end with a newline"); sys.exit(1)
lines = lines[:-1]
col = [unescape(l.split("\t")[0]) for l in lines]
bad_fields = sum(1 for l in lines if len(l.split("\t")) != 2)
if bad_fields:
    print("    %d tsv lines do not have exactly 2 fields" % bad_fields); sys.exit(1)
if col != keys:
    first = next((i for i, (a, b) in enumerate(zip(col, keys)) if a != b), min(len(col), len(keys)))
    print("    %d rows for %d keys; first difference at row %d: %r vs %r"
          % (len(col), len(keys), first + 1, col[first:first + 1], keys[first:first + 1]))
    sys.exit(1)
print("    %d keys, same order" % len(keys))
PYEOF

echo "== all five formats parse, and agree =="
"$PY" -c '
import sys
keys = ["plain.txt", "comma,in,key", "quote\"in\"key", "\"starts with quote", "both,\"x\",y",
        "\"\"", ",", " lead and trail ", "tab\there", "cr\rhere", "back\\slash", "uni/\u00e9\u65e5\U0001F600",
        "=1+1", "ls\u2028ps", "ctl\x01\x7f", "apos'\''s", "semi;colon", "a/b/c/"]
sys.stdout.buffer.write(b"".join(k.encode() + b"\n" for k in keys))' >"$WORK/fmt.txt"
mkdir -p "$WORK/fmt"
for f in ndjson labelbox csv tsv urls; do
  if "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from fmt.txt --signing-time "$TS" --format "$f" \
    --output "$WORK/fmt/out.$f" --threads 2 2>"$WORK/fmt/$f.err"; then ok
  else bad "--format $f: exit $?: $(cat "$WORK/fmt/$f.err")"; fi
done
# The same run with the keys on standard input must give the same bytes.
if "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from - --signing-time "$TS" --format ndjson \
  --output "$WORK/fmt/stdin.ndjson" <"$WORK/fmt.txt" 2>"$WORK/fmt/stdin.err" &&
  cmp -s "$WORK/fmt/stdin.ndjson" "$WORK/fmt/out.ndjson"; then ok
else bad "--keys-from - (stdin) output differs from --keys-from FILE: $(cat "$WORK/fmt/stdin.err")"; fi
# ... and to standard output when there is no --output.
if cat "$WORK/fmt.txt" | "${creds_env[@]}" "$PRESIGN" sign s3://b --keys-from - --signing-time "$TS" --format csv \
  >"$WORK/fmt/stdout.csv" 2>/dev/null && cmp -s "$WORK/fmt/stdout.csv" "$WORK/fmt/out.csv"; then ok
else bad "stdin -> stdout csv differs from the file output"; fi
"$PY" - "$WORK/fmt.txt" "$WORK/fmt" >"$WORK/fmt/check.log" 2>&1 <<'PYEOF'
import csv, io, json, sys
keys = open(sys.argv[1], "rb").read().decode().split("\n")[:-1]
d = sys.argv[2]
def read(f):
    return open("%s/out.%s" % (d, f), "rb").read().decode("utf-8")
def report(name, err):
    print(("FAIL %s: %s" % (name, err)) if err else ("ok %s" % name))
urls = None
try:  # ndjson: each line a JSON object
    lines = read("ndjson").split("\n")
    assert lines[-1] == "", "no final newline"
    recs = [json.loads(l) for l in lines[:-1]]
    assert [r["key"] for r in recs] == keys, "keys differ"
    urls = [r["url"] for r in recs]
    assert all(u.startswith("https://") for u in urls)
    report("ndjson", None)
except Exception as e:
    report("ndjson", repr(e))
try:  # labelbox: the whole file is one JSON array
    arr = json.loads(read("labelbox"))
    assert isinstance(arr, list) and len(arr) == len(keys), "not a list of %d" % len(keys)
    assert [r["global_key"] for r in arr] == keys, "global_key differs"
    assert [r["row_data"] for r in arr] == urls, "row_data differs from ndjson url"
    report("labelbox", None)
except Exception as e:
    report("labelbox", repr(e))
try:  # csv: header url,external_id; external ids round-trip
    rows = list(csv.reader(io.StringIO(read("csv"), newline="")))
    assert rows[0] == ["url", "external_id"], "header %r" % rows[0]
    assert all(len(r) == 2 for r in rows[1:]), "rows without exactly 2 fields"
    assert [r[1] for r in rows[1:]] == keys, "external ids differ: %r" % [r[1] for r in rows[1:]]
    assert [r[0] for r in rows[1:]] == urls, "urls differ from ndjson"
    report("csv", None)
except Exception as e:
    report("csv", repr(e))
try:  # tsv: KEY<TAB>URL, backslash escapes in the key
    esc = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
    def unescape(s):
        out, i = [], 0
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s):
                out.append(esc[s[i + 1]]); i += 2
            else:
                out.append(s[i]); i += 1
        return "".join(out)
    lines = read("tsv").split("\n")
    assert lines[-1] == "", "no final newline"
    fields = [l.split("\t") for l in lines[:-1]]
    assert all(len(f) == 2 for f in fields), "lines without exactly 2 fields"
    assert [unescape(f[0]) for f in fields] == keys, "keys differ"
    assert [f[1] for f in fields] == urls, "urls differ from ndjson"
    report("tsv", None)
except Exception as e:
    report("tsv", repr(e))
try:  # urls: one URL a line
    lines = read("urls").split("\n")
    assert lines[-1] == "", "no final newline"
    assert lines[:-1] == urls, "urls differ from ndjson"
    report("urls", None)
except Exception as e:
    report("urls", repr(e))
PYEOF
while read -r status name rest; do
  case "$status" in
    ok) ok ;;
    FAIL) bad "format $name $rest" ;;
    *) bad "format check: $status $name $rest" ;;
  esac
done <"$WORK/fmt/check.log"
[ "$(grep -c '^ok ' "$WORK/fmt/check.log")" -eq 5 ] || bad "format check did not report 5 formats ok"

echo "== listing: options =="
# Usage errors are found before credentials and before any request.
run_case page-size-0 2 'page-size' "${creds_env[@]}" -- s3://b --page-size 0
run_case page-size-1001 2 'page-size 1001.*1 to 1000' "${creds_env[@]}" -- s3://b --page-size 1001
run_case page-size-nocreds 2 'page-size' env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" -- s3://b --page-size 1001
run_case page-size-neg 2 'page-size' "${creds_env[@]}" -- s3://b --page-size -1
run_case retry-delay-no-unit 2 'retry-base-delay' "${creds_env[@]}" -- s3://b --retry-base-delay 5
run_case retry-delay-junk 2 'retry-base-delay' "${creds_env[@]}" -- s3://b --retry-base-delay 1h
run_case retry-attempts-0 2 'retry-max-attempts' "${creds_env[@]}" -- s3://b --retry-max-attempts 0
run_case start-after-gs 2 'start-after.*s3' "${creds_env[@]}" -- gs://b --start-after x
run_case tls-contradiction 2 'ca-bundle.*no-verify-ssl' "${creds_env[@]}" -- s3://b --ca-bundle "$WORK/keys.txt" --no-verify-ssl
# --keys-from takes full keys: a URI prefix, or a listing-only option, is refused.
run_case keys-from-prefix 2 'prefix' "${creds_env[@]}" -- s3://b/some/prefix --keys-from keys.txt
run_case keys-from-start-after 2 'start-after.*keys-from' "${creds_env[@]}" -- s3://b --keys-from keys.txt --start-after x
run_case keys-from-page-size 2 'page-size.*keys-from' "${creds_env[@]}" -- s3://b --keys-from keys.txt --page-size 10
run_case ca-bundle-missing 3 "ca-bundle-does-not-exist.pem" "${creds_env[@]}" -- s3://b --endpoint https://127.0.0.1:9 \
  --ca-bundle "$WORK/ca-bundle-does-not-exist.pem"
printf 'not a certificate\n' >"$WORK/junk.pem"
run_case ca-bundle-junk 3 "junk.pem" "${creds_env[@]}" -- s3://b --endpoint https://127.0.0.1:9 --ca-bundle "$WORK/junk.pem"

echo "== listing: failures against a local server =="
"$FAKE_S3" --keys 25 >"$WORK/fake.out" 2>"$WORK/fake.err" &
FAKE_PID=$!
EP=""
for _ in $(seq 100); do
  EP=$(sed -n 's#^fake_s3_server listening on \(http://127.0.0.1:[0-9]*\)/.*#\1#p' "$WORK/fake.out")
  [ -n "$EP" ] && break
  sleep 0.1
done
[ -n "$EP" ] || fail_setup "fake_s3_server did not start: $(cat "$WORK/fake.err")"
run_case no-such-bucket 5 "bucket 'no-such-bucket' does not exist" "${creds_env[@]}" -- s3://no-such-bucket \
  --endpoint "$EP" --retry-base-delay 10ms
# ... also with a checkpoint: the first page is fetched before any file is created.
mkdir -p "$WORK/case-no-such-bucket-ck"
run_case no-such-bucket-ck 5 "does not exist" "${creds_env[@]}" -- s3://no-such-bucket --endpoint "$EP" \
  --checkpoint "$WORK/case-no-such-bucket-ck/out/job.ck" --resume
# A port nobody listens on: refused, retried twice, then a clear message.
CLOSED=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_case refused 5 'connection refused' "${creds_env[@]}" -- s3://b --endpoint "http://127.0.0.1:$CLOSED" \
  --retry-max-attempts 2 --retry-base-delay 10ms
for c in no-such-bucket refused ca-bundle-missing; do
  if grep -qF -- "${SECRET:0:16}" "$WORK/case-$c/stderr"; then bad "$c: the secret appears in the message"; else ok; fi
done
# A listing that works: 25 keys, then ls prints the same keys; --no-verify-ssl warns.
d="$WORK/listing-ok"
mkdir -p "$d"
if "${creds_env[@]}" "$PRESIGN" sign s3://bucket/obj/ --endpoint "$EP" --format tsv --output "$d/urls.tsv" 2>"$d/sign.err" &&
   "${creds_env[@]}" "$PRESIGN" ls s3://bucket/obj/ --endpoint "$EP" --no-verify-ssl >"$d/ls.keys" 2>"$d/ls.err" &&
   [ "$(cut -f1 "$d/urls.tsv")" = "$(cat "$d/ls.keys")" ] && [ "$(wc -l <"$d/ls.keys")" -eq 25 ]; then ok
else bad "listing 25 keys: sign and ls disagree or failed: $(cat "$d/sign.err" "$d/ls.err")"; fi
if grep -q 'warning: --no-verify-ssl' "$d/ls.err"; then ok; else bad "--no-verify-ssl gave no warning: $(cat "$d/ls.err")"; fi
"${creds_env[@]}" "$PRESIGN" ls s3://no-such-bucket --endpoint "$EP" --output "$d/ls-missing.keys" 2>"$d/ls-missing.err"
rc=$?
if [ "$rc" -eq 5 ] && [ ! -e "$d/ls-missing.keys" ] && grep -q 'does not exist' "$d/ls-missing.err"; then ok
else bad "ls of a missing bucket: exit $rc (want 5, no output): $(cat "$d/ls-missing.err")"; fi
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=""

echo "cli_bad_input: refusals, credentials, unreadable input, modes, partial errors, order, formats, listing"
finish
