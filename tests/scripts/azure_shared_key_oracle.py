#!/usr/bin/python3
"""Shared Key oracle: the Azure SDK for Python's own signing code path.

usage: /usr/bin/python3 azure_shared_key_oracle.py ACCOUNT KEY_BASE64 CASES.json

CASES.json is a JSON array of {"method": "GET", "url": "http://…?…", "headers": [[name, value],
…]}: each request exactly as presign sends it (URL already percent-encoded). For each case the
request goes through azure.storage.blob._shared.authentication.SharedKeyCredentialPolicy
(Debian's python3-azure-storage 12.15.0b1, azure-core 1.26.3) — the policy the SDK puts in
every shared-key pipeline — and two lines are printed: the string to sign it computed, as hex
(it holds newlines), and the Authorization header it set.

Used by tests/signers/azure_shared_key_test.cpp. Nothing here is reimplemented: the string to
sign is captured from the policy's own `_add_authorization_header` call.
"""
import json
import sys

from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.pipeline.transport import HttpRequest
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy


def main():
    account, key, cases_path = sys.argv[1:4]
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    policy = SharedKeyCredentialPolicy(account, key)
    captured = {}
    original = policy._add_authorization_header

    def capture(request, string_to_sign):
        captured["sts"] = string_to_sign
        original(request, string_to_sign)

    policy._add_authorization_header = capture
    out = []
    for case in cases:
        req = HttpRequest(case["method"], case["url"])
        for name, value in case["headers"]:
            req.headers[name] = value
        captured.clear()
        policy.on_request(PipelineRequest(req, PipelineContext(None)))
        out.append(captured["sts"].encode("utf-8").hex())
        out.append(req.headers["Authorization"])
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
