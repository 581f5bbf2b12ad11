// check_desk.mjs - drives Debian's chromium (playwright-core) through the console pages of
// the front desk and the join queue (issue 8, items 3 and 5): the enrollment form (an
// error in Italian, then a request that reaches the simulator's phone as a template), the
// printable consent form (one A4 page in print, nothing of the console around it, the
// policy's version on it, English), the queue "Richieste di iscrizione" (numbers in full
// for a gestore, masked for a delegato; approve and refuse). axe-core must find no WCAG
// 2.1 AA violation on any page; screenshots and the form's PDF go to ARTIFACTS_DIR.
//
// Usage: node check_desk.mjs SETUP.json ARTIFACTS_DIR
//   SETUP.json: {base, sim_base, password, gestore, delegato, desk_phone, queued: [..]}
// Exit: 0 all good, 1 a check failed, 77 chromium cannot start (the test is skipped).
import fs from 'node:fs';
import path from 'node:path';

import * as lib from './lib.mjs';

const { check, axeCheck } = lib;
const [setupFile, artifacts] = process.argv.slice(2);
const setup = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const { base, sim_base: simBase, password, gestore, delegato, desk_phone: deskPhone, queued } = setup;
const shot = lib.screenshots(artifacts);
const browser = await lib.launch();
const person = () => lib.person(browser);
const login = (page, name) => lib.login(page, base, name, password);
const simMessages = (to) => lib.simMessages(simBase, to);

