#!/usr/bin/python3
"""A fake of the AWS credential endpoints on 127.0.0.1, for auth_tests and the botocore oracle.

Usage: fake_aws_creds_server.py [--port N]   (prints "PORT <n>" once listening; stop it with
SIGTERM). Every answer is a pure function of the request, so presign and botocore sent to the
same server with the same configuration must end with the same keys.

  POST <any path not below>   STS (Query protocol, form body):
      AssumeRole                  requires a SigV4 Authorization header (service "sts") that
                                  verifies with the secret of its access key: a key of
                                  STATIC_KEYS or one this server issued. Role ARNs containing
                                  "denied" get 403 AccessDenied; with --require-external-id
                                  ID, so does a call whose ExternalId is not ID.
      AssumeRoleWithWebIdentity   unsigned; the WebIdentityToken must not be empty; role ARNs
                                  containing "denied" get 400 InvalidIdentityToken.
  GET  /federation/credentials?account_id=&role_name=   SSO portal GetRoleCredentials; needs
      x-amz-sso_bearer_token (401 without; "expired-token" gets 401 too).
  PUT  <prefix>/latest/api/token          IMDSv2 token (needs the TTL header, else 400).
  GET  <prefix>/latest/meta-data/iam/security-credentials/[ROLE]   needs the token, else 401.
      Prefix "/imds-v1only": the token PUT answers 403 (so the GETs go without one and get 401).
  GET  /container...                      container credentials; needs
      "Authorization: container-auth-token" (401 otherwise).
  GET  /BUCKET?list-type=2...   S3 ListObjectsV2 of --objects keys "obj-00000"... (path
      style, any bucket name), each request's SigV4 header signature (service s3) verified
      against a key this server issued: 403 InvalidAccessKeyId, SignatureDoesNotMatch, or
      ExpiredToken once the key's real end has passed. Each page waits --page-delay seconds.
  GET  /BUCKET/KEY?X-Amz-Signature=...   a presigned GET (query SigV4, service s3, UNSIGNED-
      PAYLOAD): answers 200 "object KEY" when the signature verifies with the secret of a key
      this server issued and X-Amz-Security-Token is that key's token; 403 otherwise (as the
      listing does), or once X-Amz-Date + X-Amz-Expires has passed.
  GET  /stats                   JSON: issued (keys handed out), listed_with (the distinct
      access keys of accepted list requests, in order), refused (list and presigned GET
      requests refused), presigned_ok (presigned GETs answered), assumed (one record per
      AssumeRole answered: role, external_id — "" when the call had none — and key_id, the
      access key issued).

Options for the refresh tests (off by default, so the answers stay pure functions of the
request for the botocore oracle):
  --rotate            each issued key gets a serial: a new key id on every call
  --life S            issued credentials really end S seconds after issue (whole seconds)
  --announce-later S  the Expiration announced is the real end + S seconds (presign's
                      refresh windows are botocore's 15 and 10 minutes: S=900 puts the
                      advisory refresh at the real end, S=600 the mandatory one)
  --sts-fail-after N  after N successful STS answers, STS answers --sts-fail-mode: "500"
                      (InternalFailure) or "garbage" (200 with a body that is not XML)
  --objects N, --page-delay S   the listing above (default 0 objects, no delay)
  --require-external-id ID      AssumeRole needs ExternalId=ID (default: none needed)
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time
import urllib.parse

# Keys the test configurations hold (access key id -> secret).
STATIC_KEYS = {
    'AKIDSOURCE': 'source-secret/+=',
    'AKIDENV': 'env-secret',
    'AKIDFILE': 'file-secret',
}
ISSUED = {}  # access key id -> secret, for keys this server handed out (role chains)
TOKENS = {}  # access key id -> session token (refresh tests)
REAL_END = {}  # access key id -> epoch seconds when the key stops working (refresh tests)
LOCK = threading.Lock()
OPTS = argparse.Namespace(rotate=False, life=None, announce_later=0, sts_fail_after=None,
                          sts_fail_mode='500', objects=0, page_delay=0.0,
                          require_external_id=None)
STATS = {'issued': 0, 'sts_ok': 0, 'listed_with': [], 'refused': 0, 'presigned_ok': 0,
         'assumed': []}
IMDS_TOKEN = 'imds-session-token-0123'
CONTAINER_AUTH = 'container-auth-token'


def derive(*parts):
    if OPTS.rotate:
        with LOCK:
            parts = parts + ('serial-%d' % STATS['issued'],)
    h = hashlib.sha256('|'.join(parts).encode()).hexdigest()
    key_id = 'ASIA' + h[:16].upper()
    secret = 'sec-' + h[16:48]
    token = 'tok-' + h[32:64] + '/+='
    with LOCK:
        ISSUED[key_id] = secret
        TOKENS[key_id] = token
        STATS['issued'] += 1
    return key_id, secret, token


def expiration(key_id, default_seconds):
    """The Expiration to announce for a key issued now: by default `default_seconds` from now;
    with --life, the key's real end (recorded) plus --announce-later."""
    if OPTS.life is None:
        return iso(now() + datetime.timedelta(seconds=default_seconds))
    end = int(time.time()) + OPTS.life
    with LOCK:
        REAL_END[key_id] = end
    return iso(datetime.datetime.fromtimestamp(end + OPTS.announce_later, datetime.timezone.utc))


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def canonical_query(raw):
    pairs = []
    for part in raw.split('&') if raw else []:
        name, _, value = part.partition('=')
        pairs.append((urllib.parse.quote(urllib.parse.unquote(name), safe='-_.~'),
                      urllib.parse.quote(urllib.parse.unquote(value), safe='-_.~')))
    return '&'.join('%s=%s' % p for p in sorted(pairs))


