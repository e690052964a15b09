#!/usr/bin/python3
"""Randomised S3 presign oracle: `presign sign` against Debian's botocore, URL for URL.

Generates a deterministic (seeded) set of hostile object keys, signs all of them with
`presign sign ... --format ndjson` and, in this one process, with botocore's
generate_presigned_url under a frozen clock (the recipe of tests/vectors/aws-sigv4/PROVENANCE.md), for
several configurations, and compares the URLs.

usage: s3_oracle.py --presign BIN --workdir DIR --signer crt|python [--count N] [--seed S]

--signer says which botocore signer this process must be using; it is checked, never
assumed: `crt` needs python3-awscrt and BOTO_DISABLE_CRT unset, `python` needs
BOTO_DISABLE_CRT=true.
  python: every URL must be byte-identical (param order included) to botocore's.
  crt:    the CRT (aws-c-auth) emits X-Amz-SignedHeaders before X-Amz-Expires, unlike the
          pure-Python signer, so presign cannot match both orders. Here scheme, host and
          path must be byte-identical and the query parameters identical as raw
          (still-encoded) name=value pairs; the order difference is counted and shown.
Prints "N passed, M failed" last; exits 0 only if M == 0 and N > 0.
"""
import argparse
import datetime as _dt
import json
import os
import random
import subprocess
import sys
import unicodedata

try:
    import botocore
    import botocore.auth
    import botocore.compat
    import botocore.session
    from botocore.config import Config
except ImportError as e:  # a missing prerequisite is a failure, never a skip
    print("s3_oracle: FAIL: python module botocore is missing (%s); install python3-botocore "
          "and run with /usr/bin/python3" % e, file=sys.stderr)
    sys.exit(2)

MAX_KEY_BYTES = 1024
AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # '/' and '+' in the secret on purpose
TOKEN = ("IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+==" "FwoGZXIvYXdzEBYaDH7+/abc=/def==")

# ---------------------------------------------------------------------------------------
# Key generation (deterministic for a given seed)

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
UNRESERVED = "-._~"
SPECIALS = "+%~!'()*=&?#@:"           # the ones the brief names
MORE_SPECIALS = "$,;[]{}^|\\\"<>`"  # everything else printable in ASCII
CONTROL = [chr(c) for c in range(0x00, 0x20) if c != 0x0A] + ["\x7f"]
UNI2 = ["\u00e9", "\u00df", "\u00f1", "\u00fc", "\u0416", "\u03a9", "\u05d0", "\u0627",
        "\u0085", "\u00a0", "\u00ad", "\u0301", "\u07ff", "\u0080"]
UNI3 = ["\u65e5", "\u672c", "\u20ac", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uac00",
        "\u0800", "\uffff", "\ufffe", "\u200b", "\u3000", "\ud7ff", "\ue000", "\u0915"]
UNI4 = ["\U0001F600", "\U00010000", "\U0010FFFF", "\U0001F1FA\U0001F1F8", "\U00020000",
        "\U0001F469\u200d\U0001F4BB", "\U0001D11E", "\U000E0001"]
# Words that differ between NFC and NFD (both forms are emitted, never normalised later).
NORM_WORDS = ["caf\u00e9", "r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "\ud55c\uad6d\uc5b4",
              "na\u00efve", "\u1e9b\u0323", "\u00f1and\u00fa", "\u00e5\u00e4\u00f6",
              "\u01c4", "\u2126", "\u212b", "\u0344", "\u0958"]
SEGMENTS = ["/", "//", "/./", "/../", "./", "../", "/.", "/..", ".", "..", "///"]


def _norm_word(rng):
    w = rng.choice(NORM_WORDS)
    return unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKC", "NFKD"]), w)


def _token(rng):
    r = rng.random()
    if r < 0.22:
        return "".join(rng.choice(ALNUM) for _ in range(rng.randint(1, 12)))
    if r < 0.36:
        return rng.choice(SPECIALS) * rng.choice([1, 1, 1, 2])
    if r < 0.42:
        return rng.choice(MORE_SPECIALS)
    if r < 0.46:
        return rng.choice(UNRESERVED)
    if r < 0.53:
        return " " * rng.choice([1, 1, 2, 3])
    if r < 0.63:
        return rng.choice(SEGMENTS)
    if r < 0.68:
        return rng.choice(CONTROL)
    if r < 0.75:
        return rng.choice(UNI2)
    if r < 0.82:
        return rng.choice(UNI3)
    if r < 0.88:
        return rng.choice(UNI4)
    if r < 0.95:
        return _norm_word(rng)
    return "%" + rng.choice("0123456789ABCDEFabcdefGz") + rng.choice("0123456789ABCDEFabcdef%")


