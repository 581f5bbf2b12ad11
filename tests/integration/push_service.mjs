// push_service.mjs - a tiny Web Push service (RFC 8030) for Banditore's integration tests.
//
// It plays both the push service and the browsers behind it: it makes subscribers (a
// P-256 key pair and an auth secret each, as a browser does) and, for every push message
// Banditore POSTs to one of their endpoints, checks the request the way a real push
// service does (Content-Encoding aes128gcm, TTL, Urgency, and the VAPID Authorization:
// an ES256 JWT whose signature verifies with the key in k=, aud the endpoint's origin,
// exp in the future and at most 24 hours ahead, sub mailto: or https:), decrypts the
// body with the npm reference implementation of RFC 8188/8291 (http_ece) using the
// subscriber's private key, and records the plaintext. It answers 201, or what the test
// asked for that subscriber (410 gone, 429 with Retry-After, 500).
//
//   node push_service.mjs PORT            prints "listening PORT" when ready
//
// Control API (JSON): POST /control/subscribers -> a PushSubscription JSON with the
// browser's keys; POST /control/answer {id, status, retryAfter}; GET /control/received
// -> [{id, ok, problems, plaintext, ttl, urgency, claims}]; GET /control/vapid-keys.
import http from 'node:http';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ece = require('http_ece');

const port = Number(process.argv[2] || 0);
const subscribers = new Map(); // id -> {ecdh, auth, answer, retryAfter}
const received = [];
let nextId = 1;

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 65536) reject(new Error('too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// RFC 8292: "vapid t=<JWT>, k=<base64url P-256 public key>"; returns problems found.
function checkVapid(header, origin) {
  const problems = [];
  const m = /^vapid t=([A-Za-z0-9_\-.]+), ?k=([A-Za-z0-9_-]+)$/.exec(header || '');
  if (!m) return { problems: ['Authorization is not "vapid t=..., k=..."'], claims: null };
  const [jwt, k] = [m[1], m[2]];
  const parts = jwt.split('.');
  if (parts.length !== 3) return { problems: ['JWT has not three parts'], claims: null };
  let head, claims;
  try {
    head = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch (e) {
    return { problems: ['JWT parts are not JSON'], claims: null };
  }
  if (head.alg !== 'ES256') problems.push('alg is not ES256');
  if (head.typ !== undefined && head.typ !== 'JWT') problems.push('typ is not JWT');
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) {
    problems.push('k is not an uncompressed P-256 key');
  } else {
    const key = crypto.createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) },
      format: 'jwk',
    });
    const sig = Buffer.from(parts[2], 'base64url');
    const ok = sig.length === 64 && crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]),
      { key, dsaEncoding: 'ieee-p1363' }, sig);
    if (!ok) problems.push('JWT signature does not verify with k');
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) problems.push(`aud ${claims.aud} is not ${origin}`);
  if (typeof claims.exp !== 'number' || claims.exp <= now) problems.push('exp is not in the future');
  else if (claims.exp > now + 24 * 3600) problems.push('exp is more than 24 hours ahead');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    problems.push('sub is not mailto: or https:');
  return { problems, claims, k };
}

async function push(req, res, id) {
  const sub = subscribers.get(id);
  const body = await readBody(req);
  if (!sub) return json(res, 404, { error: 'no such subscription' });
  const record = { id, ok: false, problems: [], plaintext: null,
    ttl: req.headers.ttl, urgency: req.headers.urgency || null, claims: null, length: body.length };
  if (req.headers['content-encoding'] !== 'aes128gcm') record.problems.push('Content-Encoding is not aes128gcm');
  if (!/^\d+$/.test(req.headers.ttl || '')) record.problems.push('TTL missing or not a number');
  if (record.urgency && !['very-low', 'low', 'normal', 'high'].includes(record.urgency))
    record.problems.push('Urgency is not a known value');
  if (body.length > 4096) record.problems.push('body longer than 4096 bytes');
  const origin = `http://${req.headers.host}`;
  const vapid = checkVapid(req.headers.authorization, origin);
  record.problems.push(...vapid.problems);
  record.claims = vapid.claims;
  record.vapidKey = vapid.k || null;
  try {
    const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
    record.plaintext = plain.toString('utf8');
    // RFC 8291 4: the header's keyid is the 65-byte ephemeral key, rs at least 18.
    if (body[20] !== 65) record.problems.push('idlen is not 65');
    if (body.readUInt32BE(16) < 18) record.problems.push('rs below 18');
  } catch (e) {
    record.problems.push('http_ece could not decrypt: ' + e.message);
  }
  record.ok = record.problems.length === 0;
  received.push(record);
  if (!record.ok) return json(res, 400, { problems: record.problems });
  const status = sub.answer || 201;
  const headers = status === 201 ? { Location: `http://${req.headers.host}/m/${received.length}` } : {};
  if (sub.retryAfter !== undefined) headers['Retry-After'] = String(sub.retryAfter);
  res.writeHead(status, headers);
  res.end();
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/control/subscribers') {
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = crypto.randomBytes(16);
      const id = String(nextId++);
      subscribers.set(id, { ecdh, auth, answer: 201 });
      return json(res, 200, {
        id,
        subscription: {
          endpoint: `http://${req.headers.host}/push/${id}`,
          expirationTime: null,
          keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) },
        },
      });
    }
    if (req.method === 'POST' && url.pathname === '/control/answer') {
      const { id, status, retryAfter } = JSON.parse((await readBody(req)).toString());
      const sub = subscribers.get(String(id));
      if (!sub) return json(res, 404, { error: 'no such subscription' });
      sub.answer = status;
      sub.retryAfter = retryAfter;
      return json(res, 200, { ok: true });
    }
    if (req.method === 'GET' && url.pathname === '/control/received') return json(res, 200, received);
    const m = /^\/push\/(\d+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) return await push(req, res, m[1]);
    return json(res, 404, { error: 'not found' });
  } catch (e) {
    return json(res, 500, { error: String(e && e.message) });
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
