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
/** HAProxy config: behind `accept-proxy`, every request answered with a log-format line of what it read. */
const echoConfig = (port, format) => `
global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend echo
  bind 127.0.0.1:${port} accept-proxy
  http-request return status 200 content-type text/plain lf-string "${format}"
`;

async function startPeer() {
  port = await freePort();
  peer = await haproxy(echoConfig(port, '%[src] %[src_port] %[dst] %[dst_port]'), [port]);
}

test.before(async () => {
  if (require('../../helpers/env').hasCommand('haproxy')) await startPeer();
});
test.after.always(async () => {
  if (peer) await peer.stop();
});

const request = Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
const bodyOf = (data) => data.toString().split('\r\n\r\n')[1];

/** An echoing HAProxy for one test, stopped by its teardown; returns its port. */
async function echoingHaproxy(t, format) {
  const port = await freePort();
  const h = await haproxy(echoConfig(port, format), [port]);
  t.teardown(() => h.stop());
  return port;
}

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

withHaproxy('PROXY v2 TLVs: HAProxy (TLS, proxy-v2-options) -> hakit (parses, verifies CRC32C, forwards) -> HAProxy (fc_pp_*)', async (t) => {
  t.timeout(60000);
  const fs = require('fs');
  const path = require('path');
  const tls = require('tls');
  const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'lb');
  const key = fs.readFileSync(path.join(fixtures, 'key.pem'));
  const cert = fs.readFileSync(path.join(fixtures, 'cert.pem'));
  // client --TLS--> haproxy A --PROXY v2 + TLVs--> hakit --PROXY v2, forwarded TLVs + CRC32C--> haproxy B
  const bPort = await echoingHaproxy(t, 'src=%[src] authority=%[fc_pp_authority] uid=%[fc_pp_unique_id]');
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: bPort }] });
  const proxy = await new lb.TcpProxy({ listeners: [{
    name: 'f', port: 0, pool, sendProxy: 'v2', acceptProxy: { trusted: ['127.0.0.1'] },
    proxyV2: { forwardTlvs: 'all', crc32c: true, tlvs: [{ type: 0xe0, value: Buffer.from('hakit') }] },
  }] }).start();
  t.teardown(() => proxy.close());
  const aPort = await freePort();
  const a = await haproxy(`
global
  maxconn 200
defaults
  mode tcp
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend a
  bind 127.0.0.1:${aPort} ssl crt \${dir}/site.pem alpn h2,http/1.1
  unique-id-format uid-%ci-%cp
  default_backend hakit
backend hakit
  server h 127.0.0.1:${proxy.ports.f} send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority,unique-id,crc32c
`, [aPort], { 'site.pem': Buffer.concat([cert, key]) });
  t.teardown(() => a.stop());
  const seen = new Promise((resolve) => proxy.once('connection', resolve));
  const { body, localPort } = await new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: aPort, servername: 'svc.example', ALPNProtocols: ['http/1.1'], rejectUnauthorized: false }, () => {
      s.write('GET / HTTP/1.1\r\nhost: svc.example\r\nconnection: close\r\n\r\n');
    });
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve({ body: bodyOf(Buffer.concat(chunks)), localPort: s.localPort }));
    s.on('error', reject);
  });
  const info = await seen;
  t.like(info.client, { address: '127.0.0.1', port: localPort });
  t.truthy(info.proxy, 'hakit exposes the TLVs of the header it accepted');
  const p = info.proxy.info;
  t.is(p.authority, 'svc.example');
  t.is(p.alpn, 'http/1.1'); // what the TLS client negotiated with haproxy A
  t.is(p.crc32c, true);
  t.is(p.uniqueId.toString(), `uid-127.0.0.1-${localPort}`);
  t.truthy(p.ssl);
  t.is(p.ssl.client & 1, 1); // PP2_CLIENT_SSL
  t.regex(p.ssl.version, /^TLSv1\.[23]$/);
  t.truthy(p.ssl.cipher);
  t.deepEqual(info.uniqueId, p.uniqueId);
  // haproxy B verified our CRC32C (a mismatch is refused) and read the forwarded TLVs.
  t.is(body, `src=127.0.0.1 authority=svc.example uid=uid-127.0.0.1-${localPort}`);
});

withHaproxy('PROXY v2: a unique id generated by hakit reaches HAProxy; a header with a bad CRC32C is refused', async (t) => {
  t.timeout(60000);
  const bPort = await echoingHaproxy(t, 'uid=%[fc_pp_unique_id]');
  const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port: bPort }] });
  const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: 'v2', acceptProxy: { trusted: ['127.0.0.1'] }, proxyV2: { uniqueId: true, crc32c: true } }] }).start();
  t.teardown(() => proxy.close());
  const seen = new Promise((resolve) => proxy.once('connection', resolve));
  const { data } = await exchange(proxy.ports.f, request, { endAfterWrite: false }).catch(() => ({ data: Buffer.alloc(0) }));
  // Untrusted? No: 127.0.0.1 is trusted, so this plain request is refused (no PROXY header).
  t.is(data.length, 0);
  const good = lb.encodeProxyV2({ source: '192.0.2.9', sourcePort: 1000, destination: '192.0.2.1', destinationPort: 80 }, [], { crc32c: true });
  const r = await exchange(proxy.ports.f, Buffer.concat([good, request]), { endAfterWrite: false });
  const info = await seen;
  t.regex(bodyOf(r.data), /^uid=[0-9a-f-]{36}$/);
  t.is(bodyOf(r.data), `uid=${info.uniqueId.toString()}`);
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 0xff; // the CRC32C value
  const errorsBefore = proxy.stats().listeners[0].proxyErrors;
  const r2 = await exchange(proxy.ports.f, Buffer.concat([bad, request]), { endAfterWrite: false }).catch(() => ({ data: Buffer.alloc(0) }));
  t.is(r2.data.length, 0);
  t.is(proxy.stats().listeners[0].proxyErrors, errorsBefore + 1);
});
