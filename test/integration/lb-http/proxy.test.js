'use strict';
// The HTTP/1.1 proxy against real Node HTTP servers on loopback: keep-alive on both sides,
// streamed bodies, Expect: 100-continue, hop-by-hop and forwarding headers, retries, cookie
// persistence, backup servers.
const test = require('ava');
const http = require('http');
const { backend, balancer, request, raw, sleep, waitFor } = require('../../labs/lb-http/lab');
const { freePort } = require('../../helpers/net');

const withLb = async (t, servers, extra = {}) => {
  const lb = await balancer({
    defaults: { option: ['forwardfor'], retries: 2, timeout: { connect: '500ms' } },
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app', ...extra.frontend } },
    backend: { app: { server: servers, ...extra.backend } },
  });
  t.teardown(() => lb.close());
  return lb;
};

test('keep-alive on both sides: one client connection, one pooled server connection', async (t) => {
  const be = await backend('ka');
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let clientSockets = 0;
  lb.lb.on('log', () => {});
  for (let i = 0; i < 20; i++) {
    const r = await new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: lb.port, path: `/r${i}`, agent }, (res) => {
        if (!req.reusedSocket) clientSockets++;
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
    });
    t.is(r, 200);
  }
  t.is(clientSockets, 1, 'the client connection was kept alive');
  t.is(be.connections, 1, 'the server connection was pooled and reused');
  t.is(be.requests, 20);
});

test('request bodies stream through without buffering the whole message', async (t) => {
  let firstChunkAt;
  const be = await backend('stream', (req, res, body) => res.end(`got ${body.length}\n`));
  be.server.prependListener('request', (req) => req.once('data', () => (firstChunkAt = Date.now())));
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  const result = new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: lb.port, method: 'POST', path: '/up' }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.write('x'.repeat(1000));
    // A proxy that buffered whole bodies would never pass the first chunk on before the end.
    waitFor(() => firstChunkAt !== undefined, 5000).then((arrived) => {
      t.true(arrived, 'the server had the first chunk before the client finished');
      req.end('y'.repeat(4 * 1024 * 1024));
    });
  });
  t.is(await result, `got ${1000 + 4 * 1024 * 1024}\n`);
});

test('chunked responses stream back as they come', async (t) => {
  const be = await backend('chunks', (req, res) => {
    res.write('part1;');
    setTimeout(() => res.end('part2'), 300);
  });
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  const got = await new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port: lb.port, path: '/' }, (res) => {
      const times = [];
      let text = '';
      const start = Date.now();
      t.is(res.headers['transfer-encoding'], 'chunked');
      res.on('data', (c) => {
        text += c;
        times.push(Date.now() - start);
      });
      res.on('end', () => resolve({ text, times }));
    });
  });
  t.is(got.text, 'part1;part2');
  t.true(got.times[0] < 200, 'first chunk arrived before the server finished');
});

