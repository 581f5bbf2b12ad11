// push_button.mjs - the push subscribe button (web/static/push-button.js) in Debian's
// chromium (playwright-core), against a running daemon.
//
// A minimal page on the daemon's origin (fulfilled by the test: the public templates are
// another module's) includes /push/button.js as the public page will. Chromium's own
// PushManager.subscribe needs the browser vendor's push service (FCM for chromium), which
// this machine cannot reach: the script first tries it for real and reports what
// happened (REAL_SUBSCRIBE ok|error ...); then, with PushManager stubbed to hand back the
// subscription SUBSCRIPTION.json describes (keys made by the test's push service), it
// checks what the button does: permission asked, service worker /push/sw.js registered
// (scope /push/), the VAPID key from /push/key passed as applicationServerKey, exactly
// {endpoint, keys} POSTed to /push/subscribe; a second click POSTs /push/unsubscribe.
//
// Usage: node push_button.mjs BASE SUBSCRIPTION.json
// Prints JSON lines; exit 0 all good, 1 a check failed, 77 chromium cannot start.
import fs from 'node:fs';

import * as lib from './lib.mjs';

const { check, failures } = lib;
const [base, subFile] = process.argv.slice(2);
const subscription = JSON.parse(fs.readFileSync(subFile, 'utf8'));
lib.quietChecks();
const browser = await lib.launch();

const PAGE = `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Prova</title>
<script src="/push/button.js" defer></script></head><body>
<button type="button" data-banditore-push hidden>Ricevi le notifiche</button>
<p data-banditore-push-status role="status" aria-live="polite"></p></body></html>`;

async function newPage(stub) {
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['notifications'], { origin: base });
  if (stub) {
    await ctx.addInitScript((sub) => {
      // A PushSubscription as the browser would hand it back, remembered per page.
      let current = null;
      window.__subscribeCalls = [];
      const make = () => ({
        endpoint: sub.endpoint,
        expirationTime: null,
        options: {},
        toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
        unsubscribe: async () => { current = null; return true; },
      });
      PushManager.prototype.subscribe = async function (opts) {
        const key = opts && opts.applicationServerKey;
        window.__subscribeCalls.push({
          userVisibleOnly: opts && opts.userVisibleOnly,
          keyBytes: key ? Array.from(new Uint8Array(key.buffer || key)) : null,
        });
        current = make();
        return current;
      };
      PushManager.prototype.getSubscription = async function () { return current; };
    }, subscription);
  }
  const page = await ctx.newPage();
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().startsWith(base + '/push/')) posts.push({ url: r.url().slice(base.length), body: r.postData() });
  });
  await page.route(base + '/prova-push.html', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE }));
  await page.goto(base + '/prova-push.html');
  return { ctx, page, posts };
}

// 1. The real PushManager, as far as it goes offline.
{
  const { ctx, page } = await newPage(false);
  const outcome = await page.evaluate(async () => {
    try {
      const key = await (await fetch('/push/key')).json();
      const reg = await navigator.serviceWorker.register('/push/sw.js', { scope: '/push/' });
      const w = reg.installing || reg.waiting;
      if (w && !reg.active)
        await new Promise((res) => w.addEventListener('statechange', () => { if (w.state === 'activated') res(); }));
      const raw = atob(key.publicKey.replace(/-/g, '+').replace(/_/g, '/') + '=');
      const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
      const sub = await Promise.race([
        reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes }),
        new Promise((_, rej) => setTimeout(() => rej(new Error('no answer in 20 s')), 20000)),
      ]);
      return { ok: true, endpoint: sub.endpoint.replace(/\/[^/]{12,}$/, '/...'), scope: reg.scope };
    } catch (e) {
      return { ok: false, error: String(e && (e.name + ': ' + e.message)) };
    }
  });
  console.log('REAL_SUBSCRIBE ' + JSON.stringify(outcome));
  await ctx.close();
}

// 2. The button, with the subscription stubbed.
{
  const { ctx, page, posts } = await newPage(true);
  const button = page.locator('[data-banditore-push]');
  await button.waitFor({ state: 'visible', timeout: 10000 });
  check((await button.textContent()).includes('Ricevi'), 'button offers to subscribe');
  await button.click();
  await page.waitForFunction(() => document.querySelector('[data-banditore-push-status]').textContent !== '', null, { timeout: 20000 });
  const status = await page.locator('[data-banditore-push-status]').textContent();
  check(status.includes('attivate'), 'status says subscribed: ' + status);
  const calls = await page.evaluate(() => window.__subscribeCalls);
  const key = JSON.parse(await page.evaluate(async () => JSON.stringify(await (await fetch('/push/key')).json())));
  const keyBytes = Array.from(Buffer.from(key.publicKey, 'base64url'));
  check(calls.length === 1, 'PushManager.subscribe called once');
  check(calls[0] && calls[0].userVisibleOnly === true, 'userVisibleOnly');
  check(calls[0] && JSON.stringify(calls[0].keyBytes) === JSON.stringify(keyBytes), 'applicationServerKey is the VAPID key of /push/key');
  const reg = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration('/push/');
    return r ? { scope: r.scope, script: (r.active || r.installing || r.waiting).scriptURL } : null;
  });
  check(reg && reg.scope === base + '/push/' && reg.script === base + '/push/sw.js', 'service worker /push/sw.js registered with scope /push/');
  const sub = posts.find((p) => p.url === '/push/subscribe');
  check(sub, 'POST /push/subscribe sent');
  if (sub) {
    const body = JSON.parse(sub.body);
    check(JSON.stringify(Object.keys(body).sort()) === '["endpoint","keys"]', 'only endpoint and keys are sent');
    check(body.endpoint === subscription.endpoint && body.keys.p256dh === subscription.keys.p256dh &&
      body.keys.auth === subscription.keys.auth, 'the subscription is sent as the browser gave it');
  }
  check((await button.textContent()).includes('Non ricevere'), 'button now offers to unsubscribe');
  console.log('SUBSCRIBED');
  // The test checks the database here, then tells us to go on (a line on stdin).
  await new Promise((resolve) => process.stdin.once('data', resolve));
  await button.click();
  await page.waitForFunction(() => document.querySelector('[data-banditore-push-status]').textContent.includes('disattivate'), null, { timeout: 20000 }).catch(() => {});
  const unsub = posts.find((p) => p.url === '/push/unsubscribe');
  check(unsub && JSON.parse(unsub.body).endpoint === subscription.endpoint, 'POST /push/unsubscribe sent with the endpoint');
  check((await page.locator('[data-banditore-push-status]').textContent()).includes('cancellati'), 'status says erased');
  await ctx.close();
}

await browser.close();
console.log(failures.length ? `DONE ${failures.length} failed` : 'DONE ok');
process.exit(failures.length ? 1 : 0);