def sigv4_ok(handler, body, want_service='sts'):
    """Recomputes the SigV4 signature of the request (header form)."""
    auth = handler.headers.get('Authorization', '')
    if not auth.startswith('AWS4-HMAC-SHA256 '):
        return 'no SigV4 Authorization header'
    fields = dict(p.strip().split('=', 1) for p in auth[len('AWS4-HMAC-SHA256 '):].split(','))
    key_id, day, region, service, _ = fields['Credential'].split('/')
    with LOCK:
        secret = STATIC_KEYS.get(key_id) or ISSUED.get(key_id)
    if secret is None:
        return 'unknown access key'
    if service != want_service:
        return 'service is not ' + want_service
    signed = fields['SignedHeaders'].split(';')
    amz_date = handler.headers.get('X-Amz-Date', '')
    url = urllib.parse.urlsplit(handler.path)
    path = url.path or '/'
    canonical_headers = ''.join(
        '%s:%s\n' % (h, ' '.join(handler.headers.get(h, '').strip().split())) for h in signed)
    canonical = '\n'.join([
        handler.command, urllib.parse.quote(urllib.parse.unquote(path), safe='/~'),
        canonical_query(url.query), canonical_headers,
        fields['SignedHeaders'], hashlib.sha256(body).hexdigest()])
    scope = '/'.join([day, region, service, 'aws4_request'])
    sts = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    k = ('AWS4' + secret).encode()
    for part in (day, region, service, 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, fields['Signature']):
        return 'signature mismatch'
    if handler.headers.get('X-Amz-Security-Token') is None and key_id.startswith('ASIA'):
        return 'temporary key without X-Amz-Security-Token'
    return None


