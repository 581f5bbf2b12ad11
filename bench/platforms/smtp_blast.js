#!/usr/bin/env node
// smtp_blast.js - the SMTP sink's own limit: a minimal client that sends N messages of
// SIZE bytes over K connections, one command at a time (no pipelining, as libcurl), with
// nothing to compose. usage: node smtp_blast.js PORT N K SIZE -> "sink: N in S s = R/s".
'use strict';
const net = require('net');
const [port, total, conns, size] = process.argv.slice(2).map(Number);
const body = 'Subject: x\r\nTo: <a@example.org>\r\n\r\n' + 'x'.repeat(Math.max(0, size - 40)).replace(/(.{70})/g, '$1\r\n') + '\r\n.\r\n';
let next = 0, done = 0;
const t0 = process.hrtime.bigint();

function client() {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  let buf = '', step = 0, n = 0;
  const send = (x) => s.write(x);
  s.on('data', (d) => {
    buf += d.toString();
    // one complete reply (the last line has a space after the code)
    const lines = buf.split('\r\n');
    if (!lines.slice(0, -1).some((l) => /^\d{3} /.test(l))) return;
    buf = '';
    switch (step) {
      case 0: step = 1; return send('EHLO bench.example.org\r\n');
      case 1: case 5:
        if (step === 5) { done++; }
        if (next >= total) { step = 9; return send('QUIT\r\n'); }
        n = next++;
        step = 2; return send('MAIL FROM:<avvisi@comune.example.org>\r\n');
      case 2: step = 3; return send('RCPT TO:<bench' + n + '@example.org>\r\n');
      case 3: step = 4; return send('DATA\r\n');
      case 4: step = 5; return send(body);
      default: s.end();
    }
  });
  s.on('close', () => {
    if (done >= total) {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (!client.reported) {
        client.reported = true;
        console.log('sink: ' + done + ' in ' + secs.toFixed(3) + ' s = ' + Math.round(done / secs) + ' messages/s over ' + conns + ' connections');
      }
    }
  });
}
for (let i = 0; i < conns; i++) client();
