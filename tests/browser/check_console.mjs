// check_console.mjs - drives Debian's chromium (playwright-core) through the staff console
// of a running daemon: the whole journey (a proponente proposes, a delegato approves, the
// message reaches the simulator's phones), permission denials (403 pages), a form posted
// without its CSRF token, lockout after failed logins, a revoked delegate thrown out
// mid-session, the live policy verdicts and preview, English, use without JavaScript;
// axe-core must find no WCAG 2.1 AA violation on any console page; screenshots of every
// main page go to ARTIFACTS_DIR.
//
// Usage: node check_console.mjs SETUP.json ARTIFACTS_DIR
//   SETUP.json: {base, sim_base, password, phones: [...], accounts: {proponente, delegato,
//                gestore, revocato, bloccato}}
// Prints "MESSAGE_TEXT <text>" (the proposed text, for the caller's checks).
// Exit: 0 all good, 1 a check failed, 77 chromium cannot start (the test is skipped).
import fs from 'node:fs';

import * as lib from './lib.mjs';

const { check, axeCheck, person: personOf } = lib;
const [setupFile, artifacts] = process.argv.slice(2);
const setup = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const { base, sim_base: simBase, password, phones, accounts } = setup;
const shot = lib.screenshots(artifacts);
const browser = await lib.launch();
const person = (opts) => personOf(browser, opts);
const login = (page, name, pass = password) => lib.login(page, base, name, pass);
const simMessages = (to) => lib.simMessages(simBase, to);

