#!/usr/bin/python3
"""botocore as the oracle of presign's AWS credential chain.

Usage: aws_creds_oracle.py AWS_CREDS_PROBE FAKE_SERVER_SCRIPT

For each case: a temporary HOME with ~/.aws files (and SSO cache, token files, helper
scripts), an environment, and the fake credential server (tests/support/
fake_aws_creds_server.py) on 127.0.0.1. presign resolves the credentials (the test-only
aws_creds_probe prints them) and botocore (Debian's python3-botocore, in a fresh
/usr/bin/python3 process with exactly the same environment) resolves them too; the access key,
secret and session token must be equal. The server derives every answer from the request, so
equal keys mean both clients sent the same role, source keys, token, account and role name.

botocore 1.29 predates the AWS_ENDPOINT_URL_<SERVICE> variables: in its process, clients for
sts and sso get `endpoint_url` from them (or AWS_ENDPOINT_URL), as newer botocore does itself.
The same goes for AWS_REGION (botocore 1.29 reads AWS_DEFAULT_REGION only): those clients get
it as their region. Its container provider also predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
so that case uses the variable. Prints one line per case and "aws credentials oracle: N/N agree"; exits 1 on any
difference, on a case either side cannot resolve, or when botocore is missing.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def botocore_main(profile):
    import botocore.session
    orig = botocore.session.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        ep = (os.environ.get('AWS_ENDPOINT_URL_' + service_name.upper())
              or os.environ.get('AWS_ENDPOINT_URL'))
        if ep and not kwargs.get('endpoint_url'):
            kwargs['endpoint_url'] = ep
        # AWS_REGION is newer than botocore 1.29 too (it reads AWS_DEFAULT_REGION only).
        if not kwargs.get('region_name') and not args and os.environ.get('AWS_REGION'):
            kwargs['region_name'] = os.environ['AWS_REGION']
        return orig(self, service_name, *args, **kwargs)

    botocore.session.Session.create_client = create_client
    session = botocore.session.Session(profile=profile or None)
    creds = session.get_credentials()
    if creds is None:
        print('botocore found no credentials', file=sys.stderr)
        return 1
    f = creds.get_frozen_credentials()
    print(json.dumps({'access_key_id': f.access_key, 'secret_access_key': f.secret_key,
                      'session_token': f.token or ''}))
    return 0


SOURCE = '[profile base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = source-secret/+=\n'
START_URL = 'https://d-123.awsapps.com/start'


def sso_token(token='sso-access-token'):
    return json.dumps({'startUrl': START_URL, 'region': 'us-east-1', 'accessToken': token,
                       'expiresAt': '2099-01-01T00:00:00Z'})


def cases(srv):
    sha1 = lambda s: hashlib.sha1(s.encode()).hexdigest()
    helper = ('#!/bin/sh\nprintf \'{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": '
              '"proc-secret", "SessionToken": "proc-token", "Expiration": '
              '"2099-01-01T00:00:00Z"}\' "$1|$2"\n')
    return [
        dict(name='environment keys', env={'AWS_ACCESS_KEY_ID': 'AKIDENV',
                                           'AWS_SECRET_ACCESS_KEY': 'env-secret',
                                           'AWS_SESSION_TOKEN': 'env-token'}),
        dict(name='credentials file, AWS_PROFILE',
             files={'.aws/credentials': '[dev]\naws_access_key_id = AKIDFILE\n'
                                        'aws_secret_access_key = file-secret\n'},
             env={'AWS_PROFILE': 'dev'}),
        dict(name='config file [profile x]',
             files={'.aws/config': '[profile cfg]\naws_access_key_id = AKIDFILE\n'
                                   'aws_secret_access_key = file-secret\n'},
             env={'AWS_PROFILE': 'cfg'}),
        dict(name='credentials file wins over config file',
             files={'.aws/config': '[default]\naws_access_key_id = AKIDCONF\n'
                                   'aws_secret_access_key = conf-secret\n',
                    '.aws/credentials': '[default]\naws_access_key_id = AKIDFILE\n'
                                        'aws_secret_access_key = file-secret\n'}),
        dict(name='--profile over environment keys', profile='dev',
             files={'.aws/credentials': '[dev]\naws_access_key_id = AKIDFILE\n'
                                        'aws_secret_access_key = file-secret\n'},
             env={'AWS_ACCESS_KEY_ID': 'AKIDENV', 'AWS_SECRET_ACCESS_KEY': 'env-secret'}),
        dict(name='AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE',
             files={'elsewhere/creds': '[p]\naws_access_key_id = AKIDFILE\n'
                                       'aws_secret_access_key = file-secret\n',
                    'elsewhere/conf': '[profile p]\nregion = eu-west-1\n'},
             env={'AWS_PROFILE': 'p', 'AWS_SHARED_CREDENTIALS_FILE': '{home}/elsewhere/creds',
                  'AWS_CONFIG_FILE': '{home}/elsewhere/conf'}),
        dict(name='credential_process (shlex-split, no shell)',
             files={'bin/helper.sh': helper,
                    '.aws/config': '[default]\ncredential_process = {home}/bin/helper.sh '
                                   '\'two words\' "it\'s"\n'},
             executable=['bin/helper.sh']),
        dict(name='role_arn + source_profile (external_id, session name, duration)',
             files={'.aws/config': SOURCE + '[profile r]\nrole_arn = arn:aws:iam::1:role/r\n'
                                            'source_profile = base\nexternal_id = ext-1\n'
                                            'role_session_name = mine\nduration_seconds = 900\n'},
             env={'AWS_PROFILE': 'r', 'AWS_REGION': 'eu-west-1',
                  'AWS_ENDPOINT_URL_STS': srv + '/sts'}),
        dict(name='role chain of two',
             files={'.aws/config': SOURCE + '[profile first]\nrole_arn = arn:aws:iam::1:role/a\n'
                                            'source_profile = base\n'
                                            '[profile second]\nrole_arn = arn:aws:iam::2:role/b\n'
                                            'source_profile = first\n'},
             env={'AWS_PROFILE': 'second', 'AWS_DEFAULT_REGION': 'us-west-2',
                  'AWS_ENDPOINT_URL_STS': srv + '/sts'}),
        dict(name='role_arn + source_profile in the credentials file',
             files={'.aws/credentials': '[base]\naws_access_key_id = AKIDSOURCE\n'
                                        'aws_secret_access_key = source-secret/+=\n'
                                        '[r]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = base\n'},
             env={'AWS_PROFILE': 'r', 'AWS_REGION': 'us-east-1', 'AWS_ENDPOINT_URL': srv}),
        dict(name='profile that is its own source_profile',
             files={'.aws/config': '[profile self]\nrole_arn = arn:aws:iam::1:role/self\n'
                                   'source_profile = self\naws_access_key_id = AKIDSOURCE\n'
                                   'aws_secret_access_key = source-secret/+=\n'},
             env={'AWS_PROFILE': 'self', 'AWS_REGION': 'us-east-1',
                  'AWS_ENDPOINT_URL_STS': srv}),
        dict(name='credential_source Environment',
             files={'.aws/config': '[profile e]\nrole_arn = arn:aws:iam::1:role/e\n'
                                   'credential_source = Environment\n'},
             profile='e',
             env={'AWS_ACCESS_KEY_ID': 'AKIDENV', 'AWS_SECRET_ACCESS_KEY': 'env-secret',
                  'AWS_REGION': 'us-east-1', 'AWS_ENDPOINT_URL_STS': srv + '/sts'}),
        dict(name='credential_source EcsContainer',
             files={'.aws/config': '[profile c]\nrole_arn = arn:aws:iam::1:role/c\n'
                                   'credential_source = EcsContainer\n'},
             env={'AWS_PROFILE': 'c', 'AWS_REGION': 'us-east-1',
                  'AWS_ENDPOINT_URL_STS': srv + '/sts',
                  'AWS_CONTAINER_CREDENTIALS_FULL_URI': srv + '/container/task',
                  'AWS_CONTAINER_AUTHORIZATION_TOKEN': 'container-auth-token'}),
        dict(name='credential_source Ec2InstanceMetadata',
             files={'.aws/config': '[profile i]\nrole_arn = arn:aws:iam::1:role/i\n'
                                   'credential_source = Ec2InstanceMetadata\n'},
             env={'AWS_PROFILE': 'i', 'AWS_REGION': 'us-east-1',
                  'AWS_ENDPOINT_URL_STS': srv + '/sts', 'AWS_EC2_METADATA_DISABLED': 'false',
                  'AWS_EC2_METADATA_SERVICE_ENDPOINT': srv + '/'}),
        dict(name='web identity from the environment',
             files={'token.jwt': 'eyJ.web.identity'},
             env={'AWS_WEB_IDENTITY_TOKEN_FILE': '{home}/token.jwt',
                  'AWS_ROLE_ARN': 'arn:aws:iam::1:role/web', 'AWS_ROLE_SESSION_NAME': 's1',
                  'AWS_REGION': 'us-east-1', 'AWS_ENDPOINT_URL_STS': srv + '/sts'}),
        dict(name='web_identity_token_file in a profile',
             files={'token.jwt': 'eyJ.profile.token',
                    '.aws/config': '[profile w]\nrole_arn = arn:aws:iam::1:role/w\n'
                                   'web_identity_token_file = {home}/token.jwt\n'},
             env={'AWS_PROFILE': 'w', 'AWS_REGION': 'us-east-1',
                  'AWS_ENDPOINT_URL_STS': srv + '/sts'}),
        dict(name='legacy SSO profile',
             files={'.aws/config': '[profile old]\nsso_start_url = %s\nsso_region = us-east-1\n'
                                   'sso_account_id = 111122223333\nsso_role_name = Reader\n'
                                   % START_URL,
                    '.aws/sso/cache/%s.json' % sha1(START_URL): sso_token()},
             env={'AWS_PROFILE': 'old', 'AWS_ENDPOINT_URL_SSO': srv}),
        dict(name='sso_session profile',
             files={'.aws/config': '[profile s]\nsso_session = my-sso\n'
                                   'sso_account_id = 111122223333\nsso_role_name = Writer\n'
                                   '[sso-session my-sso]\nsso_start_url = %s\n'
                                   'sso_region = us-east-1\nsso_registration_scopes = '
                                   'sso:account:access\n' % START_URL,
                    '.aws/sso/cache/%s.json' % sha1('my-sso'): sso_token('session-token-2')},
             env={'AWS_PROFILE': 's', 'AWS_ENDPOINT_URL_SSO': srv}),
        dict(name='container credentials (FULL_URI + token)',
             env={'AWS_CONTAINER_CREDENTIALS_FULL_URI': srv + '/container/v2',
                  'AWS_CONTAINER_AUTHORIZATION_TOKEN': 'container-auth-token'}),
        dict(name='EC2 instance metadata (IMDSv2)',
             env={'AWS_EC2_METADATA_DISABLED': 'false',
                  'AWS_EC2_METADATA_SERVICE_ENDPOINT': srv}),
    ]


def run_case(probe, case, home):
    for rel, text in case.get('files', {}).items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text.replace('{home}', home))
    for rel in case.get('executable', []):
        os.chmod(os.path.join(home, rel), 0o755)
    env = {'PATH': '/usr/bin:/bin', 'HOME': home, 'AWS_EC2_METADATA_DISABLED': 'true',
           'BOTO_DISABLE_CRT': 'true'}
    env.update({k: v.replace('{home}', home) for k, v in case.get('env', {}).items()})
    extra = ['--profile', case['profile']] if case.get('profile') else []
    ours = subprocess.run([probe] + extra, env=env, capture_output=True, text=True, timeout=60)
    theirs = subprocess.run(['/usr/bin/python3', os.path.abspath(__file__), '--botocore',
                             case.get('profile', '')],
                            env=env, capture_output=True, text=True, timeout=60)
    if ours.returncode != 0:
        return 'presign failed: ' + ours.stderr.strip()
    if theirs.returncode != 0:
        return 'botocore failed: ' + theirs.stderr.strip()[-400:]
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    for k in ('access_key_id', 'secret_access_key', 'session_token'):
        if a[k] != b[k]:
            return '%s differs (presign %s, botocore %s)' % (
                k, hashlib.sha256(a[k].encode()).hexdigest()[:12],
                hashlib.sha256(b[k].encode()).hexdigest()[:12])
    return None


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == '--botocore':
        return botocore_main(sys.argv[2] if len(sys.argv) > 2 else '')
    probe, server = sys.argv[1], sys.argv[2]
    srv = subprocess.Popen(['/usr/bin/python3', server], stdout=subprocess.PIPE, text=True)
    try:
        line = srv.stdout.readline()
        if not line.startswith('PORT '):
            print('the fake server did not start', file=sys.stderr)
            return 1
        url = 'http://127.0.0.1:%d' % int(line.split()[1])
        all_cases = cases(url)
        agree = 0
        for case in all_cases:
            with tempfile.TemporaryDirectory(prefix='presign-aws-oracle-') as home:
                why = run_case(probe, case, home)
            print('%-60s %s' % (case['name'], 'agree' if why is None else 'DIFFER: ' + why))
            agree += why is None
        print('aws credentials oracle: %d/%d agree' % (agree, len(all_cases)))
        return 0 if agree == len(all_cases) else 1
    finally:
        srv.terminate()
        srv.wait()


if __name__ == '__main__':
    sys.exit(main())
