#!/usr/bin/env node
// smtp_peer.js - a real SMTP server (npm smtp-server) that checks what Banditore sends.
//
// Usage: node smtp_peer.js --port N [--out DIR] [--from ADDR] [--reject ADDR,...]
//                          [--user U --pass P] [--count-only]
// Prints "listening PORT" on stdout once it accepts connections. Checks, for every
// message: MAIL FROM is --from (when given); exactly one RCPT TO; the To header names
// exactly that recipient and no Cc/Bcc header exists; otherwise the message is refused
// with 554 and the reason. Recipients in --reject get 550 at RCPT (a permanent failure,
// as a missing mailbox). With --out, each accepted message is written to DIR as
// NNNNNN.json {from, to, raw, checks}; with --count-only nothing is parsed or kept, and
// the number received is printed as "received N" on SIGTERM (the benchmark's sink).
'use strict';
const fs = require('fs');
const path = require('path');
const { SMTPServer } = require('smtp-server');

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--count-only') args.countOnly = true;
  else args[a.replace(/^--/, '')] = process.argv[++i];
}
const rejected = new Set((args.reject || '').split(',').filter(Boolean).map((s) => s.toLowerCase()));
let seq = 0;
let received = 0;

function headerBlock(raw) {
  const end = raw.indexOf('\r\n\r\n');
  return (end < 0 ? raw : raw.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
}

function headers(raw, name) {
  const re = new RegExp('^' + name + ':[ \\t]*(.*)$', 'gim');
  return [...headerBlock(raw).matchAll(re)].map((m) => m[1].trim());
}

const server = new SMTPServer({
  name: 'smtp-peer.example.org',
  disabledCommands: args.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
  authOptional: !args.user,
  allowInsecureAuth: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onAuth(auth, session, cb) {
    if (auth.username === args.user && auth.password === args.pass) return cb(null, { user: auth.username });
    return cb(Object.assign(new Error('invalid credentials'), { responseCode: 535 }));
  },
  onMailFrom(address, session, cb) {
    if (args.from && address.address !== args.from)
      return cb(Object.assign(new Error('unexpected sender'), { responseCode: 553 }));
    return cb();
  },
  onRcptTo(address, session, cb) {
    if (rejected.has(address.address.toLowerCase()))
      return cb(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
    if (session.envelope.rcptTo.length >= 1)
      return cb(Object.assign(new Error('one recipient per message'), { responseCode: 554 }));
    return cb();
  },
  onData(stream, session, cb) {
    if (args.countOnly) {
      stream.on('data', () => {});
      stream.on('end', () => { received++; cb(); });
      return;
    }
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const rcpt = session.envelope.rcptTo.map((r) => r.address);
      const to = headers(raw, 'To');
      const problems = [];
      if (rcpt.length !== 1) problems.push('envelope has ' + rcpt.length + ' recipients');
      if (to.length !== 1 || to[0] !== '<' + rcpt[0] + '>') problems.push('To header is not the envelope recipient');
      if (headers(raw, 'Cc').length || headers(raw, 'Bcc').length) problems.push('Cc or Bcc present');
      if (problems.length)
        return cb(Object.assign(new Error(problems.join('; ')), { responseCode: 554 }));
      received++;
      if (args.out) {
        const file = path.join(args.out, String(++seq).padStart(6, '0') + '.json');
        const doc = { from: session.envelope.mailFrom.address, to: rcpt, raw,
                      user: session.user || null };
        fs.writeFileSync(file + '.tmp', JSON.stringify(doc));
        fs.renameSync(file + '.tmp', file);
      }
      return cb();
    });
  },
});

server.on('error', (e) => { console.error('smtp-peer error:', e.message); });
process.on('SIGTERM', () => {
  process.stdout.write('received ' + received + '\n');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
});
server.listen(Number(args.port || 0), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.server.address().port + '\n');
});
