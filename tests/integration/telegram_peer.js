// telegram_peer.js - runs npm telegram-test-api (a Bot API emulator) behind a small front
// on 127.0.0.1:PORT (the emulator itself on INNER_PORT, default PORT + 1), for tests/integration/test_telegram.py and test_lanes.py. Prints
// "listening" once it accepts connections. Exit 77 when the package is not installed
// (run scripts/install-deps).
//
// The front passes every request to the emulator, and adds what the emulator cannot do:
//   - it records each sendMessage's body (GET /control/sent gives them all, with the
//     time they arrived in ms, and the times of the 429s it answered), so a test can see what a channel post or a broadcast
//     carried and how fast it came;
//   - POST /control/flood {"count": N, "retry_after": S} makes the next N sendMessage
//     answer 429 with parameters.retry_after S, as Telegram's flood control does;
//   - POST /control/gone {"chat_id": "..."} makes sendMessage to that chat answer 403
//     "bot was blocked by the user".
'use strict';
const http = require('http');
let TelegramServer;
try {
  TelegramServer = require('telegram-test-api');
} catch (e) {
  console.log('telegram-test-api not installed: ' + e.message);
  process.exit(77);
}
const port = Number(process.argv[2]);
let flood = { count: 0, retryAfter: 1 };
const gone = new Set();
const sent = [];
const refused = []; // the times of the 429s answered

function answer(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function start(innerPort) {
  const server = new TelegramServer({ port: innerPort, host: '127.0.0.1', storeTimeout: 600 });
  return server.start().then(() => server);
}

function front(innerPort) {
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/control/sent' && req.method === 'GET')
        return answer(res, 200, { sent, refused });
      if (req.url === '/control/flood' && req.method === 'POST') {
        const o = JSON.parse(body.toString() || '{}');
        flood = { count: o.count || 0, retryAfter: o.retry_after || 1 };
        return answer(res, 200, { ok: true });
      }
      if (req.url === '/control/gone' && req.method === 'POST') {
        gone.add(String(JSON.parse(body.toString()).chat_id));
        return answer(res, 200, { ok: true });
      }
      if (/^\/bot[^/]+\/sendMessage$/.test(req.url)) {
        let doc = {};
        try { doc = JSON.parse(body.toString()); } catch (e) { /* the emulator answers */ }
        if (flood.count > 0) {
          flood.count--;
          refused.push({ at: Date.now(), chat_id: String(doc.chat_id) });
          return answer(res, 429, { ok: false, error_code: 429,
            description: 'Too Many Requests: retry after ' + flood.retryAfter,
            parameters: { retry_after: flood.retryAfter } });
        }
        if (gone.has(String(doc.chat_id)))
          return answer(res, 403, { ok: false, error_code: 403,
            description: 'Forbidden: bot was blocked by the user' });
        sent.push({ at: Date.now(), chat_id: String(doc.chat_id), text: doc.text,
          parse_mode: doc.parse_mode });
        // A channel ("@name") is not a chat the emulator knows: accept it here.
        if (typeof doc.chat_id === 'string' && doc.chat_id.startsWith('@'))
          return answer(res, 200, { ok: true, result: { message_id: sent.length,
            chat: { id: doc.chat_id, type: 'channel' }, date: Math.floor(Date.now() / 1000),
            text: doc.text } });
      }
      const fwd = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url,
        headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      fwd.on('error', (e) => answer(res, 502, { ok: false, description: String(e) }));
      fwd.end(body);
    });
  });
}

// The emulator's own port: the second argument, else the next one.
const innerPort = process.argv[3] ? Number(process.argv[3]) : port + 1;
let emulator;
start(innerPort).then((s) => {
  emulator = s;
  const f = front(innerPort);
  f.keepAliveTimeout = 30000;
  f.listen(port, '127.0.0.1', () => console.log('listening'));
});
const stop = () => (emulator ? emulator.stop() : Promise.resolve()).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