try {
  const gctx = await person();
  const g = await gctx.newPage();
  await login(g, gestore);
  check(await g.locator('nav.site-nav a', { hasText: 'Sportello' }).count() === 1, 'the navigation has "Sportello"');
  check(await g.locator('nav.site-nav a', { hasText: 'Richieste di iscrizione' }).count() === 1, 'the navigation has "Richieste di iscrizione"');

  // --- the front desk: an error, then a request ---
  await g.goto(base + '/console/sportello');
  check(await g.locator('h1', { hasText: 'Iscrizione allo sportello' }).count() === 1, 'the front-desk page');
  await shot(g, 'sportello');
  await axeCheck(g, 'sportello');
  await g.fill('#number', '+' + deskPhone);
  await g.fill('#form_number', 'URP-2026-041');
  // a date in the future: the input's max stops a browser, so the form is posted as typed
  await g.evaluate(() => { document.getElementById('form_date').removeAttribute('max'); });
  await g.fill('#form_date', '2099-01-01');
  let resp;
  [resp] = await Promise.all([g.waitForNavigation(), g.click('button:has-text("Invia la richiesta")')]);
  check(resp.status() === 422, `a date in the future is refused with 422 (got ${resp.status()})`);
  check((await g.textContent('#errore-sportello')).includes('nel futuro'), 'the error says, in Italian, the date is in the future');
  check((await g.inputValue('#form_number')) === 'URP-2026-041', 'the form keeps what was typed');
  await shot(g, 'sportello-errore');
  await axeCheck(g, 'sportello-errore');
  check((await simMessages(deskPhone)).length === 0, 'nothing was sent to the citizen after the error');
  await g.fill('#form_date', new Date().toISOString().slice(0, 10));
  [resp] = await Promise.all([g.waitForNavigation(), g.click('button:has-text("Invia la richiesta")')]);
  check(resp.status() === 200, `a good request is accepted (got ${resp.status()})`);
  check((await g.textContent('main')).includes('Richiesta inviata'), 'the page says the request was sent');
  let got = [];
  for (let i = 0; i < 100 && got.length === 0; i++) {
    got = await simMessages(deskPhone);
    if (!got.length) await new Promise((r) => setTimeout(r, 100));
  }
  check(got.length === 1 && got[0].type === 'template', 'the citizen receives the question as a template: ' + JSON.stringify(got[0] || {}).slice(0, 200));
  await shot(g, 'sportello-inviata');
  await axeCheck(g, 'sportello-inviata');

  // --- the printable consent form ---
  await g.goto(base + '/console/modulo');
  const body = await g.textContent('article.consent-form');
  check(body.includes('Richiesta di iscrizione al canale'), 'the form has its title');
  check(body.includes('WhatsConcorezzo') && body.includes('Comune di Concorezzo'), 'the form names the comune and the channel');
  check(/[0-9a-f]{64}/.test(body), 'the form shows the policy and notice version (SHA-256)');
  check(body.includes('Firma del richiedente'), 'the form has the signature');
  await shot(g, 'modulo');
  await axeCheck(g, 'modulo');
  await g.emulateMedia({ media: 'print' });
  await g.setViewportSize({ width: 674, height: 900 }); // A4's 210 mm less the margins, at 96 dpi
  await g.setViewportSize({ width: 674, height: 1032 });
  console.log('  print height of the page: ' + await g.evaluate(() => JSON.stringify({
    doc: document.documentElement.scrollHeight, body: Math.round(document.body.getBoundingClientRect().height),
    main: Math.round(document.querySelector('main').getBoundingClientRect().bottom),
    tall: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().bottom > 1000).map((e) => e.tagName + '.' + e.className).slice(0, 5),
  })) + ' (one A4 page holds about 1040 px)');
  await g.setViewportSize({ width: 1280, height: 900 });
  check(!(await g.isVisible('header.it-header-wrapper')), 'in print the console header is hidden');
  check(!(await g.isVisible('.no-print')), 'in print the instructions are hidden');
  // page.pdf() prints with the emulated media: print, as a browser's Print command does
  const pdf = await g.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  fs.writeFileSync(path.join(artifacts, 'modulo.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  check(pages === 1, `the consent form prints on one page (got ${pages})`);
  const box = pdf.toString('latin1').match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  check(box && Math.abs(parseFloat(box[1]) - 595.92) < 2 && Math.abs(parseFloat(box[2]) - 842.88) < 2,
    'the page is A4 (595 x 842 points): ' + (box ? box[1] + ' x ' + box[2] : 'no MediaBox'));
  await g.emulateMedia({ media: 'screen' });
  await g.goto(base + '/console/modulo?lang=en');
  check((await g.textContent('article.consent-form')).includes('Request to join the channel'), 'the form in English');
  await axeCheck(g, 'modulo-en');
  await g.goto(base + '/console?lang=it');

  // --- the queue: a gestore sees numbers in full, approves one ---
  await g.goto(base + '/console/richieste');
  const table = await g.textContent('main');
  check(table.includes('+' + queued[0]) && table.includes('+' + queued[1]), 'the gestore sees the queued numbers in full');
  await shot(g, 'richieste');
  await axeCheck(g, 'richieste');
  const row = g.locator('tr', { hasText: '+' + queued[0] });
  [resp] = await Promise.all([g.waitForNavigation(), row.locator('button', { hasText: 'Approva' }).click()]);
  check((await g.textContent('main')).includes('Richiesta approvata'), 'approving says so');
  check(!(await g.textContent('main')).includes('+' + queued[0]), 'the approved request left the queue');
  let welcomed = false;
  for (let i = 0; i < 100 && !welcomed; i++) {
    welcomed = (await simMessages(queued[0])).some((m) => JSON.stringify(m).includes('benvenuto'));
    if (!welcomed) await new Promise((r) => setTimeout(r, 100));
  }
  check(welcomed, 'the approved citizen is welcomed');
  await shot(g, 'richieste-approvata');

  // --- a delegato sees them masked, refuses one ---
  const dctx = await person();
  const d = await dctx.newPage();
  await login(d, delegato);
  await d.goto(base + '/console/richieste');
  const masked = await d.textContent('main');
  check(!masked.includes('+' + queued[1]) && masked.includes(queued[1].slice(-2)), 'the delegato sees the number masked');
  check(masked.includes('mascherati'), 'the page says numbers are masked');
  await shot(d, 'richieste-delegato');
  await axeCheck(d, 'richieste-delegato');
  [resp] = await Promise.all([d.waitForNavigation(), d.locator('tr', { hasText: queued[1].slice(-2) }).locator('button', { hasText: 'Respingi' }).click()]);
  check((await d.textContent('main')).includes('Richiesta respinta'), 'refusing says so');
  check((await d.textContent('main')).includes('Nessuna richiesta in attesa'), 'the queue is empty');
  await shot(d, 'richieste-vuota');
  await axeCheck(d, 'richieste-vuota');
  // a form without its CSRF token changes nothing
  const csrf = await d.evaluate(async () => {
    const r = await fetch('/console/sportello', { method: 'POST', body: new URLSearchParams({ number: '+393330006999', form_number: 'X', form_date: '2026-01-01' }) });
    return r.status;
  });
  check(csrf === 403, `an enrollment posted without the CSRF token gets 403 (got ${csrf})`);
} catch (err) {
  lib.failed(err);
}
await lib.finish(browser, 'all desk checks passed');
