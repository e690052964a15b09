#!/usr/bin/python3
"""Runs a command; passes only if it exits 0 AND its output (stdout + stderr) matches REGEX.

ctest's PASS_REGULAR_EXPRESSION ignores the exit status, so a program that printed the right
text and then crashed or failed would pass; the smoke tests use this wrapper instead.
REGEX is a Python regular expression searched with re.DOTALL ('.' also matches newlines).

usage: expect_output.py REGEX COMMAND [ARG]...
"""
import re
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit("usage: expect_output.py REGEX COMMAND [ARG]...")
regex, cmd = sys.argv[1], sys.argv[2:]
proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
out = proc.stdout.decode("utf-8", "replace")
sys.stdout.write(out)
if proc.returncode != 0:
    sys.exit(f"expect_output: {cmd[0]} exited {proc.returncode}, want 0")
if not re.search(regex, out, re.S):
    sys.exit(f"expect_output: the output does not match /{regex}/")
print(f"expect_output: exit 0 and the output matches /{regex}/")