test('Expect: 100-continue is relayed: the body is sent only after the server agrees', async (t) => {
  const be = await backend('expect', (req, res, body) => res.end(`len ${body.length}`));
  be.server.on('checkContinue', (req, res) => {
    if (req.url === '/refuse') {
      res.writeHead(417);
      res.end('no thanks');
      return;
    }
    res.writeContinue();
    be.server.emit('request', req, res);
  });
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  const send = (path) =>
    new Promise((resolve, reject) => {
      const events = [];
      const req = http.request({ host: '127.0.0.1', port: lb.port, method: 'PUT', path, headers: { expect: '100-continue', 'content-length': 5 } });
      req.on('continue', () => {
        events.push('continue');
        req.end('hello');
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text, events }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  const ok = await send('/accept');
  t.deepEqual(ok, { status: 200, text: 'len 5', events: ['continue'] });
  const refused = await send('/refuse');
  t.is(refused.status, 417);
  t.deepEqual(refused.events, [], 'no 100 Continue when the server refuses');
});

test('hop-by-hop headers are dropped, X-Forwarded-For/-Proto and Forwarded are added', async (t) => {
  const be = await backend('hdr');
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  await request(lb.port, {
    path: '/h',
    headers: { connection: 'keep-alive, X-Secret', 'x-secret': 'drop me', 'keep-alive': 'timeout=9', te: 'trailers', 'proxy-connection': 'x', 'x-forwarded-for': '203.0.113.7', forwarded: 'for=203.0.113.7', 'x-kept': 'yes' },
  });
  const h = be.seen.at(-1).headers;
  t.is(h['x-secret'], undefined);
  t.is(h['keep-alive'], undefined);
  t.is(h.te, undefined);
  t.is(h['proxy-connection'], undefined);
  t.is(h['x-kept'], 'yes');
  t.is(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  t.is(h['x-forwarded-proto'], 'http');
  t.regex(h.forwarded, /^for=203\.0\.113\.7, for=127\.0\.0\.1;proto=http;host=127\.0\.0\.1:\d+$/);
  // And on the way back.
  const be2 = await backend('hdr2', (req, res) => {
    res.setHeader('connection', 'X-Internal');
    res.setHeader('x-internal', 'secret');
    res.setHeader('x-public', 'ok');
    res.end('x');
  });
  t.teardown(() => be2.close());
  const lb2 = await withLb(t, { s1: `127.0.0.1:${be2.port}` });
  const r = await request(lb2.port, { path: '/' });
  t.is(r.headers['x-internal'], undefined);
  t.is(r.headers['x-public'], 'ok');
});

test('connection failures are retried on another server (redispatch); only idempotent requests are replayed on a stale connection', async (t) => {
  const be = await backend('alive');
  t.teardown(() => be.close());
  const dead = await freePort();
  const lb = await withLb(t, { dead: `127.0.0.1:${dead}`, alive: `127.0.0.1:${be.port}` }, { backend: { option: ['redispatch'] } });
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await request(lb.port, { path: `/${i}`, method: i % 2 ? 'POST' : 'GET', headers: { 'content-length': 0 } })).status);
  t.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
  const counters = lb.lb.runtime().backends.get('app').counters;
  t.true(counters.wretr >= 3, 'the dead server was tried and the request retried');
  t.is(counters.econ, counters.wretr);
});

test('cookie persistence (insert, indirect, nocache) pins a client, even to a draining server', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const lb = await withLb(t, { a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` }, { backend: { cookie: 'SRV insert indirect nocache' } });
  const first = await request(lb.port, { path: '/' });
  const server = first.body.split(' ')[0];
  t.is(first.headers['set-cookie'][0], `SRV=${server}; path=/`);
  t.is(first.headers['cache-control'], 'private');
  for (let i = 0; i < 5; i++) {
    const r = await request(lb.port, { path: '/', headers: { cookie: `SRV=${server}; other=1` } });
    t.is(r.body.split(' ')[0], server);
    t.is(r.headers['set-cookie'], undefined, 'no new cookie for a pinned client');
  }
  const seen = (server === 'a' ? a : b).seen.at(-1);
  t.is(seen.headers.cookie, 'other=1', 'indirect: the persistence cookie is not passed on');
  lb.lb.runtime().backends.get('app').pool.setAdmin(server, 'drain');
  t.is((await request(lb.port, { path: '/', headers: { cookie: `SRV=${server}` } })).body.split(' ')[0], server, 'drain keeps sticky clients');
  const other = server === 'a' ? 'b' : 'a';
  for (let i = 0; i < 3; i++) t.is((await request(lb.port, { path: '/' })).body.split(' ')[0], other, 'new clients avoid the draining server');
});

test('backup servers take traffic only while no primary is up', async (t) => {
  const p = await backend('primary');
  const bk = await backend('backup');
  t.teardown(() => Promise.all([p.close(), bk.close()]));
  const lb = await withLb(t, { p: `127.0.0.1:${p.port}`, bk: `127.0.0.1:${bk.port} backup` });
  t.is((await request(lb.port)).body.split(' ')[0], 'primary');
  t.is((await request(lb.port)).body.split(' ')[0], 'primary');
  lb.lb.runtime().backends.get('app').pool.setAdmin('p', 'maint');
  t.is((await request(lb.port)).body.split(' ')[0], 'backup');
});

test('balance uri keeps a path on one server; roundrobin follows weights', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const lb = await withLb(t, { a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` }, { backend: { balance: 'uri' } });
  for (const p of ['/x', '/y', '/z']) {
    const first = (await request(lb.port, { path: `${p}?q=1` })).body.split(' ')[0];
    for (let i = 0; i < 4; i++) t.is((await request(lb.port, { path: `${p}?q=${i}` })).body.split(' ')[0], first);
  }
  const lb2 = await withLb(t, { a: `127.0.0.1:${a.port} weight 3`, b: `127.0.0.1:${b.port} weight 1` });
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < 40; i++) counts[(await request(lb2.port)).body.split(' ')[0]]++;
  t.deepEqual(counts, { a: 30, b: 10 });
});

