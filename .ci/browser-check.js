// Loads a report page in Chromium and checks it renders cleanly (see browser-check).
const { chromium } = require('playwright-core');
const [page_path, shot] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems = [];
  page.on('console', m => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  page.on('pageerror', e => problems.push('page error: ' + e.message));
  page.on('requestfailed', r => problems.push('request failed: ' + r.url()));
  page.on('request', r => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push('network request: ' + r.url()); });
  const t0 = Date.now();
  await page.goto('file://' + page_path, { waitUntil: 'load' });
  const ms = Date.now() - t0;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const svgs = await page.evaluate(() => [...document.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().height > 0).length);
  await page.screenshot({ path: shot, fullPage: true });
  await browser.close();
  console.log(`${page_path}: loaded in ${ms} ms, ${height} px tall, ${svgs} figures drawn; screenshot ${shot}`);
  if (height <= 0) problems.push('page has zero height');
  if (svgs === 0) problems.push('no figure was drawn');
  if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
})().catch(e => { console.error(e); process.exit(1); });
