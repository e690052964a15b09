#!/usr/bin/python3
"""Randomised Azure *user delegation* SAS oracle: presign's batch signer against Debian's SDK.

Signs the seeded hostile blob names of azure_oracle.py (fixed edge cases plus random ones) with
presign's AzureSasSigner (through tests/support/azure_udk_probe, the hot path) and, in this one
process, with azure-storage-blob 12.15.0b1's `generate_blob_sas(user_delegation_key=...)`, for
several configurations, and compares every URL byte for byte with what
`BlobClient(endpoint, container, name, snapshot=..., credential=token).url` prints (for sr=bv
`versionid=T&` is inserted after the '?', as presign writes it).

The SDK writes the 24-field user delegation layout of sv 2020-12-06 ... 2025-05-05 whatever sv it
is given; so configurations use its own sv (2021-12-02) or one patched in from that range. Names
with '\\' are given to the SDK with '\\' replaced by '/' (the service reads '\\' as '/'; see
azure_oracle.py).

usage: azure_udk_oracle.py --probe BIN [--count N] [--seed S]
Prints "N passed, M failed" last; exits 0 only if M == 0 and N > 0.
"""
import argparse
import datetime as _dt
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import azure.storage.blob._shared_access_signature as sasmod
    from azure.storage.blob import BlobClient, UserDelegationKey
    from azure_oracle import generate_names
except ImportError as e:  # a missing prerequisite is a failure, never a skip
    print("azure_udk_oracle: FAIL: %s (install python3-azure-storage, run with /usr/bin/python3)" % e,
          file=sys.stderr)
    sys.exit(2)

ACCOUNT = "devstoreaccount1"
# A made-up user delegation key (not a secret) and made-up GUIDs.
KEY = dict(skoid="11111111-2222-3333-4444-555555555555", sktid="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
           skt="2024-01-01T00:00:00Z", ske="2024-01-08T00:00:00Z", sks="b", skv="2021-12-02",
           value="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
UTC = _dt.timezone.utc
CONFIGS = [
    dict(name="sdk-sv", sv="2021-12-02", start="2024-01-01T00:00:00Z", expiry="2024-01-07T00:00:00Z"),
    dict(name="azurite-endpoint-sv-2025-05-05", sv="2025-05-05", endpoint="http://127.0.0.1:10000/devstoreaccount1",
         expiry="2024-01-02T00:00:00Z", permissions="rw", saoid="99999999-8888-7777-6666-555555555555",
         scid="c0ffee00-0000-4000-8000-000000000001"),
    dict(name="overrides-ip-https", sv="2021-12-02", expiry="2024-01-02T00:00:00Z", ip="10.0.0.1-10.0.0.9",
         protocol="https", rscc="no-cache", rscd="attachment; filename=\"r\u00e9sum\u00e9 ~!*'() +%20.txt\"",
         rsce="gzip", rscl="en-US", rsct="text/plain; charset=utf-8"),
    dict(name="snapshot", sv="2021-12-02", expiry="2024-01-02T00:00:00Z", snapshot="2024-01-02T03:04:05.0000000Z"),
    dict(name="version-id", sv="2021-12-02", expiry="2024-01-02T00:00:00Z", version_id="2024-01-02T03:04:05.1234567Z"),
]


def ts(s):
    return _dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def sdk_urls(cfg, names):
    sasmod.X_MS_VERSION = cfg["sv"]
    k = UserDelegationKey()
    k.signed_oid, k.signed_tid = KEY["skoid"], KEY["sktid"]
    k.signed_start, k.signed_expiry = KEY["skt"], KEY["ske"]
    k.signed_service, k.signed_version, k.value = KEY["sks"], KEY["skv"], KEY["value"]
    endpoint = cfg.get("endpoint") or "https://%s.blob.core.windows.net" % ACCOUNT
    kw = dict(user_delegation_key=k, permission=cfg.get("permissions", "r"), expiry=ts(cfg["expiry"]))
    if cfg.get("start"):
        kw["start"] = ts(cfg["start"])
    for ours, theirs in (("ip", "ip"), ("protocol", "protocol"), ("rscc", "cache_control"),
                         ("rscd", "content_disposition"), ("rsce", "content_encoding"),
                         ("rscl", "content_language"), ("rsct", "content_type"), ("snapshot", "snapshot"),
                         ("version_id", "version_id"), ("saoid", "preauthorized_agent_object_id"),
                         ("scid", "correlation_id")):
        if cfg.get(ours):
            kw[theirs] = cfg[ours]
    out = []
    for n in names:
        token = sasmod.generate_blob_sas(ACCOUNT, "test-container", n.replace("\\", "/"), **kw)
        url = BlobClient(endpoint, "test-container", n, snapshot=cfg.get("snapshot"), credential=token).url
        if cfg.get("version_id"):
            url = url.replace("?", "?versionid=%s&" % cfg["version_id"], 1)
        out.append(url)
    return out


def probe_urls(probe, cfg, names):
    args = [probe, "account=" + ACCOUNT, "container=test-container"]
    args += ["%s=%s" % (k, v) for k, v in KEY.items()]
    args += ["%s=%s" % (k, v) for k, v in cfg.items() if k != "name"]
    stdin = "".join(n.encode("utf-8").hex() + "\n" for n in names)
    r = subprocess.run(args, input=stdin, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print("azure_udk_oracle: FAIL: probe exited %d: %s" % (r.returncode, r.stderr.strip()), file=sys.stderr)
        sys.exit(1)
    return r.stdout.split("\n")[:len(names)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261205)
    a = ap.parse_args()
    names = generate_names(a.count, a.seed)
    passed = failed = 0
    for cfg in CONFIGS:
        want = sdk_urls(cfg, names)
        got = probe_urls(a.probe, cfg, names)
        bad = 0
        for n, w, g in zip(names, want, got):
            if w == g:
                passed += 1
                continue
            failed += 1
            bad += 1
            if bad <= 3:
                print("DIFF [%s] %r\n  sdk     %s\n  presign %s" % (cfg["name"], n, w, g))
        print("%-32s %d names, %d differ" % (cfg["name"], len(names), bad))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