test('pipelined requests are answered in order', async (t) => {
  const be = await backend('pipe', (req, res) => setTimeout(() => res.end(req.url), req.url === '/1' ? 100 : 0));
  t.teardown(() => be.close());
  const lb = await withLb(t, { s1: `127.0.0.1:${be.port}` });
  const r = await raw(lb.port, 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { waitMs: 5000 });
  const bodies = [...r.text.matchAll(/\r\n\r\n(?:[0-9a-f]+\r\n)?(\/\d)/g)].map((m) => m[1]);
  t.deepEqual(bodies, ['/1', '/2']);
  await sleep(10);
});

test('access log: one JSON-able entry per request with HAProxy timers and termination state', async (t) => {
  const be = await backend('logged', (req, res) => setTimeout(() => res.end('slow enough'), 150));
  t.teardown(() => be.close());
  const dead = await freePort();
  const lb = await balancer({
    defaults: { retries: 0, timeout: { queue: '2s' } },
    frontend: { web: { bind: '127.0.0.1:0', use_backend: ['dead if { path /dead }'], default_backend: 'app', 'http-request': ['deny if { path /deny }'] } },
    backend: { app: { server: { s1: `127.0.0.1:${be.port} maxconn 1` } }, dead: { server: { s1: `127.0.0.1:${dead}` } } },
  });
  t.teardown(() => lb.close());
  const entries = [];
  lb.lb.on('log', (e) => entries.push(JSON.parse(JSON.stringify(e))));
  await Promise.all([request(lb.port, { path: '/one' }), request(lb.port, { path: '/two' })]);
  await request(lb.port, { path: '/deny' });
  await request(lb.port, { path: '/dead' });
  await sleep(50);
  const byUri = Object.fromEntries(entries.map((e) => [e.uri, e]));
  for (const uri of ['/one', '/two']) {
    const e = byUri[uri];
    t.like(e, { frontend: 'web', backend: 'app', server: 's1', method: 'GET', status: 200, termination_state: '--', retries: 0, client: '127.0.0.1' });
    t.true(e.Tc >= 0 && e.Tr >= 140 && e.Tt >= e.Tr, JSON.stringify(e));
    t.is(e.bytes_read, 'slow enough'.length);
  }
  t.true(Math.max(byUri['/one'].Tw, byUri['/two'].Tw) >= 100, 'the second request waited in the queue (maxconn 1)');
  t.like(byUri['/deny'], { status: 403, server: '<NOSRV>', termination_state: 'PR', Tw: -1, Tc: -1, Tr: -1 });
  t.like(byUri['/dead'], { status: 503, backend: 'dead', termination_state: 'SC', Tr: -1 });
  t.regex(byUri['/dead'].time, /^\d{4}-\d\d-\d\dT/);
});