const text = 'Da lunedì via Roma è chiusa per lavori alla rete idrica. Deviazioni segnalate sul posto.';
try {
  // --- the proponente: login, dashboard, compose with live verdicts, propose ---
  const pctx = await person();
  const p = await pctx.newPage();
  let resp = await p.goto(base + '/console');
  check(p.url().includes('/console/accesso'), 'without a session /console leads to the login page');
  await shot(p, 'accesso');
  await axeCheck(p, 'accesso');
  await login(p, accounts.proponente);
  check(new URL(p.url()).pathname === '/console', 'the proponente lands on the dashboard: ' + p.url());
  check(await p.locator('h1', { hasText: 'Cruscotto' }).count() === 1, 'the dashboard says "Cruscotto"');
  check(await p.locator('svg.chart polyline').count() >= 1, 'the dashboard has the SVG chart of subscribers');
  await shot(p, 'cruscotto');
  await axeCheck(p, 'cruscotto');

  await p.goto(base + '/console/scrivi');
  await p.fill('#category', 'avvisi');
  await p.fill('#title', 'Chiusura di via Roma');
  await p.fill('#text', text);
  await p.waitForFunction(() => /Consentito|Non consentito/.test(document.getElementById('verdetti').textContent), null, { timeout: 10000 });
  check((await p.textContent('#verdetti')).includes('Consentito'), 'the verdicts appear live while typing');
  check((await p.textContent('#anteprima')).includes('via Roma è chiusa'), 'the WhatsApp preview follows the text');
  await shot(p, 'scrivi');
  await axeCheck(p, 'scrivi');
  await Promise.all([p.waitForURL(/\/console\/messaggi/), p.click('button[value=proponi]')]);
  check((await p.textContent('main')).includes('proposto per l'), 'proposing says the message awaits approval');
  await shot(p, 'messaggi');
  await axeCheck(p, 'messaggi');

  // --- permission denials ---
  for (const [url, label] of [['/console/staff', 'staff'], ['/console/registro', 'registro'], ['/console/approvazioni', 'approvazioni']]) {
    resp = await p.goto(base + url);
    check(resp.status() === 403, `a proponente opening ${url} gets 403 (got ${resp.status()})`);
    check((await p.textContent('h1')).includes('Accesso negato'), `the 403 page of ${url} says "Accesso negato"`);
  }
  await shot(p, 'negato-403');
  await axeCheck(p, 'negato-403');

  // --- CSRF: the same form posted without the token changes nothing ---
  await p.goto(base + '/console/scrivi');
  const csrfStatus = await p.evaluate(async () => {
    const body = new URLSearchParams({ category: 'avvisi', title: 'SENZA TOKEN', text: 'Un modulo senza token CSRF.', azione: 'proponi' });
    const r = await fetch('/console/scrivi', { method: 'POST', body, credentials: 'same-origin' });
    return [r.status, await r.text()];
  });
  check(csrfStatus[0] === 403 && csrfStatus[1].includes('CSRF'), `a form posted without the CSRF token gets 403 (got ${csrfStatus[0]})`);
  const staffCsrf = await p.evaluate(async () => {
    const r = await fetch('/console/staff/anna.proponente/revoca', { method: 'POST', body: new URLSearchParams({ csrf_token: '0'.repeat(64) }) });
    return r.status;
  });
  check(staffCsrf === 403, 'a revocation with a wrong token is refused (403)');
  console.log('MESSAGE_TEXT ' + text);

  // --- the delegato approves ---
  const dctx = await person();
  const d = await dctx.newPage();
  await login(d, accounts.delegato);
  await d.goto(base + '/console/approvazioni');
  check(await d.locator('article.approval', { hasText: 'Chiusura di via Roma' }).count() === 1, 'the delegato sees the proposal in the queue');
  await shot(d, 'approvazioni');
  await axeCheck(d, 'approvazioni');
  const card = d.locator('article.approval', { hasText: 'Chiusura di via Roma' });
  await Promise.all([d.waitForURL(/\/console\/messaggi/), card.locator('button', { hasText: 'Approva' }).click()]);
  check((await d.textContent('main')).includes('approvato'), 'approving says the message was approved');
  let reached = [];
  for (let i = 0; i < 100; i++) {
    reached = [];
    for (const to of phones) {
      const msgs = await simMessages(to);
      if (msgs.some((m) => JSON.stringify(m).includes('via Roma è chiusa'))) reached.push(to);
    }
    if (reached.length === phones.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(reached.length === phones.length, `the message reached every phone of the simulator (${reached.length}/${phones.length})`);
  await d.goto(base + '/console/messaggi');
  await d.waitForTimeout(300);
  check(await d.locator('tr.msg-sent', { hasText: 'Chiusura di via Roma' }).count() === 1, 'the messages list shows it as sent');

  // --- an update: the compose form offers the sent message as "sostituisce il messaggio" ---
  await p.goto(base + '/console/scrivi');
  const replaceOpt = p.locator('#replaces option', { hasText: 'Chiusura di via Roma' });
  check(await replaceOpt.count() === 1, 'the compose form offers the sent message to replace');
  if (await replaceOpt.count() === 1) {
    await p.selectOption('#replaces', await replaceOpt.getAttribute('value'));
    await p.fill('#category', 'avvisi');
    await p.fill('#title', 'Via Roma riaperta');
    await p.fill('#text', 'I lavori sono finiti in anticipo: via Roma è di nuovo aperta al traffico.');
    await shot(p, 'scrivi-aggiornamento');
    await axeCheck(p, 'scrivi-aggiornamento');
    await Promise.all([p.waitForURL(/\/console\/messaggi/), p.click('button[value=proponi]')]);
    check((await p.textContent('main')).includes('proposto per l'), 'the update is proposed like any message');
  }
  await d.goto(base + '/console');
  await d.waitForFunction(() => document.querySelectorAll('#progressi progress').length > 0, null, { timeout: 8000 }).catch(() => {});
  check(await d.locator('#progressi progress').count() >= 1, 'the dashboard shows the broadcast\'s progress bar');
  await shot(d, 'cruscotto-invio');
  await axeCheck(d, 'cruscotto-invio');

  // subscribers: counts; show and export one number on request
  await d.goto(base + '/console/iscritti');
  await shot(d, 'iscritti');
  await axeCheck(d, 'iscritti');
  await d.fill('#number', '+' + phones[0]);
  await Promise.all([d.waitForLoadState('load'), d.click('button:has-text("Mostra i dati")')]);
  check((await d.textContent('main')).includes('Dati conservati'), 'showing a subscriber\'s data on request');
  await shot(d, 'iscritti-dati');
  await axeCheck(d, 'iscritti-dati');
  await d.fill('#number', '+' + phones[0]);
  const [download] = await Promise.all([d.waitForEvent('download'), d.click('button:has-text("Esporta")')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  check(exported.number === '+' + phones[0] || exported.number === phones[0], 'the export holds the person\'s own data');

  // --- the gestore: staff, audit log with its verification, revoking a delegate ---
  const ectx = await person();
  const e = await ectx.newPage();
  await login(e, accounts.revocato);
  check(new URL(e.url()).pathname === '/console', 'the second delegate is logged in');

  const gctx = await person();
  const g = await gctx.newPage();
  await login(g, accounts.gestore);
  await g.goto(base + '/console/staff');
  check(await g.locator('td code', { hasText: accounts.delegato }).count() === 1, 'the staff page lists the accounts');
  await shot(g, 'staff');
  await axeCheck(g, 'staff');
  const row = g.locator('tr', { has: g.locator('code', { hasText: accounts.revocato }) });
  await Promise.all([g.waitForLoadState('load'), row.locator('button', { hasText: 'Revoca' }).click()]);
  await g.goto(base + '/console/staff');
  check(await g.locator('tr', { has: g.locator('code', { hasText: accounts.revocato }) }).locator('text=non attivo').count() === 1,
    'the revoked delegate is shown as not active');
  await e.goto(base + '/console/messaggi');
  check(e.url().includes('/console/accesso'), 'the revoked delegate\'s next click lands on the login page: ' + e.url());

  await g.goto(base + '/console/registro');
  await Promise.all([g.waitForLoadState('load'), g.click('button:has-text("Verifica")')]);
  check((await g.textContent('#esito-verifica')).includes('integro'), 'the audit verification says the log is intact');
  check((await g.textContent('main')).includes('staff.revoke'), 'the audit log shows the revocation');
  await shot(g, 'registro');
  await axeCheck(g, 'registro');

  // English
  await g.goto(base + '/console?lang=en');
  check(await g.locator('h1', { hasText: 'Dashboard' }).count() === 1, 'the console speaks English with ?lang=en');
  await axeCheck(g, 'cruscotto-en');
  await shot(g, 'cruscotto-en');
  await g.goto(base + '/console/staff');
  check(await g.locator('h1', { hasText: 'Staff and roles' }).count() === 1, 'the language is remembered');
  await g.goto(base + '/console?lang=it');

  // --- without JavaScript: the verdicts after a submit ---
  const nctx = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT', viewport: { width: 390, height: 844 } });
  const n = await nctx.newPage();
  await login(n, accounts.gestore);
  await n.goto(base + '/console/scrivi');
  await n.fill('#category', 'avvisi');
  await n.fill('#text', 'Prova senza JavaScript.');
  await Promise.all([n.waitForLoadState('load'), n.click('button[value=verifica]')]);
  check((await n.textContent('#verdetti')).includes('Consentito'), 'without JavaScript the verdicts show after submit');
  check((await n.inputValue('#text')) === 'Prova senza JavaScript.', 'the text typed is kept');
  await shot(n, 'scrivi-senza-js');

  // --- lockout after failed logins ---
  const lctx = await person();
  const l = await lctx.newPage();
  for (let i = 0; i < 5; i++) await login(l, accounts.bloccato, 'password-sbagliata-' + i);
  check((await l.textContent('main')).includes('errati'), 'a wrong password says so');
  await login(l, accounts.bloccato, password);
  check((await l.textContent('main')).includes('bloccato per 15 minuti'), 'after 5 failures even the right password meets the lock');
  check(!new URL(l.url()).pathname.endsWith('/console') || l.url().includes('accesso'), 'the locked account is not logged in');
  await shot(l, 'accesso-bloccato');
  await axeCheck(l, 'accesso-bloccato');

  // logout
  await Promise.all([p.waitForURL(/accesso/), p.click('button.console-logout')]);
  await p.goto(base + '/console');
  check(p.url().includes('/console/accesso'), 'after logging out the console asks to log in again');
} catch (err) {
  lib.failed(err);
}
await lib.finish(browser, 'all console checks passed');
