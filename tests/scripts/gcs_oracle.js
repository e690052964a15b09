// GCS V4 signed-URL oracle: Google's Node client (@google-cloud/storage) signs every object
// name of a job, in ONE process, with the clock frozen per configuration (the recipe of
// tests/vectors/gcs/PROVENANCE.md: the client rejects an expiry earlier than `new Date()`, so Date is
// replaced; it signs locally with the key file and makes no network call).
//
// usage: node gcs_oracle.js JOB.json > urls.txt
// JOB.json: {
//   "nodeModules": ".../node_modules",          where @google-cloud/storage is installed
//   "keyFile": ".../service-account.json",
//   "names": ["object name", ...],
//   "configs": [{"name": "...", "bucket": "...", "timestamp": "2019-02-01T09:00:00Z",
//                "expires": 3600, "action": "read"|"write",
//                "virtualHostedStyle": true, "responseType": "...",
//                "responseDisposition": "...", "apiEndpoint": "http://127.0.0.1:4443"}, ...]
// }
// Prints one URL per line, configuration-major (all names of configs[0], then configs[1]...).
// Any failure exits non-zero with the reason on stderr.
'use strict';
const fs = require('fs');
const path = require('path');

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

let fixed = 0;
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) {
    a.length ? super(...a) : super(fixed);
  }
  static now() {
    return fixed;
  }
};
// The client reads this at construction and would override the endpoint.
delete process.env.STORAGE_EMULATOR_HOST;

const { Storage } = require(path.join(job.nodeModules, '@google-cloud/storage'));

(async () => {
  const out = [];
  for (const c of job.configs) {
    fixed = new RealDate(c.timestamp).getTime();
    const options = { keyFilename: job.keyFile, projectId: 'dummy-project-id' };
    if (c.apiEndpoint) options.apiEndpoint = c.apiEndpoint;
    const bucket = new Storage(options).bucket(c.bucket);
    for (const name of job.names) {
      const opts = { version: 'v4', action: c.action, expires: fixed + c.expires * 1000 };
      for (const k of ['virtualHostedStyle', 'responseType', 'responseDisposition']) {
        if (c[k] !== undefined) opts[k] = c[k];
      }
      const [url] = await bucket.file(name).getSignedUrl(opts);
      out.push(url);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
})().catch((e) => {
  console.error('gcs_oracle.js: ' + ((e && e.stack) || e));
  process.exit(1);
});
