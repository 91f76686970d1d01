'use strict';
// The native request path (native/lb/http) against real Node servers on loopback: what it
// serves itself (keep-alive, pooled server connections, chunked both ways, pipelining, big
// streamed bodies, 502/504/408) and what it hands to the JS path on the same port (upgrades).
const test = require('ava');
const crypto = require('crypto');
const http = require('http');
const net = require('net');
const { backend, balancer, raw, request } = require('../../labs/lb-http/lab');

const lbFor = async (t, servers, extra = {}) => {
  const lb = await balancer({
    global: { 'native-http': 'on' },
    defaults: { timeout: { connect: '500ms', server: '800ms', 'http-request': '500ms', client: '5s' } },
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app', ...extra.frontend } },
    backend: { app: { server: servers, ...extra.backend } },
  });
  t.teardown(() => lb.close());
  t.true(lb.lb.nativeHttp().enabled, 'the native path serves the bind');
  return lb;
};

test('keep-alive both sides: one client connection, one pooled server connection, all requests native', async (t) => {
  const be = await backend('ka');
  t.teardown(() => be.close());
  const lb = await lbFor(t, { s1: `127.0.0.1:${be.port}` });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let fresh = 0;
  for (let i = 0; i < 30; i++) {
    const r = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: lb.port, path: `/r${i}`, method: i % 3 ? 'GET' : 'POST', agent }, (res) => {
        if (!req.reusedSocket) fresh++;
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(i % 3 ? undefined : 'x'.repeat(i));
    });
    t.is(r.status, 200);
    t.is(r.text, `ka ${i % 3 ? 'GET' : 'POST'} /r${i} ${i % 3 ? 0 : i}\n`);
    t.is(r.headers['x-backend'], 'ka');
  }
  t.is(fresh, 1, 'one client connection');
  t.is(be.connections, 1, 'one pooled server connection');
  t.deepEqual(lb.lb.nativeHttp(), { enabled: true, requests: 30, handoffs: 0 });
  const fe = lb.lb.runtime().frontends.get('web').counters;
  t.is(fe.stot, 30);
  t.is(fe.hrsp[2], 30);
  t.is(fe.scur, 0);
});

test('chunked bodies both ways, trailers and hop-by-hop fields handled', async (t) => {
  const be = await backend('ch', (req, res, body) => {
    res.writeHead(200, { 'x-te': String(req.headers['transfer-encoding']), 'x-hop': String(req.headers['x-hop']) });
    res.write(`got ${body.toString()}|`);
    setTimeout(() => res.end('late part'), 50);
  });
  t.teardown(() => be.close());
  const lb = await lbFor(t, { s1: `127.0.0.1:${be.port}` });
  const r = await raw(lb.port, 'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: X-Hop, close\r\nX-Hop: secret\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
  t.regex(r.text, /^HTTP\/1\.1 200 OK\r\n/);
  t.regex(r.text, /\r\nx-te: chunked\r\n/);
  t.regex(r.text, /\r\nx-hop: undefined\r\n/, 'fields named by Connection are not forwarded');
  t.regex(r.text, /\r\nTransfer-Encoding: chunked\r\n/i);
  t.regex(r.text, /\r\nConnection: close\r\n/i);
  const bodyPart = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
  t.is(bodyPart.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n/gi, '').replace(/\r\n$/, '').replace(/\r\n$/, ''), 'got hello world|late part');
  t.true(r.closed);
  t.is(be.seen[0].body.toString(), 'hello world');
});

