// Starts s3rver 3.7.1 (the last release of the original emulator) on 127.0.0.1.
// usage: node s3rver371.js <dataDir> <port> <bucket> [<bucket>...]   (port 0: any free port)
// Prints "listening <port>" once it accepts connections. Credentials: S3RVER / S3RVER.
// It does NOT verify SigV4 signatures, but its listings escape XML correctly (the
// @20minutes fork in s3rver.js escapes twice: tests/vectors/README.md, gotcha 10), so listing
// tests list through this one and check signatures with the fork on the same data directory
// (both use the layout <dir>/<bucket>/<key>._S3rver_object).
const path = require('path');
const S3rver = require(path.join(__dirname, '../../.tools/node_modules/s3rver'));
const [dir, port, ...buckets] = process.argv.slice(2);
new S3rver({
  address: '127.0.0.1', port: Number(port), directory: dir, silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
}).run().then(
  (addr) => console.log('listening', addr.port),
  (e) => { console.error(e); process.exit(1); });