def presigned_ok(handler):
    """Verifies a presigned S3 URL (query SigV4): None when it verifies, else why not."""
    url = urllib.parse.urlsplit(handler.path)
    q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    one = {k: v[0] for k, v in q.items()}
    if one.get('X-Amz-Algorithm') != 'AWS4-HMAC-SHA256':
        return 'not AWS4-HMAC-SHA256'
    try:
        key_id, day, region, service, term = one['X-Amz-Credential'].split('/')
        amz_date, expires = one['X-Amz-Date'], int(one['X-Amz-Expires'])
        signed = one['X-Amz-SignedHeaders'].split(';')
    except (KeyError, ValueError):
        return 'a SigV4 query parameter is missing or malformed'
    with LOCK:
        secret, token = ISSUED.get(key_id), TOKENS.get(key_id)
    if secret is None:
        return 'unknown access key'
    if service != 's3' or term != 'aws4_request':
        return 'the credential scope is not s3'
    if one.get('X-Amz-Security-Token') != token:
        return 'the session token does not match'
    start = datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ').replace(
        tzinfo=datetime.timezone.utc)
    if now() > start + datetime.timedelta(seconds=expires):
        return 'the URL has expired'
    raw = [p for p in url.query.split('&') if not p.startswith('X-Amz-Signature=')]
    canonical_headers = ''.join(
        '%s:%s\n' % (h, ' '.join(handler.headers.get(h, '').strip().split())) for h in signed)
    canonical = '\n'.join([
        handler.command, urllib.parse.quote(urllib.parse.unquote(url.path), safe='/~'),
        canonical_query('&'.join(raw)), canonical_headers, ';'.join(signed), 'UNSIGNED-PAYLOAD'])
    scope = '/'.join([day, region, service, term])
    sts = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    k = ('AWS4' + secret).encode()
    for part in (day, region, service, term):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, one.get('X-Amz-Signature', '')):
        return 'signature mismatch'
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # quiet
        pass

    def send(self, status, body, ctype='application/json'):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def sts_error(self, status, code, message):
        self.send(status, '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                  '<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
                  '<RequestId>r-1</RequestId></ErrorResponse>' % (code, message), 'text/xml')

    def body(self):
        n = int(self.headers.get('Content-Length', '0'))
        return self.rfile.read(n)

    def do_PUT(self):
        self.body()
        path = urllib.parse.urlsplit(self.path).path
        if path.endswith('/latest/api/token'):
            if path.startswith('/imds-v1only'):
                return self.send(403, '', 'text/plain')
            if not self.headers.get('x-aws-ec2-metadata-token-ttl-seconds'):
                return self.send(400, '', 'text/plain')
            return self.send(200, IMDS_TOKEN, 'text/plain')
        self.send(404, '', 'text/plain')

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        path, q = u.path, urllib.parse.parse_qs(u.query)
        if 'X-Amz-Signature' in q:
            why = presigned_ok(self)
            if why:
                return self.s3_error(403, 'SignatureDoesNotMatch', why)
            with LOCK:
                STATS['presigned_ok'] += 1
            key = urllib.parse.unquote(path.lstrip('/').partition('/')[2])
            return self.send(200, 'object ' + key, 'text/plain')
        if path == '/federation/credentials':
            tok = self.headers.get('x-amz-sso_bearer_token')
            if not tok or tok == 'expired-token':
                return self.send(401, '{"message":"Session token not found or invalid"}')
            acct, role = q.get('account_id', [''])[0], q.get('role_name', [''])[0]
            k, s, t = derive('sso', acct, role, tok)
            exp = int((now() + datetime.timedelta(hours=1)).timestamp() * 1000)
            return self.send(200, json.dumps({'roleCredentials': {
                'accessKeyId': k, 'secretAccessKey': s, 'sessionToken': t, 'expiration': exp}}))
        if '/latest/meta-data/iam/security-credentials/' in path:
            if self.headers.get('x-aws-ec2-metadata-token') != IMDS_TOKEN:
                return self.send(401, '', 'text/plain')
            role = path.split('/latest/meta-data/iam/security-credentials/', 1)[1]
            if not role:
                return self.send(200, 'test-instance-role\n', 'text/plain')
            k, s, t = derive('imds', role)
            return self.send(200, json.dumps({
                'Code': 'Success', 'LastUpdated': iso(now()), 'Type': 'AWS-HMAC',
                'AccessKeyId': k, 'SecretAccessKey': s, 'Token': t,
                'Expiration': iso(now() + datetime.timedelta(hours=6))}))
        if path == '/stats':
            with LOCK:
                return self.send(200, json.dumps(STATS))
        if q.get('list-type') == ['2']:
            return self.list_objects(path.strip('/'), q)
        if path.startswith('/container'):
            if self.headers.get('Authorization') != CONTAINER_AUTH:
                return self.send(401, '{"message":"bad token"}')
            k, s, t = derive('container', path)
            return self.send(200, json.dumps({
                'AccessKeyId': k, 'SecretAccessKey': s, 'Token': t,
                'Expiration': iso(now() + datetime.timedelta(hours=6)), 'RoleArn': 'arn:x'}))
        self.send(404, '{}')

    def s3_error(self, status, code, message):
        with LOCK:
            STATS['refused'] += 1
        self.send(status, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
                  '<Message>%s</Message><RequestId>r-3</RequestId></Error>' % (code, message),
                  'application/xml')

    def list_objects(self, bucket, q):
        """ListObjectsV2 (see the file comment): the continuation token is the next index."""
        why = sigv4_ok(self, b'', 's3')
        key_id = self.headers.get('Authorization', '').split('Credential=')[-1].split('/')[0]
        if why == 'unknown access key':
            return self.s3_error(403, 'InvalidAccessKeyId', 'unknown key')
        if why:
            return self.s3_error(403, 'SignatureDoesNotMatch', why)
        with LOCK:
            token, end = TOKENS.get(key_id), REAL_END.get(key_id)
        if token is not None and self.headers.get('X-Amz-Security-Token') != token:
            return self.s3_error(403, 'InvalidToken', 'the session token does not match')
        if end is not None and time.time() >= end:
            return self.s3_error(403, 'ExpiredToken', 'The provided token has expired.')
        time.sleep(OPTS.page_delay)
        with LOCK:
            if not STATS['listed_with'] or STATS['listed_with'][-1] != key_id:
                STATS['listed_with'].append(key_id)
        first = int(q.get('continuation-token', ['0'])[0])
        size = int(q.get('max-keys', ['1000'])[0])
        keys = ['obj-%05d' % i for i in range(first, min(first + size, OPTS.objects))]
        more = first + size < OPTS.objects
        body = ['<?xml version="1.0" encoding="UTF-8"?>',
                '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                '<Name>%s</Name><Prefix></Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>'
                % (bucket, len(keys), size), '<EncodingType>url</EncodingType>',
                '<IsTruncated>%s</IsTruncated>' % ('true' if more else 'false')]
        if more:
            body.append('<NextContinuationToken>%d</NextContinuationToken>' % (first + size))
        for k in keys:
            body.append('<Contents><Key>%s</Key><LastModified>2024-01-01T00:00:00.000Z'
                        '</LastModified><ETag>"e"</ETag><Size>1</Size>'
                        '<StorageClass>STANDARD</StorageClass></Contents>' % k)
        body.append('</ListBucketResult>')
        self.send(200, ''.join(body), 'application/xml')

    def do_POST(self):
        raw = self.body()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}
        action = form.get('Action')
        role = form.get('RoleArn', '')
        with LOCK:
            failing = OPTS.sts_fail_after is not None and STATS['sts_ok'] >= OPTS.sts_fail_after
        if failing and OPTS.sts_fail_mode == 'garbage':
            return self.send(200, '{"this is": not XML', 'text/xml')
        if failing:
            return self.sts_error(500, 'InternalFailure', 'the fake STS is failing on purpose')
        duration = int(form.get('DurationSeconds', '3600'))
        if action == 'AssumeRole':
            why = sigv4_ok(self, raw)
            if why:
                return self.sts_error(403, 'SignatureDoesNotMatch', why)
            if 'denied' in role:
                return self.sts_error(403, 'AccessDenied', 'not authorized to assume ' + role)
            external_id = form.get('ExternalId', '')
            if OPTS.require_external_id is not None and external_id != OPTS.require_external_id:
                return self.sts_error(403, 'AccessDenied', 'not authorized to assume ' + role +
                                      ': the external id does not match')
            key_id = self.headers['Authorization'].split('Credential=')[1].split('/')[0]
            k, s, t = derive('role', role, key_id, external_id)
            with LOCK:
                STATS['assumed'].append({'role': role, 'external_id': external_id, 'key_id': k})
        elif action == 'AssumeRoleWithWebIdentity':
            if 'Authorization' in self.headers:
                return self.sts_error(400, 'InvalidRequest', 'web identity calls are unsigned')
            token = form.get('WebIdentityToken', '')
            if not token or 'denied' in role:
                return self.sts_error(400, 'InvalidIdentityToken', 'the token was refused')
            k, s, t = derive('web', role, token)
        else:
            return self.sts_error(400, 'InvalidAction', 'unknown action')
        exp = expiration(k, duration)
        with LOCK:
            STATS['sts_ok'] += 1
        self.send(200, (
            '<{a}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{a}Result>'
            '<Credentials><AccessKeyId>{k}</AccessKeyId><SecretAccessKey>{s}</SecretAccessKey>'
            '<SessionToken>{t}</SessionToken><Expiration>{e}</Expiration></Credentials>'
            '<AssumedRoleUser><Arn>{r}</Arn><AssumedRoleId>ARO:x</AssumedRoleId></AssumedRoleUser>'
            '</{a}Result><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>'
            '</{a}Response>').format(a=action, k=k, s=s, t=t, e=exp, r=role), 'text/xml')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--rotate', action='store_true')
    ap.add_argument('--life', type=int, default=None)
    ap.add_argument('--announce-later', type=int, default=0)
    ap.add_argument('--sts-fail-after', type=int, default=None)
    ap.add_argument('--sts-fail-mode', choices=['500', 'garbage'], default='500')
    ap.add_argument('--objects', type=int, default=0)
    ap.add_argument('--page-delay', type=float, default=0.0)
    ap.add_argument('--require-external-id', default=None)
    args = ap.parse_args()
    for name in vars(OPTS):
        setattr(OPTS, name, getattr(args, name))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    srv.daemon_threads = True
    print('PORT %d' % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
