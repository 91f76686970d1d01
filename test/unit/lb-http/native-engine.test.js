'use strict';
// The native engine end to end on loopback, kept small and fast so that the sanitizer pass
// (which runs the unit tests against an ASan/UBSan addon) drives every engine code path:
// keep-alive, pooled reuse, chunked both ways, pipelining, a bad response, a hand-over.
const test = require('ava');
const http = require('http');
const net = require('net');
const { HttpBalancer, validateConfig } = require('../../../dist/lb/http');

function send(port, bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    setTimeout(() => socket.destroy(), 3000).unref();
  });
}

test('native engine: keep-alive, chunked both ways, pipelining, 502 and a hand-over on one port', async (t) => {
  let connections = 0;
  const be = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/garbage') return req.socket.end('not http\r\n\r\n');
      if (req.url === '/chunked') {
        res.write('a');
        return setTimeout(() => res.end('b'), 5);
      }
      res.end(`${req.method} ${req.url} ${body}`);
    });
  });
  be.on('connection', () => connections++);
  be.on('upgrade', (req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n'));
  await new Promise((r) => be.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => { be.closeAllConnections(); be.close(r); }));
  const lb = new HttpBalancer(validateConfig({
    global: { 'native-http': 'on' },
    frontend: { f: { bind: '127.0.0.1:0', default_backend: 'b' } },
    backend: { b: { server: { s1: `127.0.0.1:${be.address().port}` } } },
  }));
  await lb.start();
  t.teardown(() => lb.close());
  const port = lb.addresses()[0].port;

  const text = await send(port, 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n' +
    'POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
    'POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxy' +
    'GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const bodies = text.split(/HTTP\/1\.1 \d{3} [^\r]*\r\n/).slice(1).map((p) => p.slice(p.indexOf('\r\n\r\n') + 4));
  t.deepEqual(bodies.slice(0, 3), ['GET /1 ', 'POST /2 abc', 'POST /3 xy']);
  t.is(bodies[3], '1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
  t.regex(bodies[4], /502 Bad Gateway/);
  t.is(bodies[5], 'GET /4 ');
  t.is(lb.nativeHttp().requests, 6);

  const up = await send(port, 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n');
  t.regex(up, /^HTTP\/1\.1 101 /);
  t.is(lb.nativeHttp().handoffs, 1);
  t.true(connections >= 2, 'the garbage connection was not reused');
});
