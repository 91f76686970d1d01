'use strict';
// The stats page in headless Chromium (Debian's chromium via playwright-core): it renders the
// real state (UP and DOWN servers, check status, live counters), the drain button works with
// admin credentials (and is refused without), and a screenshot shows the state colours.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { needs, requires } = require('../../helpers/env');
const { backend, balancer, request, waitFor, lbhttp } = require('../../labs/lb-http/lab');
const { decodePng, countColor } = require('../../labs/lb-http/png');
const { freePort } = require('../../helpers/net');

const chromiumPath = '/usr/bin/chromium';
const ntest = needs(test, [{ what: 'chromium (apt-get install chromium)', ok: () => fs.existsSync(chromiumPath) }]);

const UP = [0xc0, 0xff, 0xc0];
const DOWN = [0xff, 0x90, 0x90];
const DRAIN = [0xa0, 0xa0, 0xff];

ntest('stats page shows live state; drain is admin-only; the screenshot has the state colours', async (t) => {
  const { chromium } = require('playwright-core');
  const web1 = await backend('web1');
  t.teardown(() => web1.close());
  const dead = await freePort();
  const lb = await balancer({
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app' } },
    backend: { app: { server: { web1: `127.0.0.1:${web1.port} check`, web2: `127.0.0.1:${dead} check` }, 'http-check': { inter: '200ms', fall: 1 } } },
  });
  t.teardown(() => lb.close());
  const stats = new lbhttp.StatsServer(lb.lb, { address: '127.0.0.1', port: 0, refreshSecs: 0.3, admin: { user: 'admin', password: 's3cret' } });
  const where = await stats.listen();
  t.teardown(() => stats.close());
  const url = `http://127.0.0.1:${where.port}/`;
  t.true(await waitFor(() => lb.lb.runtime().backends.get('app').pool.get('web2').state === 'down', 5000));

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1500, height: 700 },
    httpCredentials: { username: 'admin', password: 's3cret' },
  });
  t.teardown(async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  const row = (name) => page.locator(`tr.server[data-name="${name}"]`);
  await row('web1').waitFor();
  t.is(await row('web1').locator('td.status').textContent(), 'UP');
  t.is(await row('web2').locator('td.status').textContent(), 'DOWN');
  t.regex(await row('web1').locator('td.check').textContent(), /^L4OK connected in \d+ms$/);
  t.regex(await row('web2').locator('td.check').textContent(), /^L4CON ECONNREFUSED/);
  t.is(await page.locator('#fe-web caption').textContent().then((s) => /frontend web \(127\.0\.0\.1:\d+\)/.test(s)), true);

  // Live refresh: traffic shows up without reloading the page.
  for (let i = 0; i < 7; i++) await request(lb.port, { path: `/t${i}` });
  await page.waitForFunction(() => document.querySelector('tr.server[data-name="web1"] td.stot')?.textContent === '7', null, { timeout: 5000 });
  t.pass('the page refreshed to 7 requests');

  const shot = await page.screenshot({ fullPage: true });
  if (process.env.LB_HTTP_SCREENSHOT) fs.writeFileSync(process.env.LB_HTTP_SCREENSHOT, shot);
  const before = decodePng(shot);
  t.true(countColor(before, UP) > 500, 'green UP row painted');
  t.true(countColor(before, DOWN) > 500, 'red DOWN row painted');
  t.is(countColor(before, DRAIN), 0, 'nothing draining yet');

  // Without credentials the admin endpoint refuses.
  const anonymous = await request(where.port, { path: '/admin', method: 'POST', headers: { 'content-type': 'application/json' } }, JSON.stringify({ backend: 'app', server: 'web1', action: 'drain' }));
  t.is(anonymous.status, 401);
  t.is(lb.lb.runtime().backends.get('app').pool.get('web1').state, 'up');

  await row('web1').locator('button[data-action="drain"]').click();
  await page.waitForFunction(() => document.querySelector('tr.server[data-name="web1"] td.status')?.textContent === 'DRAIN', null, { timeout: 5000 });
  t.is(lb.lb.runtime().backends.get('app').pool.get('web1').admin, 'drain');
  const after = decodePng(await page.screenshot({ fullPage: true }));
  t.true(countColor(after, DRAIN) > 500, 'blue DRAIN row painted');
  t.is(countColor(after, UP), 0, 'no server is UP any more');
  t.is((await request(lb.port)).status, 503, 'no server takes new traffic');

  await row('web1').locator('button[data-action="ready"]').click();
  await page.waitForFunction(() => document.querySelector('tr.server[data-name="web1"] td.status')?.textContent === 'UP', null, { timeout: 5000 });
  t.is((await request(lb.port)).status, 200);

  const metrics = await request(where.port, { path: '/metrics' });
  t.regex(metrics.body, /hakit_lb_http_server_up\{backend="app",server="web1"\} 1/);
  t.regex(metrics.body, /hakit_lb_http_server_up\{backend="app",server="web2"\} 0/);
  t.regex(metrics.body, /hakit_lb_http_server_requests_total\{backend="app",server="web1"\} 8/);
  t.regex(metrics.body, /hakit_lb_http_responses_total\{proxy="web",code="5xx"\} 1/);
});
