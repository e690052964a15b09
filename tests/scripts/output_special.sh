#!/usr/bin/env bash
# `--output` onto things that are not regular files (ctest label "cli"), all inside a temporary
# directory (the real /dev entries are never touched):
# - character devices made with mknod as copies of /dev/null (1,3) and /dev/full (1,7), and a
#   symlink to one, are written in place: still the same device afterwards; /dev/full's ENOSPC
#   is exit 4 naming the reason, with no temporary file left behind;
# - a FIFO is written in place, streaming, to a reader that gets exactly the output;
# - a symlink to /proc/self/fd/1 (what /dev/stdout is) writes to the process's stdout;
# - a symlink to a regular file stays a symlink; the file it points at gets the output;
# - --checkpoint with a device output is refused (exit 2) before any work;
# - a reader that goes away (EPIPE) is exit 4 with the reason, not death by SIGPIPE.
# The device checks need root (mknod); without it they are not run and the test reports
# skipped (exit 77) once everything else passed.
# usage: output_special.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1
PRESIGN=${1:?usage: output_special.sh PATH/TO/presign}
work=$(mktemp -d "${TMPDIR:-/tmp}/presign-special.XXXXXX")
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=AKIDSPECIALTEST AWS_SECRET_ACCESS_KEY=special-secret
seq -f 'special/obj-%07.0f.bin' 1 20000 > "$work/keys.txt"
common=(sign s3://special-bucket --keys-from "$work/keys.txt" --signing-time 2024-01-01T00:00:00Z
        --threads 2 --quiet)
"$PRESIGN" "${common[@]}" --output "$work/want.ndjson" || { echo "reference run failed"; exit 1; }
# Nothing but the named entries may be in $work/d afterwards (no temporary files).
mkdir "$work/d"
only() { [ "$(cd "$work/d" && ls -A | sort | tr '\n' ' ')" = "$* " ]; }

root=0; [ "$(id -u)" -eq 0 ] && root=1
if [ "$root" -eq 1 ]; then
  mknod "$work/d/null" c 1 3 && mknod "$work/d/full" c 1 7 || { echo "mknod failed"; exit 1; }

  echo "a character device (a copy of /dev/null) is written in place and stays a device"
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/null" 2>"$work/err" || rc=$?
  if [ "$rc" -eq 0 ] && [ -c "$work/d/null" ] && [ "$(stat -c %t:%T "$work/d/null")" = 1:3 ] && only full null
  then ok; else bad "device null (rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi

  echo "a symlink to a character device writes through it; both stay as they were"
  ln -s null "$work/d/link-null"
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/link-null" 2>"$work/err" || rc=$?
  if [ "$rc" -eq 0 ] && [ -L "$work/d/link-null" ] && [ -c "$work/d/null" ] && only full link-null null
  then ok; else bad "symlink to device (rc $rc)"; cat "$work/err"; fi
  rm -f "$work/d/link-null"

  echo "a device that is full (a copy of /dev/full) is exit 4 with the reason, nothing left behind"
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/full" 2>"$work/err" || rc=$?
  if [ "$rc" -eq 4 ] && grep -q 'No space left on device' "$work/err" && [ -c "$work/d/full" ] \
      && [ "$(stat -c %t:%T "$work/d/full")" = 1:7 ] && only full null
  then ok; else bad "device full (rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi

  echo "--checkpoint with a device output is refused (exit 2) before any work"
  rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/null" --checkpoint "$work/d/ck" 2>"$work/err" || rc=$?
  if [ "$rc" -eq 2 ] && grep -q 'checkpoint' "$work/err" && [ -c "$work/d/null" ] && only full null
  then ok; else bad "checkpoint onto a device (rc $rc)"; cat "$work/err"; fi
  rm -f "$work/d/null" "$work/d/full"
fi

echo "a FIFO is written in place, streaming, to its reader"
mkfifo "$work/d/fifo"
timeout 60 cat "$work/d/fifo" > "$work/fifo.got" &
reader=$!
rc=0; timeout 60 "$PRESIGN" "${common[@]}" --output "$work/d/fifo" 2>"$work/err" || rc=$?
wait "$reader"
if [ "$rc" -eq 0 ] && [ -p "$work/d/fifo" ] && cmp -s "$work/fifo.got" "$work/want.ndjson" && only fifo
then ok; else bad "fifo (rc $rc)"; cat "$work/err"; fi
rm -f "$work/d/fifo"

echo "a symlink to /proc/self/fd/1 (like /dev/stdout) writes to standard output"
ln -s /proc/self/fd/1 "$work/d/stdout"
rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/stdout" 2>"$work/err" > "$work/stdout.got" || rc=$?
if [ "$rc" -eq 0 ] && [ -L "$work/d/stdout" ] && cmp -s "$work/stdout.got" "$work/want.ndjson" && only stdout
then ok; else bad "symlink to stdout (rc $rc)"; cat "$work/err"; fi
rm -f "$work/d/stdout"

echo "a symlink to a regular file stays a symlink; its target gets the output atomically"
echo old > "$work/d/real.ndjson"
ln -s real.ndjson "$work/d/link.ndjson"
rc=0; "$PRESIGN" "${common[@]}" --output "$work/d/link.ndjson" 2>"$work/err" || rc=$?
if [ "$rc" -eq 0 ] && [ -L "$work/d/link.ndjson" ] && [ "$(readlink "$work/d/link.ndjson")" = real.ndjson ] \
    && cmp -s "$work/d/real.ndjson" "$work/want.ndjson" && only link.ndjson real.ndjson
then ok; else bad "symlink to a regular file (rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi
rm -f "$work/d/link.ndjson" "$work/d/real.ndjson"

echo "a reader that goes away (EPIPE) is exit 4 with the reason"
set +o pipefail
"$PRESIGN" "${common[@]}" --output - 2>"$work/err" | head -c 100 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
if [ "$rc" -eq 4 ] && grep -q 'Broken pipe' "$work/err"; then ok
else bad "EPIPE (rc $rc)"; cat "$work/err"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] || exit 1
if [ "$root" -eq 0 ]; then echo "device checks need root (mknod): skipped"; exit 77; fi
