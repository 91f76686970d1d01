'use strict';
// PROXY protocol against a second real consumer: nginx `listen ... proxy_protocol` reads hakit's
// v1 and v2 headers and reports the client address it found ($proxy_protocol_addr/_port).
const test = require('ava');
const { lb } = require('../../..');
const { freePort, nginx, exchange } = require('../../labs/lb/peers');
const { needs, requires, hasCommand } = require('../../helpers/env');

const withNginx = needs(test.serial, [requires.command('nginx', 'nginx-light')]);

let peer;
let port;
test.before(async () => {
  if (!hasCommand('nginx')) return;
  port = await freePort();
  peer = await nginx(`  server {
    listen 127.0.0.1:${port} proxy_protocol;
    location / { return 200 "$proxy_protocol_addr $proxy_protocol_port $remote_addr\\n"; }
  }`, [port]);
});
test.after.always(async () => {
  if (peer) await peer.stop();
});

const request = Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
const bodyOf = (data) => data.toString().split('\r\n\r\n')[1];

for (const version of ['v1', 'v2']) {
  withNginx(`send-proxy ${version}: nginx sees the real client address and port`, async (t) => {
    t.timeout(60000);
    const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port }] });
    const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: version }] }).start();
    t.teardown(() => proxy.close());
    const { data, localPort } = await exchange(proxy.ports.f, request, { endAfterWrite: false });
    t.is(bodyOf(data), `127.0.0.1 ${localPort} 127.0.0.1\n`);
  });

  withNginx(`send-proxy ${version} with an address from a trusted client's header (IPv6 in)`, async (t) => {
    t.timeout(60000);
    const pool = new lb.Pool({ servers: [{ host: '127.0.0.1', port }] });
    const proxy = await new lb.TcpProxy({ listeners: [{ name: 'f', port: 0, pool, sendProxy: version, acceptProxy: { trusted: ['127.0.0.1'] }, proxyV2: { uniqueId: true, crc32c: true } }] }).start();
    t.teardown(() => proxy.close());
    const header = lb.encodeProxyV2({ source: '2001:db8::7', sourcePort: 5555, destination: '2001:db8::1', destinationPort: 443 });
    const { data } = await exchange(proxy.ports.f, Buffer.concat([header, request]), { endAfterWrite: false });
    // nginx accepts TLVs it does not know (unique id, CRC32C) and reads the address after them.
    t.is(bodyOf(data), '2001:db8::7 5555 127.0.0.1\n');
  });
}
