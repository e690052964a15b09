#!/usr/bin/python3
# Generates Azure Blob *user delegation* SAS vectors with Debian's python3-azure-storage
# (azure-storage-blob 12.15.0b1): generate_blob_sas(..., user_delegation_key=UserDelegationKey(...)).
# The string to sign is captured by wrapping the SDK's sign_string(); nothing else is
# reimplemented. Run: /usr/bin/python3 gen_azure_udk_vectors.py > azure_sdk_blob_udk_sas_vectors.json
import sys, json, datetime as dt
import azure.storage.blob._shared_access_signature as sasmod
from azure.storage.blob import generate_blob_sas, UserDelegationKey
from azure.storage.blob._version import VERSION
from azure.storage.blob._shared.constants import X_MS_VERSION
cap = {}
_orig = sasmod.sign_string
def _wrap(key, sts, *a, **k):
    cap['string_to_sign'] = sts; cap['key'] = key; return _orig(key, sts, *a, **k)
sasmod.sign_string = _wrap
ACC = 'devstoreaccount1'
# A made-up key (32 bytes 0x00..0x1f, base64) and made-up GUIDs: nothing here is a secret.
KEY_FIELDS = dict(signed_oid='11111111-2222-3333-4444-555555555555',
                  signed_tid='aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
                  signed_start='2024-01-01T00:00:00Z', signed_expiry='2024-01-08T00:00:00Z',
                  signed_service='b', signed_version='2021-12-02',
                  value='AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=')
def udk():
    k = UserDelegationKey()
    for n, v in KEY_FIELDS.items(): setattr(k, n, v)
    return k
UTC = dt.timezone.utc
ST, SE = dt.datetime(2024, 1, 1, 12, tzinfo=UTC), dt.datetime(2024, 1, 7, 12, tzinfo=UTC)
C = 'test-container'
cases = [
 dict(description='udk-read-basic', blob='dir/hello.txt', permission='r', start=ST, expiry=SE),
 dict(description='udk-no-start', blob='dir/hello.txt', permission='r', expiry=SE),
 dict(description='udk-sip-spr', blob='dir/hello.txt', permission='r', start=ST, expiry=SE, ip='168.1.5.60-168.1.5.70', protocol='https'),
 dict(description='udk-response-header-overrides', blob='sp ace/\u00e9+plus.txt', permission='r', start=ST, expiry=SE,
      cache_control='no-cache', content_disposition='attachment; filename="x y.txt"', content_encoding='gzip', content_language='en-US', content_type='text/plain; charset=utf-8'),
 dict(description='udk-snapshot-sr-bs', blob='dir/hello.txt', permission='r', start=ST, expiry=SE, snapshot='2024-01-02T03:04:05.0000000Z'),
 dict(description='udk-version-sr-bv', blob='dir/hello.txt', permission='r', start=ST, expiry=SE, version_id='2024-01-02T03:04:05.1234567Z'),
 dict(description='udk-encryption-scope', blob='dir/hello.txt', permission='r', start=ST, expiry=SE, encryption_scope='myscope'),
 dict(description='udk-saoid-scid', blob='dir/hello.txt', permission='r', start=ST, expiry=SE,
      preauthorized_agent_object_id='99999999-8888-7777-6666-555555555555', correlation_id='c0ffee00-0000-4000-8000-000000000001'),
 dict(description='udk-rfc3986-reserved-name', blob="a!b'(c)*~.txt", permission='r', start=ST, expiry=SE),
 dict(description='udk-permissions-racwd', blob='dir/hello.txt', permission='racwd', start=ST, expiry=SE, ip='127.0.0.1', protocol='https,http'),
]
out = []
for c in cases:
    kw = {k: v for k, v in c.items() if k not in ('description', 'blob')}
    cap.clear()
    tok = generate_blob_sas(ACC, C, c['blob'], user_delegation_key=udk(), **kw)
    assert cap['key'] == KEY_FIELDS['value']
    out.append(dict(description=c['description'], kind='blob', account_name=ACC, container=C, blob=c['blob'],
        user_delegation_key=KEY_FIELDS,
        inputs={k: (v.strftime('%Y-%m-%dT%H:%M:%SZ') if isinstance(v, dt.datetime) else v) for k, v in kw.items()},
        expected_string_to_sign=cap['string_to_sign'], expected_sas_token=tok))
json.dump({'generator': 'azure-storage-blob %s (Debian python3-azure-storage), generate_blob_sas(user_delegation_key=...), default sv=%s; string_to_sign captured from the SDK' % (VERSION, X_MS_VERSION),
           'note': 'sig = base64(HMAC-SHA256(base64decode(user_delegation_key.value), utf8(string_to_sign))); token values are URL-encoded with the SDK url_quote',
           'vectors': out}, sys.stdout, indent=1, ensure_ascii=False)
print()
