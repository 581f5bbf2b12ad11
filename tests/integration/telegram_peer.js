// telegram_peer.js - runs npm telegram-test-api (a Bot API emulator) on 127.0.0.1:PORT for
// tests/integration/test_telegram.py. Prints "listening" once it accepts connections.
// Exit 77 when the package is not installed (run scripts/install-deps).
'use strict';
let TelegramServer;
try {
  TelegramServer = require('telegram-test-api');
} catch (e) {
  console.log('telegram-test-api not installed: ' + e.message);
  process.exit(77);
}
const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => console.log('listening'));
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
