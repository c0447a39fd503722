// The playground in a real browser (Debian's chromium, driven by playwright-core):
// it loads with a rendered push, renders what is typed, underlines an error where it
// is, and shows the SMS checks. Run by tests/serve_playground.rs as
// `node browser.cjs BASE_URL SCREENSHOT_DIR`; exits non-zero on the first failure.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, shots] = process.argv.slice(2);
const TIMEOUT = 10_000;

function check(condition, what) {
  if (!condition) throw new Error(`playground: ${what}`);
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-liquid-chromium-'));
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    await page.goto(base, { waitUntil: 'load' });

    // It starts with the coupon push rendered for a sample record.
    const title = page.locator('[data-output="title"]');
    await title.filter({ hasText: 'A coupon for you, Sample Name' }).waitFor({ timeout: TIMEOUT });
    await page.locator('#status.rendered').waitFor({ timeout: TIMEOUT });
    check((await page.locator('.meter').count()) === 2, 'two push payload meters');

    // What is typed renders.
    const editor = page.locator('#field-title');
    await editor.fill('');
    await editor.pressSequentially('Hi {{ Profile.Name | upcase }}, {{ Event["Coupon Code"] }} is yours', { delay: 5 });
    await title.filter({ hasText: 'Hi SAMPLE NAME, Sample Coupon Code is yours' }).waitFor({ timeout: TIMEOUT });

    // A misspelt property is underlined where it is, and listed.
    await editor.fill('Hi {{ Profile.Name | upcase }}, {{ Event["Coupon Cod"] }} is yours');
    const mark = page.locator('.field:has(#field-title) mark.diag.error');
    await mark.waitFor({ timeout: TIMEOUT });
    const marked = await mark.textContent();
    check(marked === 'Event["Coupon Cod"]', `the underline covers Event["Coupon Cod"], not ${JSON.stringify(marked)}`);
    const listed = await page.locator('#diagnostics li.error').first().textContent();
    check(listed.includes('unknown_property') && listed.includes('Coupon Code'), `the finding is listed: ${listed}`);
    await page.screenshot({ path: path.join(shots, 'playground-lint.png'), fullPage: true });

    // An unknown filter fails the render, underlined at its place.
    await editor.fill('Hi {{ Profile.Name | upcasee }}');
    await page.locator('#status.failed').waitFor({ timeout: TIMEOUT });
    const filterMark = await mark.textContent();
    check(filterMark.includes('upcasee'), `the unknown filter is underlined: ${JSON.stringify(filterMark)}`);

    // Back to a good title: the screenshot kept as the CI artifact shows a rendered push.
    await editor.fill('Hi {{ Profile.Name | default: "friend" }}, a coupon for you 🎁');
    await title.filter({ hasText: 'Hi Sample Name, a coupon for you 🎁' }).waitFor({ timeout: TIMEOUT });
    await page.locator('#status.rendered').waitFor({ timeout: TIMEOUT });
    await page.locator('.field mark.diag.error').waitFor({ state: 'detached', timeout: TIMEOUT });
    await page.screenshot({ path: path.join(shots, 'playground.png'), fullPage: true });

    // An SMS shows its encoding, segments and the characters that forced UCS-2.
    await page.selectOption('#channel', 'sms');
    const body = page.locator('#field-body');
    await body.fill('Your points are in 🎉');
    const sms = page.locator('#sms-encoding');
    await sms.filter({ hasText: 'UCS-2' }).waitFor({ timeout: TIMEOUT });
    const line = await sms.textContent();
    check(line.includes("'🎉' (U+1F389)") && line.includes('1 segment'), `the SMS line: ${line}`);
    await page.screenshot({ path: path.join(shots, 'playground-sms.png'), fullPage: true });

    check(problems.length === 0, problems.join('; '));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => console.log('playground: all browser checks passed'),
  (e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  },
);
