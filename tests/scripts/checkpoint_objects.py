#!/usr/bin/env python3
"""Prints the objects a presign checkpoint records: the "objects" field of its newest slot
whose SHA-256 is valid (the slot --resume would use), or 0 when the file does not exist or
holds no valid slot. Used by the crash tests to tell a resume that continued from one that
started over. usage: checkpoint_objects.py CHECKPOINT"""
import hashlib
import sys

SLOT_BYTES = 16384  # engine/include/presign/engine/checkpoint.hpp kCheckpointSlotBytes
MAGIC = b"presign-checkpoint v1\n"

path = sys.argv[1]
try:
    with open(path, "rb") as f:
        data = f.read()
except FileNotFoundError:  # not written yet, or renamed away as the job ends
    data = b""
best = (-1, 0)
for off in range(0, len(data), SLOT_BYTES):
    slot = data[off:off + SLOT_BYTES].split(b"\0", 1)[0]
    at = slot.rfind(b"sha256=")
    if not slot.startswith(MAGIC) or at < 0:
        continue
    if slot[at:] != b"sha256=" + hashlib.sha256(slot[:at]).hexdigest().encode() + b"\n":
        continue
    fields = dict(line.split(b"=", 1) for line in slot[len(MAGIC):at].split(b"\n") if b"=" in line)
    best = max(best, (int(fields[b"generation"]), int(fields[b"objects"])))
print(best[1])
