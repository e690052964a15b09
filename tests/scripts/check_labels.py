#!/usr/bin/python3
"""meta.labels: every ctest entry of the build has a LABELS property, and each has at least one
of the documented groups (README, "Tests are labelled by ..."), so `ctest -L GROUP` selects
every test of a group and none is left out of all of them.

usage: check_labels.py CTEST BUILD_DIR
"""
import json
import subprocess
import sys

GROUPS = {"core", "signers", "io", "auth", "providers", "engine", "store", "stress", "smoke", "cli", "oracle", "live", "crash",
          "meta"}

ctest, build = sys.argv[1], sys.argv[2]
doc = json.loads(subprocess.run([ctest, "--show-only=json-v1"], cwd=build, check=True,
                                capture_output=True).stdout)
tests = doc.get("tests", [])
if not tests:
    sys.exit("check_labels: ctest lists no test at all")
bad = []
for t in tests:
    labels = []
    for p in t.get("properties", []):
        if p.get("name") == "LABELS":
            labels = p.get("value") or []
    if not labels:
        bad.append(f"{t['name']!r}: no LABELS")
    elif not GROUPS.intersection(labels):
        bad.append(f"{t['name']!r}: labels {labels} name none of {sorted(GROUPS)}")
for b in bad:
    print("check_labels:", b)
if bad:
    sys.exit(f"check_labels: {len(bad)} of {len(tests)} ctest entries are not labelled")
print(f"check_labels: all {len(tests)} ctest entries have a group label")
