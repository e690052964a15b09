#!/usr/bin/python3
"""Randomised Azure SAS oracle: `presign sign az://...` against Debian's azure-storage-blob.

Generates a deterministic (seeded) set of hostile blob names, signs all of them with
`presign sign az://ACCOUNT/CONTAINER --format ndjson` and, in this one process, with the
Python SDK's `generate_blob_sas` (azure-storage-blob 12.15.0b1, Debian python3-azure-storage),
for several configurations, and compares every URL byte for byte with what the SDK's
`BlobClient(endpoint, container, name, snapshot=..., credential=token).url` prints (for
sr=bv the SDK sends the version id as a request parameter, so `versionid=T&` is inserted
after the '?' as presign writes it). A URL that differs is classified (path, sig, param...),
and the URL-decoded path must give the name back.

The SDK's sv is the module constant X_MS_VERSION (2021-12-02 in 12.15.0b1); for presign's
default sv it is patched, which changes only field 8 of the string to sign and `sv=`.

One deliberate difference: the service reads '\\' in a blob name as '/' and checks the SAS
against that name (Azurite: "Azure Storage Server will replace "\\" with "/" in the blob
names"; a backslash name signed as the SDK signs it gets 403 there), so presign signs
names with '\\' → '/'. For such names the SDK is asked for the token of the replaced name,
and the URL path still comes from the original name.

usage: azure_oracle.py --presign BIN --workdir DIR [--count N] [--seed S]
Prints "N passed, M failed" last; exits 0 only if M == 0 and N > 0.
"""
import argparse
import datetime as _dt
import ipaddress
import json
import os
import random
import subprocess
import sys
import unicodedata
from urllib.parse import quote, unquote

try:
    import azure.storage.blob
    import azure.storage.blob._shared_access_signature as sasmod
    from azure.storage.blob import BlobClient
    from azure.storage.blob._version import VERSION as SDK_VERSION
except ImportError as e:  # a missing prerequisite is a failure, never a skip
    print("azure_oracle: FAIL: python module azure.storage.blob is missing (%s); install "
          "python3-azure-storage and run with /usr/bin/python3" % e, file=sys.stderr)
    sys.exit(2)

ACCOUNT = "devstoreaccount1"
# Azurite's published well-known key (not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
PRESIGN_DEFAULT_SV = "2026-06-06"  # azure::kDefaultSasVersion; checked through the URLs
MAX_CHARS = 1024
UTC = _dt.timezone.utc

# ---------------------------------------------------------------------------------------
# Name generation (deterministic for a given seed)

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SPECIALS = "+%~!'()*=&?#@:;,$"        # the brief's + % ~ ! ' ( ) * and URL delimiters
MORE = "[]{}^|\\\"<>`"
CONTROL = [chr(c) for c in range(0x01, 0x20) if c != 0x0A] + ["\x7f"]
UNI2 = ["\u00e9", "\u00df", "\u00f1", "\u0416", "\u03a9", "\u05d0", "\u0627", "\u0085",
        "\u00a0", "\u00ad", "\u0301", "\u07ff", "\u0080", "\u0081"]
UNI3 = ["\u65e5", "\u672c", "\u20ac", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uac00",
        "\u0800", "\uffff", "\ufffe", "\u200b", "\u3000", "\ud7ff", "\ue000", "\u0915"]
UNI4 = ["\U0001F600", "\U00010000", "\U0010FFFF", "\U0001F1FA\U0001F1F8", "\U00020000",
        "\U0001F469\u200d\U0001F4BB", "\U0001D11E", "\U000E0001"]
NORM_WORDS = ["caf\u00e9", "r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "\ud55c\uad6d\uc5b4",
              "na\u00efve", "\u1e9b\u0323", "\u2126", "\u212b"]
SEGMENTS = ["/", "//", "/./", "/../", "./", "../", "/.", "/..", ".", "..", "///"]


def _token(rng):
    r = rng.random()
    if r < 0.22:
        return "".join(rng.choice(ALNUM) for _ in range(rng.randint(1, 12)))
    if r < 0.38:
        return rng.choice(SPECIALS) * rng.choice([1, 1, 1, 2])
    if r < 0.43:
        return rng.choice(MORE)
    if r < 0.50:
        return " " * rng.choice([1, 1, 2, 3])
    if r < 0.60:
        return rng.choice(SEGMENTS)
    if r < 0.64:
        return rng.choice(CONTROL)
    if r < 0.72:
        return rng.choice(UNI2)
    if r < 0.80:
        return rng.choice(UNI3)
    if r < 0.87:
        return rng.choice(UNI4)
    if r < 0.94:
        return unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKC", "NFKD"]), rng.choice(NORM_WORDS))
    return "%" + rng.choice("0123456789ABCDEFabcdefGz") + rng.choice("0123456789ABCDEFabcdef%")