def _utf8_len(s):
    return len(s.encode("utf-8"))


def _fit_exact(rng, s, target):
    """Trims or pads s to exactly `target` UTF-8 bytes (without splitting a character)."""
    b = s.encode("utf-8")
    if len(b) > target:
        s = b[:target].decode("utf-8", errors="ignore")
    filler = ALNUM + SPECIALS + " /."
    while _utf8_len(s) < target:
        room = target - _utf8_len(s)
        pool = [c for c in (rng.choice(UNI4), rng.choice(UNI3), rng.choice(UNI2),
                            rng.choice(filler)) if _utf8_len(c) <= room]
        s += rng.choice(pool)
    assert _utf8_len(s) == target
    return s


def fixed_keys():
    """A hand-picked corpus, always included, so the edge cases never depend on the seed."""
    keys = [".", "..", "/", "//", "///", " ", "  ", " lead", "trail ", " both ", "\t", "\r",
            "/lead", "//double-lead", "a//b", "a///b", "a/./b", "a/../b", "./a", "../a",
            "a/.", "a/..", "a/", "/./", "/../", "a b/c d", "~", "~user", "a+b", "a%20b",
            "100%", "%", "%%", "%2F", "%2f", "%zz", "a=b&c=d", "q?x=1#frag", "@host:80",
            "!'()*", "a!b'(c)*~_-.txt", "\\", "\"quoted\"", "<tag>", "`tick`", "{}[]|^",
            "\x00", "\x01ctrl\x1f", "cr\rlf", "del\x7f", "nel\u0085", "ls\u2028ps\u2029",
            "bom\ufeff", "\ufffd", "\U0010FFFF", "\U0001F600", "\u65e5\u672c/\U0001F600.txt",
            "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"),
            "\ud55c\uad6d\uc5b4", unicodedata.normalize("NFD", "\ud55c\uad6d\uc5b4"),
            "sp ace/\u00e9+plus.txt", "100%=&?#.txt", "folder/", "test.txt"]
    keys += [c for c in CONTROL]
    for ch in ("a", "/", " ", "\u00e9", "\u20ac", "\U0001F600", "%"):
        n = MAX_KEY_BYTES // _utf8_len(ch)
        k = ch * n
        keys.append(_fit_exact(random.Random(7), k, MAX_KEY_BYTES))
    return keys


def generate_keys(count, seed):
    rng = random.Random(seed)
    keys = fixed_keys()
    while len(keys) < count:
        r = rng.random()
        if r < 0.55:
            n = rng.randint(1, 8)
        elif r < 0.85:
            n = rng.randint(8, 60)
        else:
            n = rng.randint(60, 400)
        k = "".join(_token(rng) for _ in range(n))
        if rng.random() < 0.08:
            k = rng.choice(["/", "//", " ", "  ", "./", "../"]) + k
        if rng.random() < 0.08:
            k = k + rng.choice([" ", "  ", "/", ".", "/.", "/..", "\r", "\t"])
        if rng.random() < 0.05 or _utf8_len(k) > MAX_KEY_BYTES:
            k = _fit_exact(rng, k, MAX_KEY_BYTES)
        k = k.replace("\n", "\r")
        if not k:
            continue
        keys.append(k)
    for k in keys:  # what the key-file format and botocore allow, checked once more
        assert k and "\n" not in k and 0 < _utf8_len(k) <= MAX_KEY_BYTES, repr(k)
        k.encode("utf-8")  # valid UTF-8 (no lone surrogates)
    return keys[:max(count, len(fixed_keys()))]


# ---------------------------------------------------------------------------------------
# Configurations

CONFIGS = [
    dict(name="virtual-us-east-1", bucket="examplebucket", region="us-east-1",
         addressing="virtual", ts="2013-05-24T00:00:00Z", expires=86400),
    dict(name="path-eu-west-1", bucket="my-bucket-eu", region="eu-west-1",
         addressing="path", ts="2024-02-29T23:59:59Z", expires=3600),
    dict(name="session-token-us-west-2", bucket="token-bucket", region="us-west-2",
         addressing="virtual", ts="2024-01-01T00:00:00Z", expires=900, token=TOKEN),
    dict(name="endpoint-127.0.0.1:4569-path", bucket="test-bucket", region="us-east-1",
         addressing="path", ts="2024-06-30T12:34:56Z", expires=604800,
         endpoint="http://127.0.0.1:4569"),
    dict(name="put-eu-central-1", bucket="upload-bucket", region="eu-central-1",
         addressing="virtual", ts="2025-12-31T23:59:59Z", expires=1, method="PUT"),
    dict(name="response-content-disposition", bucket="examplebucket", region="us-east-1",
         addressing="path", ts="2024-03-10T01:02:03Z", expires=600,
         disposition="attachment; filename=\"r\u00e9sum\u00e9 ~!*'() +%20.txt\"; "
                     "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"),
    dict(name="disposition+content-type-session", bucket="examplebucket", region="ap-northeast-1",
         addressing="virtual", ts="2024-03-10T01:02:03Z", expires=7200, token=TOKEN,
         disposition="inline", content_type="text/plain; charset=utf-8"),
    dict(name="auto-addressing-us-west-2", bucket="auto-bucket", region="us-west-2",
         addressing="auto", ts="2024-01-01T00:00:00Z", expires=3600),
]


