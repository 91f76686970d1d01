'use strict';
// Each error status with the trigger that makes HAProxy send it, answered by hakit; where
// haproxy is installed the same triggers go to a real haproxy 2.6 and the bytes are compared.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');
const { needs, requires } = require('../../helpers/env');
const { backend, balancer, raw, request, statusOf, sleep, waitFor, lbhttp } = require('../../labs/lb-http/lab');
const { freePort } = require('../../helpers/net');

/** A TCP server misbehaving per path: /garbage, /reset, /slow (never answers). */
async function badServer() {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (data) => {
      const line = data.toString('latin1');
      if (line.startsWith('GET /garbage')) socket.end('this is not HTTP\r\n\r\n');
      else if (line.startsWith('GET /reset')) socket.resetAndDestroy();
      else if (line.startsWith('GET /slow')) setTimeout(() => socket.destroy(), 5000).unref();
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(() => r())) };
}

const body = (text) => text.slice(text.indexOf('\r\n\r\n') + 4);
const statusLine = (text) => text.slice(0, text.indexOf('\r\n'));

let bad;
let slowBe;
let lb;
let deadPort;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-err-'));

test.before(async () => {
  bad = await badServer();
  slowBe = await backend('slow', (req, res) => setTimeout(() => res.end('late\n'), 1500));
  deadPort = await freePort();
  fs.writeFileSync(path.join(dir, '503.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ncustom maintenance page\n');
  lb = await balancer(config(bad.port, slowBe.port, deadPort, path.join(dir, '503.http')));
});
test.after.always(async () => {
  await lb?.close();
  await bad?.close();
  await slowBe?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(badPort, slowPort, dead, errorfile, custom = true) {
  return {
    global: { 'max-header-size': 2048 },
    defaults: { timeout: { connect: '300ms', server: '700ms', 'http-request': '600ms', queue: '400ms', client: '5s' }, retries: 1 },
    frontend: {
      web: {
        bind: '127.0.0.1:0',
        acl: { forbidden: 'path_beg /forbidden' },
        'http-request': ['deny if forbidden', 'set-header X-Big "' + 'x'.repeat(1500) + '" if { path /rewrite-overflow }'],
        use_backend: ['bad if { path_beg /garbage /reset /slow }', 'dead if { path_beg /dead }', 'full if { path_beg /full }', 'custom if { path_beg /custom }', 'maint if { path_beg /maint }'],
        default_backend: 'bad',
      },
    },
    backend: {
      bad: { server: { s1: `127.0.0.1:${badPort}` } },
      dead: { server: { s1: `127.0.0.1:${dead}` } },
      full: { server: { s1: `127.0.0.1:${slowPort} maxconn 1` }, timeout: { server: '3s' } },
      maint: { server: { s1: `127.0.0.1:${badPort} disabled` } },
      custom: { server: { s1: `127.0.0.1:${dead}` } },
    },
    ...(custom ? {} : {}),
  };
}

// Custom error files are set per balancer in `defaults`; checked in their own balancer below.

test('400: a malformed request (two Content-Length) gets HAProxy raw 400 and a close', async (t) => {
  const r = await raw(lb.port, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
  t.is(r.text, lbhttp.parseErrorResponse(400).toString());
  t.true(r.closed);
});

test('403: denied by an http-request deny rule', async (t) => {
  const r = await raw(lb.port, 'GET /forbidden/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { waitMs: 5000 });
  t.is(statusLine(r.text), 'HTTP/1.1 403 Forbidden');
  t.is(body(r.text), lbhttp.errorResponse(403).toString().split('\r\n\r\n')[1]);
  t.regex(r.text, /\r\ncache-control: no-cache\r\n/);
});

test('408: a client sending its request head too slowly (slowloris)', async (t) => {
  const started = Date.now();
  const socket = net.connect(lb.port, '127.0.0.1');
  const chunks = [];
  socket.on('data', (c) => chunks.push(c));
  socket.write('GET / HTTP/1.1\r\n');
  // One header every 200 ms never completes the head: the 600 ms http-request timeout fires.
  const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 200);
  await new Promise((resolve) => socket.on('close', resolve));
  clearInterval(drip);
  const text = Buffer.concat(chunks).toString();
  t.is(text, lbhttp.parseErrorResponse(408).toString());
  t.true(Date.now() - started >= 550, 'not before the timeout');
  t.true(Date.now() - started < 2600, 'soon after the timeout');
});

test('500: header rewrites that overflow the buffer (HAProxy rewrite failure)', async (t) => {
  const r = await request(lb.port, { path: '/rewrite-overflow', headers: { 'x-pad': 'y'.repeat(700) } });
  t.is(r.status, 500);
  t.is(r.body, lbhttp.errorResponse(500).toString().split('\r\n\r\n')[1]);
});

test('502: an invalid response and a reset connection', async (t) => {
  for (const p of ['/garbage', '/reset']) {
    const r = await request(lb.port, { path: p });
    t.is(r.status, 502, p);
    t.regex(r.body, /<h1>502 Bad Gateway<\/h1>\nThe server returned an invalid or incomplete response\./);
  }
});

test('503: connection refused after retries, server in maintenance, queue timeout', async (t) => {
  const refused = await request(lb.port, { path: '/dead' });
  t.is(refused.status, 503);
  t.regex(refused.body, /No server is available to handle this request\./);
  t.is(lb.lb.runtime().backends.get('dead').counters.wretr, 1, 'retried once (retries 1)');
  t.is((await request(lb.port, { path: '/maint' })).status, 503);
  // maxconn 1 on a server that takes 1.5 s: the second request waits 400 ms in the queue.
  const first = request(lb.port, { path: '/full/1' });
  await sleep(100);
  const started = Date.now();
  const queued = await request(lb.port, { path: '/full/2' });
  t.is(queued.status, 503);
  t.true(Date.now() - started >= 350, 'answered at the queue timeout');
  t.is((await first).status, 200);
});

test('504: a server slower than timeout server', async (t) => {
  const started = Date.now();
  const r = await request(lb.port, { path: '/slow' });
  t.is(r.status, 504);
  t.is(r.body, lbhttp.errorResponse(504).toString().split('\r\n\r\n')[1]);
  t.true(Date.now() - started >= 650);
});

test('errorfile: a custom 503 page replaces the built-in one', async (t) => {
  const cfg = config(bad.port, slowBe.port, deadPort);
  cfg.defaults.errorfile = { 503: path.join(dir, '503.http') };
  const custom = await balancer(cfg);
  t.teardown(() => custom.close());
  const r = await request(custom.port, { path: '/custom' });
  t.is(r.status, 503);
  t.is(r.body, 'custom maintenance page\n');
  t.is(r.headers['content-type'], 'text/plain');
});

needs(test, [requires.command('haproxy', 'haproxy')])('the same triggers through haproxy 2.6 give the same status lines and bodies', async (t) => {
  const port = await freePort();
  const cfgFile = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    cfgFile,
    `global\n  maxconn 200\ndefaults\n  mode http\n  timeout connect 300ms\n  timeout client 5s\n  timeout server 700ms\n  timeout http-request 600ms\n  timeout queue 400ms\n  retries 1\n` +
      `frontend web\n  bind 127.0.0.1:${port}\n  http-request deny if { path_beg /forbidden }\n  use_backend dead if { path_beg /dead }\n  default_backend bad\n` +
      `backend bad\n  server s1 127.0.0.1:${bad.port}\nbackend dead\n  server s1 127.0.0.1:${deadPort}\n`,
  );
  const proc = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: 'ignore' });
  t.teardown(() => proc.kill('SIGKILL'));
  t.true(await waitFor(() => new Promise((r) => net.connect(port, '127.0.0.1').on('connect', function () { this.destroy(); r(true); }).on('error', () => r(false)))));
  const triggers = [
    'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'GET /forbidden HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    'GET /garbage HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    'GET /reset HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    'GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    'GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n',
  ];
  const results = await Promise.all(triggers.map((trigger) => Promise.all([raw(lb.port, trigger, { waitMs: 5000 }), raw(port, trigger, { waitMs: 5000 })])));
  results.forEach(([ours, theirs], i) => {
    const trigger = JSON.stringify(triggers[i]);
    t.is(statusLine(ours.text), statusLine(theirs.text), trigger);
    t.is(body(ours.text), body(theirs.text), trigger);
    t.true(statusOf(ours.text) >= 400, trigger);
  });
});
