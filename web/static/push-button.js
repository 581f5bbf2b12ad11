/*
 * push-button.js - the "ricevi le notifiche" button of the public page.
 *
 * Include it with <script src="/push/button.js" defer></script> and mark the button:
 *   <button type="button" data-banditore-push hidden>Ricevi le notifiche</button>
 *   <p data-banditore-push-status role="status" aria-live="polite"></p>
 * The button stays hidden where the browser cannot do push. A click asks for the
 * permission, registers /push/sw.js (scope /push/), subscribes with the comune's VAPID
 * key from GET /push/key, and POSTs the subscription (endpoint and keys: nothing else)
 * to /push/subscribe; a second click unsubscribes (POST /push/unsubscribe), which erases
 * it on the server at once. Texts are Italian, with English when the page is in English.
 */
(function () {
  'use strict';

  const en = (document.documentElement.lang || 'it').slice(0, 2) === 'en';
  const T = (it, english) => (en ? english : it);
  const TEXT = {
    subscribe: T('Ricevi le notifiche', 'Get notifications'),
    unsubscribe: T('Non ricevere più le notifiche', 'Stop notifications'),
    subscribed: T('Notifiche attivate.', 'Notifications on.'),
    unsubscribed: T('Notifiche disattivate: i tuoi dati sono stati cancellati.',
                    'Notifications off: your data has been erased.'),
    denied: T('Le notifiche sono bloccate nelle impostazioni del browser.',
              'Notifications are blocked in the browser settings.'),
    failed: T('Non è stato possibile completare l\'operazione. Riprova più tardi.',
              'That did not work. Please try again later.'),
  };

  function b64urlToBytes(s) {
    const pad = '='.repeat((4 - (s.length % 4)) % 4);
    const bin = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    return r.json();
  }

  /* Only what the server needs: the endpoint and the two keys. */
  function subscriptionBody(sub) {
    const j = sub.toJSON();
    return { endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } };
  }

  /* The worker's scope (/push/) does not cover the page, so navigator.serviceWorker.ready
   * would never resolve here: wait for this registration's own worker instead. */
  async function registration() {
    const reg = await navigator.serviceWorker.register('/push/sw.js', { scope: '/push/' });
    if (reg.active) return reg;
    const worker = reg.installing || reg.waiting;
    await new Promise((resolve, reject) => {
      worker.addEventListener('statechange', () => {
        if (worker.state === 'activated') resolve();
        else if (worker.state === 'redundant') reject(new Error('service worker failed'));
      });
    });
    return reg;
  }

  async function current() {
    const reg = await navigator.serviceWorker.getRegistration('/push/');
    return reg ? reg.pushManager.getSubscription() : null;
  }

  async function subscribe() {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') throw Object.assign(new Error('denied'), { denied: true });
    const keyAnswer = await fetch('/push/key', { credentials: 'omit' });
    if (!keyAnswer.ok) throw new Error('HTTP ' + keyAnswer.status);
    const { publicKey } = await keyAnswer.json();
    const reg = await registration();
    const sub = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: b64urlToBytes(publicKey),
    });
    await post('/push/subscribe', subscriptionBody(sub));
  }

  async function unsubscribe(sub) {
    await post('/push/unsubscribe', { endpoint: sub.endpoint });
    await sub.unsubscribe();
  }

  function setUp(button) {
    const status = document.querySelector('[data-banditore-push-status]');
    const say = (text) => { if (status) status.textContent = text; };
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
      return; /* stays hidden */
    let busy = false;
    const refresh = async () => {
      const sub = await current().catch(() => null);
      button.textContent = sub ? TEXT.unsubscribe : TEXT.subscribe;
      button.setAttribute('aria-pressed', sub ? 'true' : 'false');
    };
    button.hidden = false;
    refresh();
    button.addEventListener('click', async () => {
      if (busy) return;
      busy = true;
      button.disabled = true;
      try {
        const sub = await current();
        if (sub) {
          await unsubscribe(sub);
          say(TEXT.unsubscribed);
        } else {
          await subscribe();
          say(TEXT.subscribed);
        }
      } catch (e) {
        say(e && e.denied ? TEXT.denied : TEXT.failed);
      } finally {
        busy = false;
        button.disabled = false;
        await refresh();
      }
    });
  }

  function start() {
    document.querySelectorAll('[data-banditore-push]').forEach(setUp);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