def freeze_clock(ts):
    fixed = _dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")

    class _Frozen(_dt.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

        @classmethod
        def now(cls, tz=None):
            return fixed.replace(tzinfo=_dt.timezone.utc) if tz else fixed

    botocore.auth.datetime.datetime = _Frozen


def botocore_client(cfg):
    s3cfg = {} if cfg["addressing"] == "auto" else {"addressing_style": cfg["addressing"]}
    return botocore.session.get_session().create_client(
        "s3", region_name=cfg["region"], endpoint_url=cfg.get("endpoint"),
        aws_access_key_id=AK, aws_secret_access_key=SK, aws_session_token=cfg.get("token"),
        config=Config(signature_version="s3v4", s3=s3cfg))


def botocore_urls(cfg, keys):
    freeze_clock(cfg["ts"])
    client = botocore_client(cfg)
    op = "put_object" if cfg.get("method") == "PUT" else "get_object"
    out = []
    for k in keys:
        params = {"Bucket": cfg["bucket"], "Key": k}
        if cfg.get("disposition") is not None:
            params["ResponseContentDisposition"] = cfg["disposition"]
        if cfg.get("content_type") is not None:
            params["ResponseContentType"] = cfg["content_type"]
        out.append(client.generate_presigned_url(op, Params=params, ExpiresIn=cfg["expires"]))
    return out


def presign_urls(binary, cfg, keys_file, workdir):
    out_file = os.path.join(workdir, "presign-%s.ndjson" % cfg["name"])
    cmd = [binary, "sign", "s3://" + cfg["bucket"], "--keys-from", keys_file,
           "--region", cfg["region"], "--addressing", cfg["addressing"],
           "--expires", str(cfg["expires"]), "--signing-time", cfg["ts"],
           "--method", cfg.get("method", "GET"), "--format", "ndjson",
           "--output", out_file, "--threads", "2", "--quiet"]
    if cfg.get("endpoint"):
        cmd += ["--endpoint", cfg["endpoint"]]
    if cfg.get("disposition") is not None:
        cmd += ["--response-content-disposition", cfg["disposition"]]
    if cfg.get("content_type") is not None:
        cmd += ["--response-content-type", cfg["content_type"]]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir,
           "AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
           "AWS_CONFIG_FILE": os.path.join(workdir, "no-config"),
           "AWS_SHARED_CREDENTIALS_FILE": os.path.join(workdir, "no-credentials")}
    if cfg.get("token"):
        env["AWS_SESSION_TOKEN"] = cfg["token"]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        return None, "presign exited %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace")[-2000:])
    records = []
    with open(out_file, "rb") as f:
        data = f.read()
    for n, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")):
        try:
            records.append(json.loads(line.decode("utf-8")))
        except ValueError as e:
            return None, "ndjson line %d does not parse: %s: %r" % (n + 1, e, line[:200])
    return records, None


# ---------------------------------------------------------------------------------------
# Comparison

def split_url(u):
    base, _, query = u.partition("?")
    return base, query.split("&") if query else []


