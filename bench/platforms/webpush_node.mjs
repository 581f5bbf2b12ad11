// webpush_node.mjs - the reference for bench/platforms/webpush.sh: the npm web-push
// library's own RFC 8291 encryption (webpush.encrypt, aes128gcm) of the same payload size
// for one subscriber, in a loop for SECONDS on one thread. Prints "web-push N /s": per
// second of the process's CPU time, as bench_webpush counts its own.
//
// Usage: node webpush_node.mjs [SECONDS] [PAYLOAD_BYTES]
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import path from 'node:path';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'tests', 'package.json'));
const webpush = require('web-push');

const seconds = Number(process.argv[2] || 3);
const size = Number(process.argv[3] || 300);
const ecdh = crypto.createECDH('prime256v1');
ecdh.generateKeys();
const p256dh = ecdh.getPublicKey().toString('base64url');
const auth = crypto.randomBytes(16).toString('base64url');
const text = 'Avviso del Comune: chiusura scuole per allerta meteo. ';
const payload = Buffer.from(text.repeat(Math.ceil(size / text.length)).slice(0, size));

let n = 0;
const w0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
do {
  for (let i = 0; i < 64; i++) webpush.encrypt(p256dh, auth, payload, 'aes128gcm');
  n += 64;
} while (Number(process.hrtime.bigint() - w0) / 1e9 < seconds);
const c = process.cpuUsage(c0);
const r = n / ((c.user + c.system) / 1e6);
console.log(`web-push         ${r.toFixed(0).padStart(10)} /s`);
console.log(JSON.stringify({ web_push_node: Math.round(r) }));
