'use strict';
// TLS both ways with a CA made by openssl at test time: termination with SNI and ALPN, the
// ssl_fc ACL and X-Forwarded-Proto; re-encryption to an HTTPS server with verify required
// (a server with a certificate from another CA is refused) and verify none.
const test = require('ava');
const fs = require('fs');
const https = require('https');
const tls = require('tls');
const { needs, requires } = require('../../helpers/env');
const { backend, balancer } = require('../../labs/lb-http/lab');
const { makePki } = require('../../labs/lb-http/pki');

const ntest = needs(test, [requires.command('openssl', 'openssl')]);

function httpsGet(port, { servername, ca, path = '/' }) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, servername, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers, peer: res.socket.getPeerCertificate?.() }));
    });
    req.on('error', reject);
  });
}

async function httpsBackend(name, leaf) {
  const server = https.createServer({ cert: fs.readFileSync(leaf.cert), key: fs.readFileSync(leaf.key) }, (req, res) => {
    req.resume();
    req.on('end', () => res.end(`${name} tls ${req.socket.encrypted ? 'yes' : 'no'} sni ${req.socket.servername}\n`));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

ntest('termination: SNI picks the certificate, ALPN says http/1.1, ssl_fc and X-Forwarded-Proto see TLS', async (t) => {
  const pki = makePki();
  t.teardown(() => pki.cleanup());
  const a = pki.leaf('a.test');
  const b = pki.leaf('b.test');
  const plain = await backend('plain');
  const secure = await backend('secure');
  t.teardown(() => Promise.all([plain.close(), secure.close()]));
  const lb = await balancer({
    defaults: { option: ['forwardfor'] },
    frontend: {
      web: {
        bind: ['127.0.0.1:0', `127.0.0.1:0 ssl crt ${a.pem} crt ${b.pem} alpn http/1.1`],
        acl: { tls: 'ssl_fc' },
        use_backend: ['secure if tls'],
        default_backend: 'plain',
      },
    },
    backend: { plain: { server: { s1: `127.0.0.1:${plain.port}` } }, secure: { server: { s1: `127.0.0.1:${secure.port}` } } },
  });
  t.teardown(() => lb.close());
  const tlsPort = lb.addresses.find((x) => x.ssl).port;
  const plainPort = lb.addresses.find((x) => !x.ssl).port;
  const ca = fs.readFileSync(pki.ca);
  const ra = await httpsGet(tlsPort, { servername: 'a.test', ca });
  t.is(ra.status, 200);
  t.is(ra.body.split(' ')[0], 'secure');
  t.is(ra.peer.subject.CN, 'a.test');
  const rb = await httpsGet(tlsPort, { servername: 'b.test', ca });
  t.is(rb.peer.subject.CN, 'b.test');
  t.is(secure.seen.at(-1).headers['x-forwarded-proto'], 'https');
  t.regex(secure.seen.at(-1).headers.forwarded, /proto=https/);
  const alpn = await new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: tlsPort, servername: 'a.test', ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(s.alpnProtocol);
      s.end();
    });
    s.on('error', reject);
  });
  t.is(alpn, 'http/1.1');
  // Plain HTTP on the other bind goes to the default backend.
  const { request } = require('../../labs/lb-http/lab');
  t.is((await request(plainPort)).body.split(' ')[0], 'plain');
  t.is(plain.seen.at(-1).headers['x-forwarded-proto'], 'http');
});

ntest('re-encryption: verify required with the right CA passes, a foreign CA is refused (503), verify none passes', async (t) => {
  const pki = makePki();
  const rogue = makePki('rogue CA');
  t.teardown(() => {
    pki.cleanup();
    rogue.cleanup();
  });
  const good = await httpsBackend('good', pki.leaf('backend.test'));
  const bad = await httpsBackend('rogue', rogue.leaf('backend.test'));
  t.teardown(() => Promise.all([good.close(), bad.close()]));
  const front = pki.leaf('front.test');
  const lb = await balancer({
    defaults: { retries: 1, timeout: { connect: '1s' } },
    frontend: {
      web: {
        bind: `127.0.0.1:0 ssl crt ${front.pem}`,
        use_backend: ['verified if { path_beg /verified }', 'rogue if { path_beg /rogue }', 'noverify if { path_beg /noverify }'],
        default_backend: 'verified',
      },
    },
    backend: {
      verified: { server: { s1: `127.0.0.1:${good.port} ssl verify required ca-file ${pki.ca} sni backend.test` } },
      rogue: { server: { s1: `127.0.0.1:${bad.port} ssl verify required ca-file ${pki.ca} sni backend.test` } },
      noverify: { server: { s1: `127.0.0.1:${bad.port} ssl verify none sni backend.test` } },
    },
  });
  t.teardown(() => lb.close());
  const ca = fs.readFileSync(pki.ca);
  const ok = await httpsGet(lb.port, { servername: 'front.test', ca, path: '/verified' });
  t.is(ok.status, 200);
  t.is(ok.body, 'good tls yes sni backend.test\n');
  const again = await httpsGet(lb.port, { servername: 'front.test', ca, path: '/verified/2' });
  t.is(again.status, 200, 'pooled TLS connection to the server');
  const refused = await httpsGet(lb.port, { servername: 'front.test', ca, path: '/rogue' });
  t.is(refused.status, 503);
  t.true(lb.lb.runtime().backends.get('rogue').counters.econ >= 1, 'counted as a connection error');
  const unverified = await httpsGet(lb.port, { servername: 'front.test', ca, path: '/noverify' });
  t.is(unverified.status, 200);
  t.is(unverified.body.split(' ')[0], 'rogue');
});
