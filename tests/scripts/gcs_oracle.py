#!/usr/bin/python3
"""Randomised GCS V4 oracle: `presign sign gs://...` against Google's Node client, URL for URL.

Generates a deterministic (seeded) set of hostile object names, has Google's Node client
(@google-cloud/storage, gcs_oracle.js) sign all of them in ONE node process for several
configurations, runs `presign sign ... --format urls` once per configuration, and compares
every URL byte for byte (parameter order included). The key is Google's published, inactive
dummy service account (tests/vectors/gcs/test_service_account.not-a-test.json).

usage: gcs_oracle.py --presign BIN --node-modules DIR --key SA.json [--count N] [--seed S]

Names the oracle cannot judge are left out, and say why:
  - a "." or ".." path segment: the Node client resolves dot segments in the URL (WHATWG URL),
    while GCS names contain them literally (tests/vectors/README.md gotcha 7);
  - CR or LF: GCS refuses them in object names, and presign reports such names as errors
    (unit-tested in tests/signers/gcs_v4_test.cpp); LF also ends a line of --keys-from.
A missing prerequisite (node, the npm package, the key, presign) is a failure, never a skip.
Prints "N passed, M failed" last; exits 0 only if M == 0 and N > 0.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unicodedata

MAX_NAME_BYTES = 1024
HERE = os.path.dirname(os.path.abspath(__file__))

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SPECIALS = "+%~!'()*"                        # the characters encoders disagree on most
MORE = "=&?#@:$,;[]{}^|\\\"<>`-._"            # the rest of printable ASCII
CONTROL = [chr(c) for c in range(0x00, 0x20) if c not in (0x0A, 0x0D)] + ["\x7f"]
UNI2 = ["\u00e9", "\u00df", "\u00f1", "\u0416", "\u03a9", "\u05d0", "\u0627", "\u0085",
        "\u00a0", "\u00ad", "\u0301", "\u07ff", "\u0080"]
UNI3 = ["\u65e5", "\u672c", "\u20ac", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uac00",
        "\u0800", "\uffff", "\ufffe", "\u200b", "\u3000", "\ud7ff", "\ue000"]
UNI4 = ["\U0001F600", "\U00010000", "\U0010FFFF", "\U0001F1FA\U0001F1F8", "\U00020000",
        "\U0001F469\u200d\U0001F4BB", "\U0001D11E"]
NORM_WORDS = ["caf\u00e9", "r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "\ud55c\uad6d\uc5b4",
              "na\u00efve", "\u1e9b\u0323", "\u2126", "\u212b"]
SLASHES = ["/", "//", "///"]

CONFIGS = [
    dict(name="path-get", bucket="test-bucket", timestamp="2019-02-01T09:00:00Z",
         expires=3600, action="read"),
    dict(name="virtual-get-7d", bucket="my.dotted_bucket-1", timestamp="2024-02-29T23:59:59Z",
         expires=604800, action="read", virtualHostedStyle=True),
    dict(name="path-put-1s", bucket="upload-bucket", timestamp="2025-12-31T23:59:59Z",
         expires=1, action="write"),
    dict(name="response-overrides", bucket="test-bucket", timestamp="2024-03-10T01:02:03Z",
         expires=900, action="read", responseType="text/plain; charset=utf-8",
         responseDisposition="attachment; filename=\"r\u00e9sum\u00e9 ~!*'() +%20.txt\"; "
                             "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"),
    dict(name="endpoint-127.0.0.1:4443", bucket="test-bucket", timestamp="2024-06-30T12:34:56Z",
         expires=3600, action="read", apiEndpoint="http://127.0.0.1:4443"),
]


def fail_setup(msg):
    print("gcs_oracle: FAIL: " + msg, file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)


def utf8_len(s):
    return len(s.encode("utf-8"))


def token(rng):
    r = rng.random()
    if r < 0.24:
        return "".join(rng.choice(ALNUM) for _ in range(rng.randint(1, 12)))
    if r < 0.38:
        return rng.choice(SPECIALS) * rng.choice([1, 1, 1, 2])
    if r < 0.44:
        return rng.choice(MORE)
    if r < 0.52:
        return " " * rng.choice([1, 1, 2, 3])
    if r < 0.60:
        return rng.choice(SLASHES)
    if r < 0.66:
        return rng.choice(CONTROL)
    if r < 0.73:
        return rng.choice(UNI2)
    if r < 0.80:
        return rng.choice(UNI3)
    if r < 0.87:
        return rng.choice(UNI4)
    if r < 0.94:
        return unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKC", "NFKD"]),
                                     rng.choice(NORM_WORDS))
    return "%" + rng.choice("0123456789ABCDEFabcdefGz") + rng.choice("0123456789ABCDEFabcdef%")


def fit_exact(rng, s, target):
    """Trims or pads s to exactly `target` UTF-8 bytes without splitting a character."""
    s = s.encode("utf-8")[:target].decode("utf-8", errors="ignore")
    filler = ALNUM + SPECIALS + " /"
    while utf8_len(s) < target:
        room = target - utf8_len(s)
        pool = [c for c in (rng.choice(UNI4), rng.choice(UNI3), rng.choice(UNI2),
                            rng.choice(filler)) if utf8_len(c) <= room]
        s += rng.choice(pool)
    return s


def judged(name):
    """True for names the Node oracle signs literally (see the module docstring)."""
    if not name or "\n" in name or "\r" in name or utf8_len(name) > MAX_NAME_BYTES:
        return False
    return all(seg not in (".", "..") for seg in name.split("/"))


def fixed_names():
    names = [" ", "  ", " lead", "trail ", "/", "//", "///", "/lead", "//double-lead", "a//b",
             "a/", "a b/c d", "~", "~user", "a+b", "a%20b", "100%", "%", "%%", "%2F", "%2f",
             "%zz", "%2e%2e", "a=b&c=d", "q?x=1#frag", "@host:80", "!'()*", "a!b'(c)*~_-.txt",
             "\\", "\"quoted\"", "<tag>", "`tick`", "{}[]|^", ".a", "a.", "...", "a/.../b",
             ".well-known/x", "\x00", "\x01ctrl\x1f", "tab\there", "del\x7f", "nel\u0085",
             "ls\u2028ps\u2029", "bom\ufeff", "\ufffd", "\U0010FFFF", "\U0001F600",
             "\u65e5\u672c/\U0001F600.txt", "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"),
             "sp ace/\u00e9+plus.txt", "100%=&?#.txt", "folder/", "test-object"]
    names += CONTROL
    rng = random.Random(7)
    for ch in ("a", "/", " ", "+", "%", "\u00e9", "\u20ac", "\U0001F600"):
        names.append(fit_exact(rng, ch * (MAX_NAME_BYTES // utf8_len(ch)), MAX_NAME_BYTES))
    return [n for n in names if judged(n)]


def generate_names(count, seed):
    rng = random.Random(seed)
    names = fixed_names()
    seen = set(names)
    while len(names) < count:
        r = rng.random()
        n = rng.randint(1, 8) if r < 0.55 else rng.randint(8, 60) if r < 0.85 else rng.randint(60, 400)
        name = "".join(token(rng) for _ in range(n))
        if rng.random() < 0.08:
            name = rng.choice(["/", "//", " ", "  "]) + name
        if rng.random() < 0.08:
            name += rng.choice([" ", "  ", "/", "//", "\t"])
        if rng.random() < 0.05 or utf8_len(name) > MAX_NAME_BYTES:
            name = fit_exact(rng, name, MAX_NAME_BYTES)
        if judged(name) and name not in seen:
            seen.add(name)
            names.append(name)
    return names


def presign_args(c, key_file, keys_file):
    args = ["sign", "gs://" + c["bucket"], "--keys-from", keys_file, "--format", "urls",
            "--quiet", "--credentials", key_file, "--signing-time", c["timestamp"],
            "--expires", str(c["expires"]), "--method", "PUT" if c["action"] == "write" else "GET"]
    if c.get("virtualHostedStyle"):
        args += ["--addressing", "virtual"]
    if c.get("apiEndpoint"):
        args += ["--endpoint", c["apiEndpoint"]]
    if c.get("responseType"):
        args += ["--response-content-type", c["responseType"]]
    if c.get("responseDisposition"):
        args += ["--response-content-disposition", c["responseDisposition"]]
    return args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presign", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--count", type=int, default=int(os.environ.get("PRESIGN_GCS_ORACLE_COUNT", "2500")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("PRESIGN_GCS_ORACLE_SEED", "20190201")))
    a = ap.parse_args()

    node = shutil.which("node")
    if not node:
        fail_setup("node is not on PATH (the oracle is Google's Node client)")
    pkg = os.path.join(a.node_modules, "@google-cloud", "storage", "package.json")
    if not os.path.isfile(pkg):
        fail_setup("%s is missing: run scripts/install-deps.sh (npm @google-cloud/storage 7.22.0 "
                   "under .tools/)" % pkg)
    if not os.path.isfile(a.key):
        fail_setup("the service-account key %s is missing" % a.key)
    if not (os.path.isfile(a.presign) and os.access(a.presign, os.X_OK)):
        fail_setup("presign binary %r is missing or not executable" % a.presign)
    if a.count < 2000:
        fail_setup("--count %d: at least 2000 names" % a.count)
    with open(pkg) as f:
        version = json.load(f)["version"]

    names = generate_names(a.count, a.seed)
    work = tempfile.mkdtemp(prefix="presign-gcs-oracle.")
    try:
        job = dict(nodeModules=os.path.abspath(a.node_modules), keyFile=os.path.abspath(a.key),
                   names=names, configs=CONFIGS)
        job_file = os.path.join(work, "job.json")
        with open(job_file, "w", encoding="utf-8") as f:
            json.dump(job, f, ensure_ascii=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work}
        p = subprocess.run([node, os.path.join(HERE, "gcs_oracle.js"), job_file], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            fail_setup("the Node oracle failed (exit %d): %s" % (p.returncode, p.stderr.decode(errors="replace")[-2000:]))
        oracle = p.stdout.decode("utf-8").split("\n")
        if oracle[-1] == "":
            oracle.pop()
        if len(oracle) != len(names) * len(CONFIGS):
            fail_setup("the Node oracle printed %d URLs for %d names x %d configs"
                       % (len(oracle), len(names), len(CONFIGS)))

        keys_file = os.path.join(work, "keys.txt")
        with open(keys_file, "wb") as f:
            f.write(b"".join(n.encode("utf-8") + b"\n" for n in names))
        passed = failed = 0
        for ci, c in enumerate(CONFIGS):
            q = subprocess.run([a.presign] + presign_args(c, a.key, keys_file), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            ours = q.stdout.decode("utf-8", errors="replace").split("\n")
            if ours and ours[-1] == "":
                ours.pop()
            if q.returncode != 0 or len(ours) != len(names):
                print("config %s: presign exit %d, %d URLs for %d names: %s" %
                      (c["name"], q.returncode, len(ours), len(names),
                       q.stderr.decode(errors="replace")[-2000:]))
                failed += len(names)
                continue
            bad = 0
            for i, name in enumerate(names):
                want = oracle[ci * len(names) + i]
                if ours[i] == want:
                    continue
                bad += 1
                if bad <= 5:
                    print("MISMATCH config=%s name=%r\n  node:    %s\n  presign: %s" %
                          (c["name"], name, want, ours[i]))
            passed += len(names) - bad
            failed += bad
            print("config %-26s %d/%d URLs identical" % (c["name"], len(names) - bad, len(names)))
        print("gcs_oracle: %d names (seed %d) x %d configs, @google-cloud/storage %s"
              % (len(names), a.seed, len(CONFIGS), version))
        print("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 and passed > 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
