// Starts @20minutes/s3rver 5.0.0 (an S3 emulator that verifies SigV4 signatures) on 127.0.0.1.
// usage: node s3rver.js <dataDir> <port> <bucket> [<bucket>...]
// Prints "listening <port>" once it accepts connections. Credentials: S3RVER / S3RVER.
// The published package has no CLI, so it is started from code (the package ships no bin/).
const path = require('path');
const S3rver = require(path.join(__dirname, '../../.tools/node_modules/@20minutes/s3rver'));
const [dir, port, ...buckets] = process.argv.slice(2);
new S3rver({
  address: '127.0.0.1', port: Number(port), directory: dir, silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
}).run().then(
  (addr) => console.log('listening', addr.port),
  (e) => { console.error(e); process.exit(1); });