def _fit_bytes(rng, s, target):
    """Trims or pads s to exactly `target` UTF-8 bytes (whole characters only)."""
    b = s.encode("utf-8")
    if len(b) > target:
        s = b[:target].decode("utf-8", errors="ignore")
    while len(s.encode("utf-8")) < target:
        room = target - len(s.encode("utf-8"))
        pool = [c for c in (rng.choice(UNI4), rng.choice(UNI3), rng.choice(UNI2),
                            rng.choice(ALNUM + SPECIALS + " /.")) if len(c.encode("utf-8")) <= room]
        s += rng.choice(pool)
    return s


def fixed_names():
    """Edge cases that never depend on the seed."""
    names = [".", "..", "/", "//", " ", "  ", " lead", "trail ", "\t", "\r", "/lead", "a//b",
             "a/./b", "a/../b", "./a", "../a", "a/.", "a/..", "a/", "/./", "/../",
             "a b/c d", "~", "~user", "a+b", "a%20b", "100%", "%", "%2F", "%zz", "a=b&c=d",
             "q?x=1#frag", "@host:80", "!'()*", "a!b'(c)*~.txt", "\\", "\"q\"", "<t>", "`",
             "{}[]|^", "\x01ctrl\x1f", "cr\rx", "del\x7f", "nel\u0085", "ls\u2028ps\u2029",
             "bom\ufeff", "\ufffd", "\U0010FFFF", "\U0001F600", "\u65e5\u672c/\U0001F600.txt",
             "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"), "sp ace/\u00e9+plus.txt",
             "100%=&?#.txt", "folder/", "dir/hello.txt", "$root", "snapshot=x", "sig=abc&sv=1"]
    names += CONTROL
    # 1,024-byte names of 1-, 2-, 3- and 4-byte characters, and 1,024-character names that
    # are longer than 1,024 bytes (Azure's limit counts characters).
    for ch in ("a", "/", " ", ".", "%", "\u00e9", "\u20ac", "\U0001F600"):
        names.append(_fit_bytes(random.Random(7), ch * (1024 // len(ch.encode())), 1024))
    for ch in ("\u00e9", "\u20ac", "\U0001F600", "a/\u65e5 "):
        names.append((ch * MAX_CHARS)[:MAX_CHARS])
    return names


def generate_names(count, seed):
    rng = random.Random(seed)
    names = fixed_names()
    while len(names) < count:
        r = rng.random()
        n = rng.randint(1, 8) if r < 0.55 else rng.randint(8, 60) if r < 0.85 else rng.randint(60, 400)
        k = "".join(_token(rng) for _ in range(n))
        if rng.random() < 0.08:
            k = rng.choice(["/", "//", " ", "./", "../"]) + k
        if rng.random() < 0.08:
            k += rng.choice([" ", "/", ".", "/.", "/..", "\r", "\t"])
        if rng.random() < 0.04:
            k = _fit_bytes(rng, k, 1024)
        k = k.replace("\n", "\r")[:MAX_CHARS]
        if k:
            names.append(k)
    for k in names:  # what the key-file format and Azure allow
        assert k and "\n" not in k and len(k) <= MAX_CHARS, repr(k)
        k.encode("utf-8")
    return names


# ---------------------------------------------------------------------------------------
# Configurations. `ts` + `expires` = the SDK's expiry; `start` is the SDK's start.

HOSTILE_DISPOSITION = "attachment; filename=\"r\u00e9sum\u00e9 ~!*'() +%20.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
CONFIGS = [
    dict(name="sdk-sv-2021-12-02", container="test-container", endpoint=None, sv="2021-12-02",
         ts="2024-01-01T00:00:00Z", expires=3600, start="2024-01-01T00:00:00Z", creds="key"),
    dict(name="default-sv-azurite-connstr", container="test-container",
         endpoint="http://127.0.0.1:10000/devstoreaccount1", sv=None, ts="2025-06-30T12:34:56Z",
         expires=604800, creds="connstr"),
    dict(name="cidr-https-only-racwd", container="my-data-2024", endpoint=None, sv=None,
         ts="2024-02-29T23:59:59Z", expires=86400 * 365, start="2024-02-29T00:00:00Z",
         ip="10.1.2.3/20", https_only=True, permissions="dwcar", creds="key"),
    dict(name="response-overrides", container="test-container",
         endpoint="http://127.0.0.1:10000/devstoreaccount1", sv="2021-12-02",
         ts="2024-03-10T01:02:03Z", expires=600, ip="168.1.5.60-168.1.5.70",
         rscc="no-cache, max-age=0", rscd=HOSTILE_DISPOSITION, rsce="gzip",
         rscl="en-US,fr;q=0.5", rsct="text/plain; charset=utf-8 +~%", creds="connstr"),
    dict(name="snapshot-sr-bs", container="test-container", endpoint=None, sv=None,
         ts="2024-01-01T00:00:00Z", expires=900, snapshot="2024-01-02T03:04:05.0000000Z",
         ip="127.0.0.1", creds="key"),
    dict(name="version-sr-bv", container="test-container", endpoint=None, sv="2021-12-02",
         ts="2024-01-01T00:00:00Z", expires=1, version_id="2024-01-02T03:04:05.1234567Z",
         creds="key"),
    dict(name="root-container", container="$root", endpoint="https://acct-proxy.example:8443/sub/path/",
         sv="2023-11-03", ts="2030-12-31T23:59:59Z", expires=7200, permissions="r", creds="key"),
]


def parse_ts(s):
    return _dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def sdk_ip(ip):
    """The sip the SDK must be given for a presign --ip: CIDR blocks become the range they
    cover, computed here with the standard library (not with presign's rules)."""
    if ip is None or "/" not in ip:
        return ip
    net = ipaddress.ip_network(ip, strict=False)
    if net.num_addresses == 1:
        return str(net.network_address)
    return "%s-%s" % (net.network_address, net.broadcast_address)


def sdk_permissions(p):
    order = "racwdxytmei"
    return "".join(c for c in order if c in (p or "r"))


def sdk_urls(cfg, names):
    sasmod.X_MS_VERSION = cfg["sv"] or PRESIGN_DEFAULT_SV
    endpoint = (cfg["endpoint"] or "https://%s.blob.core.windows.net" % ACCOUNT).rstrip("/")
    kw = dict(account_key=KEY, permission=sdk_permissions(cfg.get("permissions")),
              expiry=parse_ts(cfg["ts"]) + _dt.timedelta(seconds=cfg["expires"]))
    if cfg.get("start"):
        kw["start"] = parse_ts(cfg["start"])
    if cfg.get("ip"):
        kw["ip"] = sdk_ip(cfg["ip"])
    if cfg.get("https_only"):
        kw["protocol"] = "https"
    for ours, theirs in (("rscc", "cache_control"), ("rscd", "content_disposition"),
                         ("rsce", "content_encoding"), ("rscl", "content_language"),
                         ("rsct", "content_type"), ("snapshot", "snapshot"),
                         ("version_id", "version_id")):
        if cfg.get(ours):
            kw[theirs] = cfg[ours]
    out = []
    for n in names:
        token = sasmod.generate_blob_sas(ACCOUNT, cfg["container"], n.replace("\\", "/"), **kw)
        url = BlobClient(endpoint, cfg["container"], n, snapshot=cfg.get("snapshot"),
                         credential=token).url
        if cfg.get("version_id"):
            url = url.replace("?", "?versionid=%s&" % cfg["version_id"], 1)
        out.append(url)
    return out


def presign_records(binary, cfg, names_file, workdir):
    out_file = os.path.join(workdir, "presign-%s.ndjson" % cfg["name"])
    cmd = [binary, "sign", "az://%s/%s" % (ACCOUNT, cfg["container"]), "--keys-from", names_file,
           "--signing-time", cfg["ts"], "--expires", str(cfg["expires"]), "--format", "ndjson",
           "--output", out_file, "--threads", "2", "--quiet"]
    for opt, flag in (("endpoint", "--endpoint"), ("sv", "--sas-version"), ("start", "--start"),
                      ("ip", "--ip"), ("permissions", "--permissions"),
                      ("rscc", "--response-cache-control"), ("rscd", "--response-content-disposition"),
                      ("rsce", "--response-content-encoding"), ("rscl", "--response-content-language"),
                      ("rsct", "--response-content-type"), ("snapshot", "--snapshot"),
                      ("version_id", "--version-id")):
        if cfg.get(opt):
            cmd += [flag, cfg[opt]]
    if cfg.get("https_only"):
        cmd.append("--https-only")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
    if cfg["creds"] == "connstr":
        env["AZURE_STORAGE_CONNECTION_STRING"] = (
            "DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;"
            % (ACCOUNT, KEY, cfg["endpoint"]))
        cmd = [c for c in cmd]  # the endpoint also comes from the connection string
        if "--endpoint" in cmd:
            i = cmd.index("--endpoint")
            del cmd[i:i + 2]
    else:
        env["AZURE_STORAGE_ACCOUNT"] = ACCOUNT
        env["AZURE_STORAGE_KEY"] = KEY
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


def classify(expected, actual, name, container):
    if expected == actual:
        # The equality covers the path; check it decodes to the name all the same.
        path = actual.split("?", 1)[0].split("/" + quote(container) + "/", 1)[1]
        return "equal" if unquote(path, errors="strict") == name else "path-does-not-decode"
    eb, _, eq = expected.partition("?")
    ab, _, aq = actual.partition("?")
    if eb != ab:
        return "path"
    ep, ap = eq.split("&"), aq.split("&")
    if sorted(ep) == sorted(ap):
        return "param-order"
    if [p.split("=")[0] for p in ep] != [p.split("=")[0] for p in ap]:
        return "param-set"
    return "value:" + ",".join(sorted({p.split("=")[0] for p in set(ep) ^ set(ap)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presign", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20241123)
    ap.add_argument("--show", type=int, default=6, help="mismatches shown per configuration")
    a = ap.parse_args()
    if not os.access(a.presign, os.X_OK):
        print("azure_oracle: FAIL: presign binary %r is not executable" % a.presign, file=sys.stderr)
        return 2

    names = generate_names(a.count, a.seed)
    os.makedirs(a.workdir, exist_ok=True)
    names_file = os.path.join(a.workdir, "names.txt")
    with open(names_file, "wb") as f:
        f.write(b"".join(n.encode("utf-8") + b"\n" for n in names))
    nbytes = [len(n.encode("utf-8")) for n in names]
    print("azure_oracle: azure-storage-blob %s (%s); %d names (seed %d): %d of 1024 bytes, %d over "
          "1024 bytes, %d with 4-byte UTF-8, %d with control characters, %d with '//', %d with a "
          "'.' or '..' segment, %d with a backslash" % (
              SDK_VERSION, os.path.dirname(azure.storage.blob.__file__), len(names), a.seed,
              sum(1 for n in nbytes if n == 1024), sum(1 for n in nbytes if n > 1024),
              sum(1 for n in names if any(ord(c) > 0xFFFF for c in n)),
              sum(1 for n in names if any(c in CONTROL for c in n)),
              sum(1 for n in names if "//" in n),
              sum(1 for n in names if any(s in (".", "..") for s in n.split("/"))),
              sum(1 for n in names if "\\" in n)))

    passed = failed = 0
    for cfg in CONFIGS:
        expected = sdk_urls(cfg, names)
        records, err = presign_records(a.presign, cfg, names_file, a.workdir)
        if err:
            print("  %-28s FAIL (all %d names): %s" % (cfg["name"], len(names), err))
            failed += len(names)
            continue
        kinds, shown, cp, cf = {}, 0, 0, 0
        for i, name in enumerate(names):
            rec = records[i] if i < len(records) else {}
            got = rec.get("url")
            if rec.get("key") != name:
                kind = "key-field/order"
            elif got is None:
                kind = "no-url:" + str(rec.get("error"))
            else:
                kind = classify(expected[i], got, name, cfg["container"])
            if kind == "equal":
                cp += 1
                continue
            cf += 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if shown < a.show:
                shown += 1
                print("    MISMATCH [%s] %s name=%r (%d bytes)\n      sdk:     %s\n      presign: %s"
                      % (cfg["name"], kind, name[:120], nbytes[i], expected[i][:600],
                         (got or json.dumps(rec))[:600]))
        if len(records) > len(names):
            cf += len(records) - len(names)
            kinds["extra-records"] = len(records) - len(names)
        passed += cp
        failed += cf
        print("  %-28s %d passed, %d failed%s" % (cfg["name"], cp, cf,
              ("  " + json.dumps(kinds)) if kinds else ""))
    print("azure_oracle: %d configurations x %d names" % (len(CONFIGS), len(names)))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
