#!/usr/bin/python3
"""A fake Entra ID (Azure AD) token endpoint and managed identity endpoints on 127.0.0.1.

Usage: fake_entra_server.py [--port N] [--secret S] [--assertion A] [--identity-header H]
                            [--lifetime SECONDS] [--garbage] [--log FILE]
Prints "PORT <n>" once listening; stop it with SIGTERM.

  POST /<tenant>/oauth2/v2.0/token   client_credentials with client_secret == --secret, or
       client_assertion == --assertion with the jwt-bearer assertion type; scope must be
       https://storage.azure.com/.default. A wrong secret or assertion gets 401
       {"error":"invalid_client"}, as Entra answers (AADSTS7000215).
  GET  /metadata/identity/oauth2/token   IMDS: needs "Metadata: true" (400 otherwise).
  GET  /msi/token                        App Service: needs X-IDENTITY-HEADER == --identity-header.

Tokens are JWTs whose claims Azurite's OAuth mode checks (aud https://storage.azure.com, iss
https://sts.windows.net/<tenant>/, iat, nbf, exp) plus oid and tid, which Azurite puts into
the user delegation key; the signature is a placeholder (Azurite does not verify it).
With --garbage every token answer is "200 <html>not json</html>". --log appends one line per
request: "METHOD PATH name,name,..." (the form's field names, never its values).
"""
import argparse
import base64
import http.server
import json
import sys
import time
import urllib.parse

ARGS = None
OID = "11111111-2222-3333-4444-555555555555"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(tenant, client):
    now = int(time.time())
    claims = {"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/%s/" % tenant,
              "iat": now - 60, "nbf": now - 60, "exp": now + ARGS.lifetime, "oid": OID,
              "tid": tenant, "appid": client, "sub": OID}
    head = {"typ": "JWT", "alg": "RS256", "kid": "fake"}
    return "%s.%s.%s" % (b64url(json.dumps(head).encode()), b64url(json.dumps(claims).encode()),
                         b64url(b"not-a-real-signature"))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, names):
        if ARGS.log:
            with open(ARGS.log, "a") as f:
                f.write("%s %s %s\n" % (self.command, urllib.parse.urlsplit(self.path).path, ",".join(names)))

    def token_answer(self, tenant, client, managed):
        if ARGS.garbage:
            return self.reply(200, "<html>not json</html>", "text/html")
        tok = jwt(tenant, client)
        if managed:
            body = {"access_token": tok, "expires_in": str(ARGS.lifetime),
                    "expires_on": str(int(time.time()) + ARGS.lifetime), "resource": "https://storage.azure.com",
                    "token_type": "Bearer"}
        else:
            body = {"token_type": "Bearer", "expires_in": ARGS.lifetime, "ext_expires_in": ARGS.lifetime,
                    "access_token": tok}
        self.reply(200, json.dumps(body))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(), keep_blank_values=True)
        self.record(sorted(form))
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        if len(parts) != 5 or parts[2:] != ["oauth2", "v2.0", "token"]:
            return self.reply(404, '{"error":"not_found"}')
        f = {k: v[0] for k, v in form.items()}
        if f.get("grant_type") != "client_credentials" or f.get("scope") != "https://storage.azure.com/.default" \
                or not f.get("client_id"):
            return self.reply(400, '{"error":"invalid_request"}')
        if "client_secret" in f:
            ok = ARGS.secret is not None and f["client_secret"] == ARGS.secret
        else:
            ok = (ARGS.assertion is not None and f.get("client_assertion") == ARGS.assertion and
                  f.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        if not ok:
            return self.reply(401, json.dumps({"error": "invalid_client", "error_description":
                                               "AADSTS7000215: Invalid client secret provided."}))
        self.token_answer(parts[1], f["client_id"], managed=False)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        self.record(sorted(q))
        if q.get("resource") != "https://storage.azure.com":
            return self.reply(400, '{"error":"invalid_resource"}')
        if u.path == "/metadata/identity/oauth2/token":
            if self.headers.get("Metadata") != "true":
                return self.reply(400, '{"error":"invalid_request"}')
            return self.token_answer("tenant-imds", q.get("client_id", "system"), managed=True)
        if u.path == "/msi/token":
            if ARGS.identity_header is None or self.headers.get("X-IDENTITY-HEADER") != ARGS.identity_header:
                return self.reply(401, '{"error":"unauthorized"}')
            return self.token_answer("tenant-appservice", q.get("client_id", "system"), managed=True)
        self.reply(404, '{"error":"not_found"}')


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret")
    ap.add_argument("--assertion")
    ap.add_argument("--identity-header")
    ap.add_argument("--lifetime", type=int, default=3599)
    ap.add_argument("--garbage", action="store_true")
    ap.add_argument("--log")
    ARGS = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
