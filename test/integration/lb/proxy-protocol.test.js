'use strict';
// PROXY protocol against a real consumer: HAProxy with `accept-proxy` answers with the client
// address it parsed from our header.
const test = require('ava');
const net = require('net');
const { lb } = require('../../..');
const { freePort, haproxy, exchange } = require('../../labs/lb/peers');
const { needs, requires } = require('../../helpers/env');

const withHaproxy = needs(test.serial, [requires.command('haproxy', 'haproxy')]);

let peer;
let port;
async function startPeer() {
  port = await freePort();
  peer = await haproxy(`
global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend echo_client
  bind 127.0.0.1:${port} accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src] %[src_port] %[dst] %[dst_port]"
`, [port]);
}

test.before(async () => {
  if (require('../../helpers/env').hasCommand('haproxy')) await startPeer();
});
test.after.always(async () => {
  if (peer) await peer.stop();
});

const request = Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
const bodyOf = (data) => data.toString().split('\r\n\r\n')[1];

for (const version of ['v1', 'v2']) {
  withHaproxy(`send-proxy ${version}: HAProxy sees the real client address and port`, async (t) => {
  t.timeout(60000);
    const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port }] });
    const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: version }] }).start();
    t.teardown(() => proxy.close());
    const { data, localPort } = await exchange(proxy.ports.f, request, { endAfterWrite: false });
    t.is(bodyOf(data), `127.0.0.1 ${localPort} 127.0.0.1 ${proxy.ports.f}`);
  });
}

withHaproxy('accept-proxy from a trusted source: the client address from its header travels on (v1 in, v2 out)', async (t) => {
  t.timeout(60000);
  const pool = new lb.Pool({ scheduler: 'source-hash', servers: [{ host: '127.0.0.1', port }] });
  const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: 'v2', acceptProxy: { trusted: ['127.0.0.0/8'], timeoutMs: 1000 } }] }).start();
  t.teardown(() => proxy.close());
  const header = lb.encodeProxyV1({ source: '203.0.113.7', sourcePort: 4242, destination: '198.51.100.1', destinationPort: 80 });
  const { data } = await exchange(proxy.ports.f, Buffer.concat([header, request]), { endAfterWrite: false });
  t.is(bodyOf(data), '203.0.113.7 4242 198.51.100.1 80');
  // v2 with IPv6 addresses in, v1 out.
  proxy.reload([{ name: 'f', port: proxy.ports.f, pool, sendProxy: 'v1', acceptProxy: { trusted: ['127.0.0.1'] } }]);
  const v2 = lb.encodeProxyV2({ source: '2001:db8::7', sourcePort: 5555, destination: '2001:db8::1', destinationPort: 443 });
  const r2 = await exchange(proxy.ports.f, Buffer.concat([v2, request]), { endAfterWrite: false });
  t.is(bodyOf(r2.data), '2001:db8::7 5555 2001:db8::1 443');
});

withHaproxy('a trusted client without a valid PROXY header is refused; untrusted clients are not asked for one', async (t) => {
  t.timeout(60000);
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port }] });
  const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: 'v1', acceptProxy: { trusted: ['127.0.0.1'], timeoutMs: 500 } }] }).start();
  t.teardown(() => proxy.close());
  // Refused: closed (reset, as unread bytes remain) without any answer from the server.
  const r = await exchange(proxy.ports.f, request, { endAfterWrite: false }).catch((e) => ({ data: Buffer.alloc(0), error: e.code }));
  t.is(r.data.length, 0);
  t.is(proxy.stats().listeners[0].proxyErrors, 1);
  // Silence until the timeout is also refused.
  const silent = net.connect(proxy.ports.f, '127.0.0.1');
  await new Promise((resolve) => silent.on('close', resolve));
  t.is(proxy.stats().listeners[0].proxyErrors, 2);
  proxy.reload([{ name: 'f', port: proxy.ports.f, pool, sendProxy: 'v1', acceptProxy: { trusted: ['10.0.0.0/8'] } }]);
  const { data, localPort } = await exchange(proxy.ports.f, request, { endAfterWrite: false });
  t.is(bodyOf(data), `127.0.0.1 ${localPort} 127.0.0.1 ${proxy.ports.f}`);
});
