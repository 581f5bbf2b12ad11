// check_console_more.mjs - drives Debian's chromium (playwright-core) through the console
// pages added after the first journey: "Messaggi ricevuti" (a citizen's kept message
// answered and deleted), warning and expulsion with their confirmation pages, the
// WhatsApp Channel's posting task marked "Pubblicato", each platform's preview while
// composing, and one's own second factor (QR
// code and key, confirmed by a computed code, then a login that asks for the code).
// axe-core must find no WCAG 2.1 AA violation on any of these pages; screenshots go to
// ARTIFACTS_DIR.
//
// Usage: node check_console_more.mjs SETUP.json ARTIFACTS_DIR
//   SETUP.json: {base, sim_base, password, writer, kept_text, misuser, message_title,
//                accounts: {gestore, delegato}}
// Prints "TOTP_SECRET <base32>" (for the caller's check of the QR code's screenshot).
// Exit: 0 all good, 1 a check failed, 77 chromium cannot start (the test is skipped).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import * as lib from './lib.mjs';

const { check, axeCheck } = lib;
const [setupFile, artifacts] = process.argv.slice(2);
const setup = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const { base, sim_base: simBase, password, accounts } = setup;
const shot = lib.screenshots(artifacts);

// RFC 6238 with HMAC-SHA1, 30-second steps, 6 digits, from a base32 secret.
function totp(secret, at) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const bytes = [];
  for (const c of secret) {
    acc = (acc << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bytes.push((acc >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = crypto.createHmac('sha1', Buffer.from(bytes)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const browser = await lib.launch();
const person = (opts) => lib.person(browser, opts);
// With `code`, the page is the one that asked for it (the form now has the code's field).
const login = (page, name, code) => lib.login(page, base, name, password, code);
const simMessages = (to) => lib.simMessages(simBase, to);

async function submit(page, locator) {
  await Promise.all([page.waitForLoadState('load'), locator.click()]);
}

try {
  const gctx = await person();
  const g = await gctx.newPage();
  await login(g, accounts.gestore);
  check(new URL(g.url()).pathname === '/console', 'the gestore is logged in');
  check((await g.textContent('.todo-kept')).trim() === '1', 'the dashboard says one private message awaits a reply');
  check((await g.textContent('.todo-posts')).trim() === '0', 'the dashboard says nothing waits for the Channel yet');
  await shot(g, 'cruscotto-da-fare');
  await axeCheck(g, 'cruscotto-da-fare');

  // --- the inbox: a kept message, its expiry, reply and delete ---
  check(await g.locator('nav a', { hasText: 'Messaggi ricevuti' }).count() === 1, 'the navigation shows "Messaggi ricevuti" (keep-until-answered mode)');
  await g.goto(base + '/console/messaggi-ricevuti');
  const kept = g.locator('article.kept', { hasText: setup.kept_text });
  check(await kept.count() === 1, 'the kept message is shown opened, with its text');
  check((await kept.locator('.kept-number').textContent()).includes(setup.writer.slice(-4)), 'the kept message shows who wrote it');
  check(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(await kept.locator('.kept-expiry').textContent()), 'the kept message shows when it is deleted anyway');
  await shot(g, 'ricevuti');
  await axeCheck(g, 'ricevuti');
  await kept.locator('textarea').fill('Grazie della segnalazione: la squadra interviene domani mattina.');
  await submit(g, kept.locator('button', { hasText: 'Rispondi e cancella' }));
  check((await g.textContent('main')).includes('La risposta è in invio e il messaggio è stato cancellato'), 'replying says the reply is going and the message was deleted');
  check(await g.locator('article.kept', { hasText: setup.kept_text }).count() === 0, 'the answered message is gone from the page');
  await shot(g, 'ricevuti-risposto');
  await axeCheck(g, 'ricevuti-risposto');
  await g.goto(base + '/console/messaggi-ricevuti?lang=en');
  check(await g.locator('h1', { hasText: 'Received messages' }).count() === 1, 'the received messages page speaks English');
  await axeCheck(g, 'ricevuti-en');
  await g.goto(base + '/console?lang=it');
  let got = false;
  for (let i = 0; i < 100 && !got; i++) {
    got = (await simMessages(setup.writer)).some((m) => JSON.stringify(m).includes('la squadra interviene domani'));
    if (!got) await new Promise((r) => setTimeout(r, 100));
  }
  check(got, 'the citizen\'s phone received the private reply');

  // --- warning, then expulsion, each with a confirmation page ---
  await g.goto(base + '/console/iscritti');
  await g.fill('#number', '+' + setup.misuser);
  await submit(g, g.locator('button', { hasText: 'Mostra i dati' }));
  await g.fill('#diffida-testo', 'Diffida: i messaggi offensivi violano le regole del canale (art. 7).');
  await submit(g, g.locator('button', { hasText: 'Invia una diffida' }));
  check((await g.textContent('h2#conferma-titolo')).includes('Confermi la diffida riservata'), 'a warning asks for confirmation first');
  await shot(g, 'iscritti-conferma-diffida');
  await axeCheck(g, 'iscritti-conferma-diffida');
  await submit(g, g.locator('button', { hasText: 'Sì, invia la diffida' }));
  check((await g.textContent('main')).includes('La diffida riservata è stata inviata'), 'the confirmed warning is sent');
  got = false;
  for (let i = 0; i < 100 && !got; i++) {
    got = (await simMessages(setup.misuser)).some((m) => JSON.stringify(m).includes('Diffida: i messaggi offensivi'));
    if (!got) await new Promise((r) => setTimeout(r, 100));
  }
  check(got, 'the warned phone received the warning');
  await g.fill('#number', '+' + setup.misuser);
  await submit(g, g.locator('button', { hasText: 'Mostra i dati' }));
  await g.fill('#estromissione-motivo', 'Messaggi offensivi ripetuti dopo la diffida.');
  await submit(g, g.locator('button', { hasText: 'Estrometti' }));
  check((await g.textContent('h2#conferma-titolo')).includes('Confermi l\'estromissione'), 'an expulsion asks for confirmation first');
  await shot(g, 'iscritti-conferma-estromissione');
  await axeCheck(g, 'iscritti-conferma-estromissione');
  await submit(g, g.locator('button', { hasText: 'Sì, estrometti il numero' }));
  check((await g.textContent('main')).includes('è stato estromesso'), 'the confirmed expulsion is done');
  await g.fill('#number', '+' + setup.misuser);
  await submit(g, g.locator('button', { hasText: 'Mostra i dati' }));
  check((await g.textContent('main')).includes('non è iscritto'), 'the expelled number is no longer a subscriber');

  // --- the WhatsApp Channel: approve, then the posting task, then "Pubblicato" ---
  await g.goto(base + '/console/approvazioni');
  const card = g.locator('article.approval', { hasText: setup.message_title });
  await Promise.all([g.waitForURL(/\/console\/messaggi/), card.locator('button', { hasText: 'Approva' }).click()]);
  await g.goto(base + '/console');
  check((await g.textContent('.todo-posts')).trim() === '1', 'the dashboard says one message waits for the Channel');
  check((await g.textContent('.todo-kept')).trim() === '0', 'the dashboard says no private message awaits a reply any more');
  await g.goto(base + '/console/canale-whatsapp');
  const task = g.locator('article.channel-task', { hasText: setup.message_title });
  check(await task.count() === 1, 'the approved message waits to be posted on the Channel');
  check((await task.locator('textarea').inputValue()).startsWith('*' + setup.message_title + '*'), 'the text to copy is ready, the title in bold');
  await shot(g, 'canale-whatsapp');
  await axeCheck(g, 'canale-whatsapp');
  await submit(g, task.locator('button', { hasText: 'Pubblicato' }));
  check((await g.textContent('main')).includes('Segnato come pubblicato'), '"Pubblicato" is recorded');
  check(await g.locator('tr.channel-posted', { hasText: setup.message_title }).count() === 1, 'the post is listed as posted, with who');
  check(await g.locator('article.channel-task', { hasText: setup.message_title }).count() === 0, 'the task is no longer waiting');
  await shot(g, 'canale-whatsapp-pubblicato');
  await axeCheck(g, 'canale-whatsapp-pubblicato');
  await g.goto(base + '/console/canale-whatsapp?lang=en');
  check(await g.locator('h1', { hasText: 'To post on the WhatsApp Channel' }).count() === 1, 'the Channel page speaks English');
  await axeCheck(g, 'canale-whatsapp-en');
  await g.goto(base + '/console?lang=it');

  // --- compose: each platform's preview follows the typing ---
  await g.goto(base + '/console/scrivi');
  check((await g.textContent('#anteprime')).includes('compare qui mentre scrive'), 'before typing, the previews say where they will appear');
  await g.fill('#category', 'avvisi');
  await g.fill('#title', 'Raccolta rifiuti');
  await g.fill('#text', 'Giovedì la raccolta della carta è anticipata a mercoledì.');
  await g.waitForFunction(() => document.querySelectorAll('#anteprime .platform-preview').length > 0, null, { timeout: 10000 });
  check((await g.textContent('#anteprime .preview-whatsapp')).includes('la raccolta della carta è anticipata'), 'the WhatsApp preview is what its connector renders');
  await shot(g, 'scrivi-anteprime');
  await axeCheck(g, 'scrivi-anteprime');

  // --- one's own second factor: set up, confirmed by a code, then asked at login ---
  const dctx = await person();
  const d = await dctx.newPage();
  await login(d, accounts.delegato);
  await d.goto(base + '/console/sicurezza');
  check((await d.textContent('.totp-state')).includes('non attivo'), 'the second factor starts off');
  await shot(d, 'sicurezza');
  await axeCheck(d, 'sicurezza');
  await submit(d, d.locator('button', { hasText: 'Attiva il secondo fattore' }));
  check(await d.locator('.totp-qr svg[role=img]').count() === 1, 'the set-up shows the QR code');
  const secret = (await d.textContent('#totp-segreto')).trim();
  check(/^[A-Z2-7]{32}$/.test(secret), 'the set-up shows the key as text');
  console.log('TOTP_SECRET ' + secret);
  await d.locator('.totp-qr svg').screenshot({ path: path.join(artifacts, 'sicurezza-qr.png') });
  await shot(d, 'sicurezza-qr-pagina');
  await axeCheck(d, 'sicurezza-qr');
  check(await d.locator('#password-attuale[type=password][autocomplete=current-password]').count() === 1, 'turning it on asks for the password too');
  await d.fill('#code', '000000' === totp(secret, Date.now() / 1000) ? '111111' : '000000');
  await d.fill('#password-attuale', password);
  await submit(d, d.locator('button', { hasText: 'Conferma e attiva' }));
  check((await d.textContent('main')).includes('codice errato'), 'a wrong first code is refused and the set-up stays');
  check((await d.textContent('#totp-segreto')).trim() === secret, 'after a wrong code the same key is shown again');
  await d.fill('#code', totp(secret, Date.now() / 1000 - 30));
  await d.fill('#password-attuale', password + 'x');
  await submit(d, d.locator('button', { hasText: 'Conferma e attiva' }));
  check((await d.textContent('#errore-sicurezza')).includes('password errata'), 'a wrong password is refused, in Italian');
  check((await d.textContent('#totp-segreto')).trim() === secret, 'after a wrong password the same key is shown again');
  await shot(d, 'sicurezza-password-errata');
  await axeCheck(d, 'sicurezza-password-errata');
  await d.fill('#code', totp(secret, Date.now() / 1000 - 30));
  await d.fill('#password-attuale', password);
  await submit(d, d.locator('button', { hasText: 'Conferma e attiva' }));
  check((await d.textContent('main')).includes('Il secondo fattore è attivo'), 'the right code turns the second factor on');
  check((await d.textContent('.totp-state')).includes('attivo') && !(await d.textContent('.totp-state')).includes('non attivo'), 'the page says it is on');
  await Promise.all([d.waitForURL(/accesso/), d.click('button.console-logout')]);
  await login(d, accounts.delegato);
  check(await d.locator('#totp').count() === 1, 'logging in now asks for the code');
  await shot(d, 'accesso-codice');
  await axeCheck(d, 'accesso-codice');
  await login(d, accounts.delegato, totp(secret, Date.now() / 1000));
  check(new URL(d.url()).pathname === '/console', 'the password and the current code log in: ' + d.url());
  await d.goto(base + '/console/sicurezza');
  await d.fill('#code', totp(secret, Date.now() / 1000 + 30));
  await d.fill('#password-attuale', password);
  await submit(d, d.locator('button', { hasText: 'Disattiva il secondo fattore' }));
  check((await d.textContent('main')).includes('Il secondo fattore è disattivato'), 'a current code turns it off');
  await d.goto(base + '/console/sicurezza?lang=en');
  check(await d.locator('h1', { hasText: 'Account security' }).count() === 1, 'the security page speaks English');
  await axeCheck(d, 'sicurezza-en');
} catch (err) {
  lib.failed(err);
}
await lib.finish(browser, 'all console checks passed');
