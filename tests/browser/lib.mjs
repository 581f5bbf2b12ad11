// lib.mjs - what the browser checks share: Debian's chromium launched through
// playwright-core (or exit 77, the test skipped, when it cannot start), the checks and
// their tally, axe-core's WCAG 2.1 AA scan, screenshots, a person's browser context,
// logging in to the console, the simulator's phones, and the ending that prints the
// tally and exits 0 or 1.
//
// The npm packages are the ones in tests/package.json (tests/node_modules).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'package.json'));
const { chromium } = require('playwright-core');

// The failed checks so far, by what they checked.
export const failures = [];
let quiet = false;

// Prints only the failed checks (a run of hundreds of checks, as check_public.mjs makes).
export function quietChecks() {
  quiet = true;
}

export function check(cond, what) {
  if (!cond) {
    failures.push(what);
    console.log('FAIL ' + what);
  } else if (!quiet) {
    console.log('ok   ' + what);
  }
}

// An exception that ends a check script's run counts as a failed check.
export function failed(err) {
  const text = err && err.stack ? err.stack : String(err);
  failures.push('exception: ' + text);
  console.log('FAIL exception: ' + text);
}

function chromiumPath() {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && fs.existsSync(p)) return p;
  }
  return null;
}

// Chromium, or exit 77 (the caller skips the test) when it cannot start.
export async function launch() {
  try {
    const exe = chromiumPath();
    if (!exe) throw new Error('no chromium executable');
    return await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] });
  } catch (e) {
    console.log('SKIP: chromium cannot start: ' + e.message);
    process.exit(77);
  }
}

let axeSource = null;

// axe-core on the page as it is now: a failed check per page with any WCAG 2.1 A or AA
// violation, the first three elements of each printed.
export async function axeCheck(page, label) {
  if (!axeSource) axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  for (const v of result.violations) {
    console.log(`  axe ${label}: ${v.id} (${v.impact}) ${v.help}: ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  }
  check(result.violations.length === 0, `${label}: axe-core reports ${result.violations.length} WCAG 2.1 AA violation(s)`);
}

// shot(page, name) saves the whole page as ARTIFACTS/name.png; the folder is made here.
export function screenshots(artifacts) {
  fs.mkdirSync(artifacts, { recursive: true });
  return async (page, name) => {
    await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
  };
}

// A context as one person's browser, in Italian. The console's CSP forbids inline
// scripts, so axe (injected inline) needs bypassCSP; the pages' own scripts are files.
export async function person(browser, opts = {}) {
  return browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 }, bypassCSP: true, ...opts });
}

// Logs in to the console at `base` as `name`. With `code` (the second factor's), the
// page is the one that asked for it: its form now has the code's field as well.
export async function login(page, base, name, password, code) {
  if (!code) await page.goto(base + '/console/accesso');
  await page.fill('#name', name);
  await page.fill('#password', password);
  if (code) await page.fill('#totp', code);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
}

// What the simulator's phone `to` has received.
export async function simMessages(simBase, to) {
  const r = await fetch(`${simBase}/sim/messages?to=${to}`);
  return (await r.json()).messages;
}

// Closes the browser, prints the tally and exits: 0 when every check passed, else 1.
export async function finish(browser, passed) {
  await browser.close();
  console.log(failures.length ? `${failures.length} check(s) failed` : passed);
  process.exit(failures.length ? 1 : 0);
}