test('pipelined requests are answered in order on one connection', async (t) => {
  const be = await backend('pipe', (req, res) => setTimeout(() => res.end(`${req.url}\n`), req.url === '/1' ? 60 : 1));
  t.teardown(() => be.close());
  const lb = await lbFor(t, { s1: `127.0.0.1:${be.port}` });
  const batch = [1, 2, 3, 4].map((i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n${i === 4 ? 'Connection: close\r\n' : ''}\r\n`).join('');
  const r = await raw(lb.port, batch);
  const bodies = r.text.split('HTTP/1.1 200 OK').slice(1).map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));
  t.deepEqual(bodies, ['/1\n', '/2\n', '/3\n', '/4\n']);
  t.is(lb.lb.nativeHttp().requests, 4);
});

test('a 24 MiB body streams up and a 24 MiB body streams down, both intact (SHA-256)', async (t) => {
  const size = 24 << 20;
  const up = crypto.randomBytes(size);
  const server = http.createServer((req, res) => {
    const hash = crypto.createHash('sha256');
    let n = 0;
    req.on('data', (c) => {
      hash.update(c);
      n += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'x-up': `${n} ${hash.digest('hex')}` });
      // Chunked download, written in pieces so it cannot be one buffer anywhere.
      let sent = 0;
      const piece = crypto.createHash('sha256').update('seed').digest();
      const write = () => {
        while (sent < size) {
          sent += 65536;
          if (!res.write(Buffer.alloc(65536, piece))) return res.once('drain', write);
        }
        res.end();
      };
      write();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const lb = await lbFor(t, { s1: `127.0.0.1:${server.address().port}` });
  const result = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: lb.port, method: 'PUT', path: '/big', headers: { 'content-length': size } }, (res) => {
      const hash = crypto.createHash('sha256');
      let n = 0;
      res.on('data', (c) => {
        hash.update(c);
        n += c.length;
      });
      res.on('end', () => resolve({ up: res.headers['x-up'], n, hash: hash.digest('hex') }));
    });
    req.on('error', reject);
    for (let i = 0; i < size; i += 1 << 20) req.write(up.subarray(i, i + (1 << 20)));
    req.end();
  });
  t.is(result.up, `${size} ${crypto.createHash('sha256').update(up).digest('hex')}`);
  const expect = crypto.createHash('sha256');
  const piece = crypto.createHash('sha256').update('seed').digest();
  for (let i = 0; i < size; i += 65536) expect.update(Buffer.alloc(65536, piece));
  t.is(result.n, size);
  t.is(result.hash, expect.digest('hex'));
  t.is(lb.lb.nativeHttp().requests, 1);
});

test('a client that stops reading holds the server back (bounded buffering), then gets every byte', async (t) => {
  const total = 64 << 20;
  let written = 0;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': total });
    const chunk = Buffer.alloc(1 << 16, 7);
    const write = () => {
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) return res.once('drain', write);
      }
      res.end();
    };
    write();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const lb = await lbFor(t, { s1: `127.0.0.1:${server.address().port}` });
  const { got, writtenWhilePaused } = await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: lb.port, path: '/big' }, (res) => {
      res.pause();
      setTimeout(() => {
        const writtenWhilePaused = written;
        let got = 0;
        res.on('data', (c) => (got += c.length));
        res.on('end', () => resolve({ got, writtenWhilePaused }));
        res.resume();
      }, 700);
    });
    req.on('error', reject);
  });
  t.is(got, total);
  // Socket buffers on three sockets plus the engine's 256 KiB high-water mark: far below 64 MiB.
  t.true(writtenWhilePaused < 24 << 20, `${writtenWhilePaused} bytes written while the client read nothing`);
});

test('a client gone mid-response: the server connection is dropped, counters settle, log says CD', async (t) => {
  let serverSide;
  const server = http.createServer((req, res) => {
    serverSide = req.socket;
    res.writeHead(200, { 'content-length': 1 << 20 });
    res.write(Buffer.alloc(1000));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const lb = await lbFor(t, { s1: `127.0.0.1:${server.address().port}` });
  const entries = [];
  lb.lb.on('log', (e) => entries.push(e));
  const socket = net.connect(lb.port, '127.0.0.1', () => socket.write('GET /cut HTTP/1.1\r\nHost: a\r\n\r\n'));
  await new Promise((resolve) => socket.once('data', resolve));
  socket.destroy();
  const { waitFor } = require('../../labs/lb-http/lab');
  t.true(await waitFor(() => entries.length === 1 && serverSide?.destroyed, 3000), 'logged and the server side closed');
  t.is(entries[0].termination_state, 'CD');
  t.is(entries[0].status, 200);
  const be = lb.lb.runtime().backends.get('app');
  t.is(be.counters.scur, 0);
  t.is(lb.lb.runtime().frontends.get('web').counters.scur, 0);
});

test('server reset → 502, server timeout → 504, slow head → 408 (HAProxy pages), client kept after 502/504', async (t) => {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => {
      const line = d.toString('latin1');
      if (line.startsWith('GET /reset')) socket.resetAndDestroy();
      else if (line.startsWith('GET /slow')) setTimeout(() => socket.destroy(), 3000).unref();
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const lb = await lbFor(t, { s1: `127.0.0.1:${server.address().port}` });
  const { lbhttp } = require('../../labs/lb-http/lab');
  const r = await raw(lb.port, 'GET /reset HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const page = (s) => lbhttp.errorResponse(s).toString();
  t.is(r.text, page(502) + page(504) + 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\nConnection: close\r\n\r\nok\n');
  const started = Date.now();
  const slow = await raw(lb.port, 'GET / HTTP/1.1\r\nHost: a\r\n');
  t.is(slow.text, lbhttp.parseErrorResponse(408).toString());
  t.true(Date.now() - started >= 450);
  const counters = lb.lb.runtime().backends.get('app').counters;
  t.is(counters.hrsp[5], 2);
  t.is(counters.eresp, 1, 'the reset counts as a response error, the timeout does not');
  t.is(lb.lb.runtime().frontends.get('web').counters.ereq, 1, 'the 408');
});

test('on the same port: an Upgrade and a smuggling attempt go to the JS path, plain requests stay native', async (t) => {
  const be = await backend('up');
  be.server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.on('data', (d) => socket.write(d.toString().toUpperCase()));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
  t.teardown(() => be.close());
  const lb = await lbFor(t, { s1: `127.0.0.1:${be.port}` });
  t.is((await request(lb.port, { path: '/before' })).status, 200);
  const echoed = await new Promise((resolve, reject) => {
    // A native request first, then the upgrade on the same connection: the hand-over is mid-connection.
    const socket = net.connect(lb.port, '127.0.0.1', () => socket.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n'));
    let text = '';
    let upgraded = false;
    socket.on('data', (d) => {
      text += d;
      if (!upgraded && text.includes('up GET /first 0\n')) {
        upgraded = true;
        socket.write('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      } else if (upgraded && text.includes('\r\n\r\n', text.indexOf('101'))) {
        if (!text.endsWith('PING')) socket.write('ping');
        else {
          socket.destroy();
          resolve(text);
        }
      }
    });
    socket.on('error', reject);
  });
  t.regex(echoed, /HTTP\/1\.1 101 Switching Protocols/);
  t.true(echoed.endsWith('PING'));
  const smuggle = await raw(lb.port, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
  t.regex(smuggle.text, /^HTTP\/1\.1 400 Bad request\r\n/);
  const stats = lb.lb.nativeHttp();
  t.is(stats.requests, 2, '/before and /first were native');
  t.is(stats.handoffs, 2, 'the upgrade and the smuggling attempt went to the JS path');
});

test.serial('HAKIT_NATIVE_HTTP=off keeps every request on the JS path', async (t) => {
  const be = await backend('off');
  t.teardown(() => be.close());
  const saved = process.env.HAKIT_NATIVE_HTTP;
  process.env.HAKIT_NATIVE_HTTP = 'off';
  t.teardown(() => (saved === undefined ? delete process.env.HAKIT_NATIVE_HTTP : (process.env.HAKIT_NATIVE_HTTP = saved)));
  const lb = await balancer({ frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app' } }, backend: { app: { server: { s1: `127.0.0.1:${be.port}` } } } });
  t.teardown(() => lb.close());
  t.is((await request(lb.port, { path: '/x' })).status, 200);
  t.deepEqual(lb.lb.nativeHttp(), { enabled: false, requests: 0, handoffs: 0 });
});
