'use strict';
// Property test of the request parsing path: mutated requests (seeded PRNG, reproducible) sent
// over loopback to a real balancer and backend. Every connection must end (no hang) with either
// a well-formed HTTP/1.1 response or a close, and the balancer must keep serving afterwards.
const test = require('ava');
const net = require('net');
const { backend, balancer, request } = require('../../labs/lb-http/lab');

const seeds = [
  'GET /index.html?q=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n',
  'POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n',
  'GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'PUT /x HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
];
const tokens = ['\r\n', '\n', '\r', ' ', '\t', ':', '\0', '\x7f', '\xff', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', 'Host: b\r\n', '0\r\n\r\n', 'ffffffffffffffff\r\n', '-1', 'HTTP/1.0', 'HTTP/2.0', '%00', '/../', ' \r\n x'];

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function mutate(rand) {
  let text = seeds[Math.floor(rand() * seeds.length)];
  const steps = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(rand() * (text.length + 1));
    const op = rand();
    if (op < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 4));
    else if (op < 0.6) text = text.slice(0, at) + tokens[Math.floor(rand() * tokens.length)] + text.slice(at);
    else if (op < 0.8) text = text.slice(0, at) + String.fromCharCode(Math.floor(rand() * 256)) + text.slice(at + 1);
    else text = text.slice(0, at) + text.slice(at, at + 8).repeat(1 + Math.floor(rand() * 3)) + text.slice(at + 8);
  }
  return Buffer.from(text, 'latin1');
}

function exchange(port, bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ hung: true, text: Buffer.concat(chunks).toString('latin1') });
    }, 4000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ hung: false, text: Buffer.concat(chunks).toString('latin1') });
    });
    socket.on('error', () => {});
  });
}

test('mutated requests never hang or crash the balancer', async (t) => {
  const be = await backend('fuzz');
  const lb = await balancer({
    defaults: { timeout: { 'http-request': '1s', client: '2s', server: '2s' } },
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app', 'http-request': ['set-header X-Fuzz 1'] } },
    backend: { app: { server: { s1: `127.0.0.1:${be.port}` } } },
  });
  t.teardown(async () => {
    await lb.close();
    await be.close();
  });
  const rand = prng(0xc0ffee);
  const cases = Array.from({ length: 400 }, () => mutate(rand));
  const statuses = new Map();
  for (let i = 0; i < cases.length; i += 25) {
    const results = await Promise.all(cases.slice(i, i + 25).map((bytes) => exchange(lb.port, bytes)));
    results.forEach((r, j) => {
      const bytes = cases[i + j];
      t.false(r.hung, `hang on ${JSON.stringify(bytes.toString('latin1'))}`);
      if (r.text.length) {
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(r.text);
        t.truthy(m, `malformed response ${JSON.stringify(r.text.slice(0, 80))} to ${JSON.stringify(bytes.toString('latin1'))}`);
        if (m) statuses.set(m[1], (statuses.get(m[1]) ?? 0) + 1);
      }
    });
  }
  t.log('status counts', Object.fromEntries(statuses));
  t.true((statuses.get('400') ?? 0) > 100, 'many mutations are refused with 400');
  t.true((statuses.get('200') ?? 0) >= 5, 'harmless mutations still pass');
  const after = await request(lb.port, { path: '/still-alive' });
  t.is(after.status, 200);
});