def classify(expected, actual):
    eb, eq = split_url(expected)
    ab, aq = split_url(actual)
    if eb != ab:
        scheme_host_e, scheme_host_a = eb.split("/", 3)[:3], ab.split("/", 3)[:3]
        return "host" if scheme_host_e != scheme_host_a else "path"
    if eq == aq:
        return "equal"
    if sorted(eq) == sorted(aq):
        return "param-order-only"
    names_e = [p.split("=", 1)[0] for p in eq]
    names_a = [p.split("=", 1)[0] for p in aq]
    if sorted(names_e) != sorted(names_a):
        return "param-set"
    diff = sorted({p.split("=", 1)[0] for p in set(eq) ^ set(aq)})
    return "value:" + ",".join(diff)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presign", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--signer", required=True, choices=["crt", "python"])
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20240917)
    ap.add_argument("--show", type=int, default=8, help="mismatches shown per configuration")
    a = ap.parse_args()

    # Which signer is botocore really using? Checked, never assumed.
    query_auth = botocore.auth.AUTH_TYPE_MAPS.get("s3v4-query")
    using_crt = botocore.compat.HAS_CRT and "crt" in query_auth.__module__
    if a.signer == "crt" and not using_crt:
        print("s3_oracle: FAIL: --signer crt but botocore uses %s.%s (HAS_CRT=%s, BOTO_DISABLE_CRT=%r); "
              "the CRT signer needs the Debian package python3-awscrt (apt-get install python3-awscrt)"
              % (query_auth.__module__, query_auth.__name__, botocore.compat.HAS_CRT,
                 os.environ.get("BOTO_DISABLE_CRT")), file=sys.stderr)
        return 2
    if a.signer == "python" and using_crt:
        print("s3_oracle: FAIL: --signer python but botocore uses the CRT; set BOTO_DISABLE_CRT=true",
              file=sys.stderr)
        return 2
    if not os.access(a.presign, os.X_OK):
        print("s3_oracle: FAIL: presign binary %r is not executable" % a.presign, file=sys.stderr)
        return 2

    keys = generate_keys(a.count, a.seed)
    os.makedirs(a.workdir, exist_ok=True)
    keys_file = os.path.join(a.workdir, "keys.txt")
    with open(keys_file, "wb") as f:
        f.write(b"".join(k.encode("utf-8") + b"\n" for k in keys))
    nbytes = [_utf8_len(k) for k in keys]
    print("s3_oracle: botocore %s, signer %s.%s; %d keys (seed %d): %d of exactly %d bytes, "
          "%d with 4-byte UTF-8, %d with control bytes, %d with '//', %d with leading/trailing space"
          % (botocore.__version__, query_auth.__module__, query_auth.__name__, len(keys), a.seed,
             sum(1 for n in nbytes if n == MAX_KEY_BYTES), MAX_KEY_BYTES,
             sum(1 for k in keys if any(ord(c) > 0xFFFF for c in k)),
             sum(1 for k in keys if any(c in CONTROL for c in k)),
             sum(1 for k in keys if "//" in k),
             sum(1 for k in keys if k[0] == " " or k[-1] == " ")))

    passed = failed = order_only_total = 0
    for cfg in CONFIGS:
        expected = botocore_urls(cfg, keys)
        records, err = presign_urls(a.presign, cfg, keys_file, a.workdir)
        if err:
            print("  %-34s FAIL (all %d keys): %s" % (cfg["name"], len(keys), err))
            failed += len(keys)
            continue
        if len(records) != len(keys):
            print("  %-34s FAIL: %d records for %d keys" % (cfg["name"], len(records), len(keys)))
        kinds = {}
        shown = 0
        cfg_pass = cfg_fail = 0
        for i, key in enumerate(keys):
            rec = records[i] if i < len(records) else {}
            got = rec.get("url")
            if rec.get("key") != key:
                kind = "key-field/order"
            elif got is None:
                kind = "no-url:" + str(rec.get("error"))
            else:
                kind = classify(expected[i], got)
            ok = kind == "equal"
            if a.signer == "crt" and kind == "param-order-only":
                ok = True  # see the module docstring: the CRT orders two params differently
                order_only_total += 1
            if ok:
                cfg_pass += 1
                continue
            cfg_fail += 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if shown < a.show:
                shown += 1
                print("    MISMATCH [%s] %s key=%r (%d bytes)\n      botocore: %s\n      presign:  %s"
                      % (cfg["name"], kind, key[:120] + ("..." if len(key) > 120 else ""),
                         nbytes[i], expected[i][:600], (got or json.dumps(rec))[:600]))
        extra = len(records) - len(keys)
        if extra > 0:
            cfg_fail += extra
            kinds["extra-records"] = extra
        passed += cfg_pass
        failed += cfg_fail
        print("  %-34s %d passed, %d failed%s" % (cfg["name"], cfg_pass, cfg_fail,
              ("  " + json.dumps(kinds)) if kinds else ""))
    if a.signer == "crt":
        print("s3_oracle: CRT param order differs from presign's in %d URLs (all else equal; "
              "aws-c-auth puts X-Amz-SignedHeaders before X-Amz-Expires, botocore's Python "
              "signer and presign do not)" % order_only_total)
    print("s3_oracle (%s signer): %d configurations x %d keys" % (a.signer, len(CONFIGS), len(keys)))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
