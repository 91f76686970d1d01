'use strict';
// WebSocket upgrades pass through the balancer to a real `ws` server, both directions, routed
// by ACL like any request; a refused upgrade comes back as the server's response.
const test = require('ava');
const http = require('http');
const { WebSocket, WebSocketServer } = require('ws');
const { balancer, raw } = require('../../labs/lb-http/lab');

async function wsBackend(name) {
  const server = http.createServer((req, res) => res.end('plain http\n'));
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\n\r\nnope');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(`hello from ${name} xff=${req.headers['x-forwarded-for']}`);
      ws.on('message', (data, binary) => ws.send(binary ? data : `echo ${data}`, { binary }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); server.close(() => r()); server.closeAllConnections(); }),
  };
}

test('WebSocket messages flow both ways through the balancer', async (t) => {
  const be = await wsBackend('ws1');
  t.teardown(() => be.close());
  const lb = await balancer({
    defaults: { option: ['forwardfor'] },
    frontend: { web: { bind: '127.0.0.1:0', acl: { ws: 'hdr(upgrade) -i websocket' }, use_backend: ['chat if ws'], default_backend: 'chat' } },
    backend: { chat: { server: { s1: `127.0.0.1:${be.port}` } } },
  });
  t.teardown(() => lb.close());
  const ws = new WebSocket(`ws://127.0.0.1:${lb.port}/chat`);
  const messages = [];
  const next = () => new Promise((resolve) => ws.once('message', (data, binary) => resolve(binary ? Buffer.from(data) : data.toString())));
  t.is(await next(), 'hello from ws1 xff=127.0.0.1');
  for (let i = 0; i < 20; i++) {
    const reply = next();
    ws.send(`m${i}`);
    messages.push(await reply);
  }
  t.deepEqual(messages, Array.from({ length: 20 }, (_, i) => `echo m${i}`));
  const big = Buffer.alloc(256 * 1024, 7);
  const reply = next();
  ws.send(big, { binary: true });
  t.true(big.equals(await reply), 'a 256 KiB binary frame comes back intact');
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000);
  t.is(await closed, 1000);
});

test('a refused upgrade returns the server response and closes', async (t) => {
  const be = await wsBackend('ws2');
  t.teardown(() => be.close());
  const lb = await balancer({
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'chat' } },
    backend: { chat: { server: { s1: `127.0.0.1:${be.port}` } } },
  });
  t.teardown(() => lb.close());
  const r = await raw(lb.port, 'GET /refuse HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', { waitMs: 5000 });
  t.regex(r.text, /^HTTP\/1\.1 403 Forbidden\r\n/);
  t.regex(r.text, /nope$/);
  t.true(r.closed);
});
