'use strict';
// Request-smuggling vectors over raw sockets: each must get HAProxy's 400 and close, and no
// request may complete on the backend (a head already streamed is cut off with its connection).
const test = require('ava');
const { backend, balancer, raw, request, lbhttp } = require('../../labs/lb-http/lab');

const vectors = {
  'two identical Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
  'conflicting Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
  'Content-Length list': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc',
  'negative Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
  'signed Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc',
  'Transfer-Encoding with Content-Length (CL.TE)': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG',
  'Transfer-Encoding with Content-Length (TE.CL)': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  'Transfer-Encoding not ending in chunked': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
  'unknown Transfer-Encoding': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  'duplicate Transfer-Encoding': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'Transfer-Encoding in HTTP/1.0': 'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'obs-fold header continuation': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n',
  'space before colon': 'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'non-hex chunk size': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'overflowing chunk size': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
  'bare LF line ends': 'GET / HTTP/1.1\nHost: a\n\n',
  'bare CR in a header': 'GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n',
  'NUL in a header value': 'GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n',
  'two Host headers': 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'HTTP/1.1 without Host': 'GET / HTTP/1.1\r\n\r\n',
  'bad HTTP version': 'GET / HTTP/9.9\r\nHost: a\r\n\r\n',
  'URI over the limit': 'GET /' + 'a'.repeat(3000) + ' HTTP/1.1\r\nHost: a\r\n\r\n',
  'headers over the limit': 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'a'.repeat(9000) + '\r\n\r\n',
};

let be;
let lb;
test.before(async () => {
  be = await backend('victim');
  lb = await balancer({
    global: { 'max-header-size': 8192, 'max-uri-length': 2048 },
    frontend: { web: { bind: '127.0.0.1:0', default_backend: 'app' } },
    backend: { app: { server: { s1: `127.0.0.1:${be.port}` } } },
  });
});
test.after.always(async () => {
  await lb?.close();
  await be?.close();
});

for (const [name, bytes] of Object.entries(vectors)) {
  test.serial(`refused: ${name}`, async (t) => {
    const before = be.seen.length;
    const r = await raw(lb.port, bytes);
    t.is(r.text, lbhttp.parseErrorResponse(400).toString());
    t.true(r.closed, 'the connection is closed after the 400');
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.is(be.seen.length, before, 'no request completed on the backend');
    t.is(be.sockets?.size ?? 0, 0, 'no upstream connection is left carrying a partial request');
  });
}

test.serial('the same framing done right passes (controls)', async (t) => {
  const before = be.seen.length;
  const ok = await raw(lb.port, 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n');
  t.regex(ok.text, /^HTTP\/1\.1 200 /);
  t.regex(ok.text, /victim POST \/x 3/);
  const cl = await request(lb.port, { method: 'POST', path: '/y', headers: { 'content-length': 2 } }, 'hi');
  t.is(cl.body, 'victim POST /y 2\n');
  t.is(be.seen.length, before + 2);
});
