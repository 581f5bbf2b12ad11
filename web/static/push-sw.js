/*
 * push-sw.js - Banditore's service worker for browser push notifications.
 *
 * Served by the daemon at /push/sw.js and registered with the scope /push/ by
 * push-button.js. It only shows what the comune sent: the payload, decrypted by the
 * browser (RFC 8291), is JSON {title, body, url, emergency}; a click opens url (the
 * message's permalink in the public archive), and nothing else is ever fetched or kept.
 */
'use strict';

self.addEventListener('install', (event) => { event.waitUntil(self.skipWaiting()); });
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()); });

/* Only links to this site are opened: a payload cannot send the citizen elsewhere. */
function sameOrigin(url) {
  try {
    const u = new URL(url, self.location.origin);
    return u.origin === self.location.origin ? u.href : self.location.origin + '/';
  } catch (e) {
    return self.location.origin + '/';
  }
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Avviso del Comune';
  const options = {
    body: typeof data.body === 'string' ? data.body : '',
    data: { url: sameOrigin(typeof data.url === 'string' ? data.url : '/') },
    lang: 'it',
    requireInteraction: data.emergency === true,
    tag: typeof data.tag === 'string' ? data.tag : undefined,
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = sameOrigin(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) {
      if (w.url === url && 'focus' in w) return w.focus();
    }
    return self.clients.openWindow(url);
  })());
});
