// check_public.mjs - drives Debian's chromium (playwright-core) over the public pages of
// running daemons and checks what a citizen sees: every page renders, axe-core finds no
// WCAG 2.1 AA violation, the QR codes decode (zbarimg) to the right links, the poster
// prints to exactly one A4 page, pages work without JavaScript, and the feeds parse
// with a real feed parser (rss-parser).
//
// Usage: node check_public.mjs SITES.json ARTIFACTS_DIR
//   SITES.json: [{name, base, wa_link, channel_url, telegram_link, email_to,
//                 ids: {normal, alert, update, draft, ...}, secret}]
//   email_to: when set, the page's e-mail form is posted without JavaScript with this
//   address (the caller checks that the confirmation mail arrived).
// Exit: 0 all good, 1 a check failed, 77 chromium cannot start (the test is skipped).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import * as lib from './lib.mjs';

const { check, axeCheck } = lib;
const Parser = lib.require('rss-parser');

const [sitesFile, artifacts] = process.argv.slice(2);
const sites = JSON.parse(fs.readFileSync(sitesFile, 'utf8'));
const shot = lib.screenshots(artifacts);
lib.quietChecks(); // hundreds of checks: only the failed ones are printed
const browser = await lib.launch();

function zbar(file) {
  try {
    return execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8' }).trim();
  } catch (e) {
    return '';
  }
}

async function decodeElement(page, selector, file) {
  const el = await page.$(selector);
  if (!el) return null;
  await el.screenshot({ path: file });
  return zbar(file);
}

const parser = new Parser();
const ctx = await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 } });
const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });

for (const site of sites) {
  const page = await ctx.newPage();
  const pages = [
    ['canale', '/'], ['canale-en', '/?lang=en'], ['archivio', '/archivio'],
    ['archivio-p2', '/archivio?pagina=2'], ['archivio-cerca', '/archivio?q=via+roma'],
    ['messaggio', `/archivio/${site.ids.normal}`], ['allerta', `/archivio/${site.ids.alert}`],
    ['scaduto', `/archivio/${site.ids.expired}`], ['aggiornamento', `/archivio/${site.ids.update}`],
    ['policy', '/policy'],
    ['informativa', '/informativa'], ['informativa-en', '/informativa?lang=en'], ['poster', '/poster'],
  ];
  for (const [name, url] of pages) {
    const label = `${site.name} ${url}`;
    const resp = await page.goto(site.base + url);
    check(resp && resp.status() === 200, `${label}: status ${resp && resp.status()}`);
    check(await page.locator('h1').count() === 1 || name === 'poster', `${label}: one h1`);
    const text = await page.locator('body').innerText();
    check(!text.includes(site.secret), `${label}: shows a draft or unsent message`);
    check(!(await page.content()).includes('<script>alert'), `${label}: unescaped markup`);
    await axeCheck(page, label);
    await shot(page, `${site.name}-${name}`);
  }
  // Stylesheets come from our own server and load (no CDN).
  await page.goto(site.base + '/');
  const sheets = await page.evaluate(() => [...document.styleSheets].map((s) => s.href || ''));
  check(sheets.length >= 2 && sheets.every((h) => h.startsWith(site.base)), `${site.name}: stylesheets from our own server: ${sheets}`);
  const styled = await page.evaluate(() => getComputedStyle(document.querySelector('.it-header-center-wrapper')).backgroundColor);
  check(styled !== 'rgba(0, 0, 0, 0)', `${site.name}: Bootstrap Italia applied (header background ${styled})`);

  // The English page is English.
  await page.goto(site.base + '/?lang=en');
  check((await page.getAttribute('html', 'lang')) === 'en', `${site.name}: lang=en`);
  check((await page.locator('body').innerText()).includes('How to join'), `${site.name}: English text`);

  // QR codes decode to the right links.
  await page.goto(site.base + '/');
  if (site.wa_link) {
    const got = await decodeElement(page, '#qr-whatsapp svg', path.join(artifacts, `${site.name}-qr-whatsapp.png`));
    check(got === site.wa_link, `${site.name}: WhatsApp QR decodes to ${JSON.stringify(got)}, want ${site.wa_link}`);
    const href = await page.locator('a.btn-primary').first().getAttribute('href');
    check(href === site.wa_link, `${site.name}: click-to-chat link ${href}`);
  }
  if (site.channel_url) {
    const got = await decodeElement(page, '#qr-canale svg', path.join(artifacts, `${site.name}-qr-canale.png`));
    check(got === site.channel_url, `${site.name}: Channel QR decodes to ${JSON.stringify(got)}, want ${site.channel_url}`);
  }
  if (site.telegram_link) {
    const got = await decodeElement(page, '#qr-telegram svg', path.join(artifacts, `${site.name}-qr-telegram.png`));
    check(got === site.telegram_link, `${site.name}: Telegram QR decodes to ${JSON.stringify(got)}, want ${site.telegram_link}`);
    const href = await page.locator('#join-telegram a.btn-primary').getAttribute('href');
    check(href === site.telegram_link, `${site.name}: Telegram link ${href}`);
  } else {
    check(await page.locator('#join-telegram').count() === 0, `${site.name}: a Telegram section without Telegram`);
  }
  // The push button stays hidden where the browser cannot subscribe (headless chromium
  // without a push service still has PushManager: the button shows), never an error.
  if (await page.locator('#join-push').count()) {
    check(await page.locator('#join-push noscript').count() === 1, `${site.name}: push explanation for no-JS`);
  }

  // The poster: exactly one A4 page, and its QR code decodes too.
  await page.goto(site.base + '/poster');
  if (site.wa_link) {
    const got = await decodeElement(page, '#poster-qr-whatsapp svg', path.join(artifacts, `${site.name}-poster-qr.png`));
    check(got === site.wa_link, `${site.name}: poster QR decodes to ${JSON.stringify(got)}`);
  }
  if (site.telegram_link) {
    const got = await decodeElement(page, '#poster-qr-telegram svg', path.join(artifacts, `${site.name}-poster-qr-telegram.png`));
    check(got === site.telegram_link, `${site.name}: poster Telegram QR decodes to ${JSON.stringify(got)}`);
  }
  if (site.channel_url) {
    const got = await decodeElement(page, '#poster-qr-canale svg', path.join(artifacts, `${site.name}-poster-qr-canale.png`));
    check(got === site.channel_url, `${site.name}: poster Channel QR decodes to ${JSON.stringify(got)}`);
  }
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  fs.writeFileSync(path.join(artifacts, `${site.name}-poster.pdf`), pdf);
  const pageCount = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  check(pageCount === 1, `${site.name}: poster prints to ${pageCount} pages, want 1`);
  const box = pdf.toString('latin1').match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  check(box && Math.abs(parseFloat(box[1]) - 595.9) < 2 && Math.abs(parseFloat(box[2]) - 842.9) < 2,
    `${site.name}: poster page is A4 (MediaBox ${box && box.slice(1)})`);
  await page.emulateMedia({ media: 'screen' });
  await page.close();

  // Without JavaScript, on a phone: join link, search form and pagination work.
  const p2 = await noJs.newPage();
  await p2.goto(site.base + '/');
  if (site.wa_link) check(await p2.locator(`a[href="${site.wa_link}"]`).count() >= 1, `${site.name}: no-JS join link`);
  if (site.telegram_link) check(await p2.locator(`a[href="${site.telegram_link}"]`).count() >= 1, `${site.name}: no-JS Telegram link`);
  if (await p2.locator('[data-banditore-push]').count()) {
    check(!(await p2.locator('[data-banditore-push]').isVisible()), `${site.name}: push button hidden without JavaScript`);
    check(await p2.locator('.push-nojs').isVisible(), `${site.name}: push explanation shown without JavaScript`);
  }
  if (site.email_to) {
    // The e-mail form works without JavaScript: a plain POST, answered with a page.
    await p2.fill('#email-address', site.email_to);
    const [resp] = await Promise.all([p2.waitForNavigation(), p2.click('#join-email button[type=submit]')]);
    check(resp && resp.status() === 202, `${site.name}: no-JS e-mail form status ${resp && resp.status()}`);
    check((await p2.locator('body').innerText()).includes('Le abbiamo inviato un messaggio'),
      `${site.name}: no-JS e-mail form answer`);
    await shot(p2, `${site.name}-mobile-email`);
  }
  await p2.goto(site.base + '/archivio');
  await p2.fill('#q', 'via roma');
  await Promise.all([p2.waitForNavigation(), p2.press('#q', 'Enter')]);
  check(p2.url().includes('q=via+roma') && (await p2.locator('article').count()) >= 1, `${site.name}: no-JS search finds the message (${p2.url()})`);
  await p2.goto(site.base + '/archivio');
  await Promise.all([p2.waitForNavigation(), p2.click('a[rel=next]')]);
  check(p2.url().includes('pagina=2'), `${site.name}: no-JS next page`);
  await shot(p2, `${site.name}-mobile-archivio`);
  await p2.close();

  // Feeds, through a real parser.
  for (const f of ['/feed.rss', '/feed.atom', `/categoria/${site.category}.atom`, `/categoria/${site.category}.rss`]) {
    try {
      const feed = await parser.parseURL(site.base + f);
      check(feed.items.length > 0, `${site.name} ${f}: no items`);
      check(feed.items.some((i) => i.title === 'Chiusura di via Roma per lavori'), `${site.name} ${f}: the sent message is missing`);
      check(!feed.items.some((i) => (i.title || '').includes(site.secret)), `${site.name} ${f}: a draft is in the feed`);
      check(feed.items.every((i) => i.link && i.link.includes('/archivio/')), `${site.name} ${f}: items link to permalinks`);
    } catch (e) {
      check(false, `${site.name} ${f}: rss-parser failed: ${e.message}`);
    }
  }
  const jf = await (await fetch(site.base + '/feed.json')).json();
  check(jf.version === 'https://jsonfeed.org/version/1.1' && jf.items.length > 0 &&
    jf.items.every((i) => i.id && i.url && (i.content_text || i.content_html)), `${site.name}: JSON Feed 1.1 shape`);
}

await lib.finish(browser, 'all browser checks passed');
