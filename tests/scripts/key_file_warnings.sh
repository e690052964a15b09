#!/usr/bin/env bash
# Suspicious key files (ctest label "cli"): CRLF endings, URI lines, `aws s3 ls` output, an
# empty file and repeated keys each give ONE warning line on stderr (count and first line),
# exit 0, and every key is still signed exactly as written (checked in the ndjson "key"
# fields); --strip-cr removes one trailing \r per line and makes the CRLF file sign like its
# LF twin, byte for byte. A 1,100-byte key after an empty line is reported by its line
# number (exit 1). Signing only: no network, credentials from the environment.
# usage: key_file_warnings.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "python3 checks the ndjson keys"
PRESIGN=$(abs_path "$PRESIGN")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-keywarn.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || fail_setup "cannot cd to $WORK"
mkdir home

# sign NAME KEYFILE [extra args...]: runs presign sign, output NAME.out, stderr NAME.err, rc NAME.rc
sign() {
  local name=$1 file=$2
  shift 2
  env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/home" AWS_ACCESS_KEY_ID=AKIDKEYWARN \
    AWS_SECRET_ACCESS_KEY='keyWarnTestSecret/0123456789abcdefghijklmn' \
    "$PRESIGN" sign s3://bucket --keys-from "$file" --region us-east-1 --addressing path \
    --signing-time 2024-01-01T00:00:00Z --quiet --output "$name.out" "$@" 2>"$name.err"
  echo $? >"$name.rc"
}
# check_rc NAME WANT
check_rc() {
  local got
  got=$(cat "$1.rc")
  [ "$got" = "$2" ] && ok || bad "$1: exit $got, want $2 (stderr: $(head -c 400 "$1.err"))"
}
# check_stderr NAME EXACT_TEXT: the whole of stderr
check_stderr() {
  local got
  got=$(cat "$1.err")
  [ "$got" = "$2" ] && ok || bad "$1: stderr is [$got], want [$2]"
}
# check_keys NAME KEYFILE [strip]: the ndjson keys are the file's non-empty lines, byte for byte
check_keys() {
  "$PY" - "$1.out" "$2" "${3:-}" <<'PYEOF' && ok || bad "$1: signed keys differ from the file's lines"
import json, sys
out, keys_file, strip = sys.argv[1], sys.argv[2], sys.argv[3] == "strip"
want = []
for line in open(keys_file, "rb").read().split(b"\n"):
    if strip and line.endswith(b"\r"):
        line = line[:-1]
    if line:
        want.append(line.decode("utf-8"))
got = [json.loads(l)["key"] for l in open(out, "rb").read().decode("utf-8").splitlines()]
if got != want:
    print("got", got[:5], "want", want[:5])
    sys.exit(1)
PYEOF
}

echo "== CRLF =="
printf 'a/one.jpg\r\nb two.jpg\r\n\r\nc.jpg\r\n' >crlf.txt
printf 'a/one.jpg\nb two.jpg\n\nc.jpg\n' >lf.txt
sign crlf crlf.txt
check_rc crlf 0
check_stderr crlf "presign: warning: crlf.txt: 4 lines end in a carriage return (\\r: CRLF line endings?), the first at line 1; the \\r is signed as part of the key: pass --strip-cr to remove it"
check_keys crlf crlf.txt
grep -q 'one.jpg%0D?' crlf.out && ok || bad "crlf: the \\r is not in the signed URL"
sign strip crlf.txt --strip-cr
check_rc strip 0
check_stderr strip ""
check_keys strip crlf.txt strip
sign lf lf.txt
cmp -s strip.out lf.out && ok || bad "strip: --strip-cr output differs from the LF file's"

echo "== URIs and aws s3 ls output =="
printf 's3://bucket/a.jpg\nplain.jpg\ngs://bucket/b.jpg\n' >uris.txt
sign uris uris.txt
check_rc uris 0
check_stderr uris "presign: warning: uris.txt: 2 lines look like a URI, not an object key, the first at line 1 's3://bucket/a.jpg'; signed as written: list keys without the scheme and bucket"
check_keys uris uris.txt
printf '2024-01-01 12:00:00       1234 photos/a.jpg\n2024-01-02 08:30:00     987654 photos/b.jpg\n' >ls.txt
sign ls ls.txt
check_rc ls 0
check_stderr ls "presign: warning: ls.txt: 2 lines look like \`aws s3 ls\` output (date, time, size, key), the first at line 1 '2024-01-01 12:00:00       1234 photos/a.jpg'; signed as written: keep only the keys"
check_keys ls ls.txt

echo "== empty =="
: >empty.txt
sign empty empty.txt
check_rc empty 0
check_stderr empty "presign: warning: empty.txt is empty: no keys, nothing was signed"
[ ! -s empty.out ] && ok || bad "empty: output is not empty"

echo "== repeated keys =="
{ for i in $(seq 1 300); do echo "k/$i"; done; echo k/7; echo; echo k/300; echo k/7; } >dups.txt
sign dups dups.txt --format ndjson
check_rc dups 0
check_stderr dups "presign: warning: dups.txt: 3 lines repeat an earlier key, the first at line 301 'k/7' (also on line 7); each repeat is signed again"
check_keys dups dups.txt
# A pipe cannot be read again: the earlier line is not named.
cat dups.txt | sign dups-stdin -
check_rc dups-stdin 0
check_stderr dups-stdin "presign: warning: standard input: 3 lines repeat an earlier key, the first at line 301 'k/7'; each repeat is signed again"

# --no-repeat-check: the same keys, no warning (and the check is refused without --keys-from).
sign dups-nocheck dups.txt --format ndjson --no-repeat-check
check_rc dups-nocheck 0
check_stderr dups-nocheck ""
check_keys dups-nocheck dups.txt
env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/home" "$PRESIGN" sign s3://bucket/prefix --no-repeat-check \
  --output nocheck-list.out 2>nocheck-list.err
rc=$?
[ "$rc" = 2 ] && grep -q -- "--no-repeat-check applies to --keys-from only" nocheck-list.err && [ ! -e nocheck-list.out ] \
  && ok || bad "--no-repeat-check without --keys-from: rc $rc, stderr [$(cat nocheck-list.err)]"

echo "== a too-long key is reported by its line =="
{ echo first; echo; head -c 1100 /dev/zero | tr '\0' 'k'; echo; echo last; } >long.txt
sign long long.txt
check_rc long 1
long_key_shown=$(head -c 200 /dev/zero | tr '\0' 'k')
check_stderr long "presign: line 3 '${long_key_shown}...': object key longer than 1024 bytes
presign: 1 of 3 objects could not be signed (listed above)"
[ "$("$PY" -c 'import json,sys; print(sum("error" in json.loads(l) for l in open(sys.argv[1])))' long.out)" = 1 ] \
  && ok || bad "long: want one error record"

finish
