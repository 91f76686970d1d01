'use strict';
// The native path's HTTP/1.1 parser (native/lb/http/http_parse.cc) through its test bindings:
// what it accepts stays native, what it rejects goes to the JS path (which answers 400 etc.).
const test = require('ava');
const { nativeModule } = require('../../../dist/native');
const { validateConfig } = require('../../../dist/lb/http');

const m = nativeModule('lbHttp');
const req = (text, maxHead = 16384, maxUri = 8192) => m.parseRequest(Buffer.from(text, 'latin1'), maxHead, maxUri);
const res = (text, head = false) => m.parseResponse(Buffer.from(text, 'latin1'), head);

test('a plain request: method, target, host, framing, hop-by-hop fields (and those Connection names) dropped', (t) => {
  const r = req('POST /a?b=c HTTP/1.1\r\nHost: example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nContent-Length: 12\r\nAccept: */*\r\n\r\nbody');
  t.is(r.result, 'ok');
  t.is(r.method, 'POST');
  t.is(r.target, '/a?b=c');
  t.is(r.host, 'example');
  t.is(r.contentLength, 12);
  t.false(r.chunked);
  t.false(r.close);
  t.is(r.headLength, r.headLength | 0);
  t.deepEqual(r.forwarded, ['Host', 'Content-Length', 'Accept']);
  t.true(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n').close);
  const c = req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n');
  t.true(c.chunked);
  t.deepEqual(c.forwarded, ['Host']);
});

test('an incomplete head waits; a head over the limit is refused', (t) => {
  t.is(req('GET / HTTP/1.1\r\nHost: a\r\n').result, 'incomplete');
  t.is(req('GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'y'.repeat(300), 256).reason, 'head too large');
  t.is(req('GET /' + 'a'.repeat(100) + ' HTTP/1.1\r\nHost: a\r\n\r\n', 16384, 50).reason, 'URI too long');
});

// RFC 9112 smuggling vectors and what the native path leaves to the JS path.
const refused = {
  'two Content-Length': 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
  'Content-Length list': 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n',
  'signed Content-Length': 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n',
  'TE and CL': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
  'TE not chunked': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
  'two TE': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
  'HTTP/1.0': 'GET / HTTP/1.0\r\nHost: a\r\n\r\n',
  'obs-fold': 'GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n',
  'space before colon': 'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
  'bare LF': 'GET / HTTP/1.1\nHost: a\n\n',
  'bare CR': 'GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n',
  'NUL in a value': 'GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n',
  'two Host': 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'no Host': 'GET / HTTP/1.1\r\nX: 1\r\n\r\n',
  'bad version': 'GET / HTTP/1.2\r\nHost: a\r\n\r\n',
  'two spaces': 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
  'CONNECT': 'CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n',
  'Upgrade': 'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
  'Expect': 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n',
  'control byte in the target': 'GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n',
};
for (const [name, text] of Object.entries(refused)) {
  test(`left to the JS path: ${name}`, (t) => {
    t.is(req(text).result, 'reject', JSON.stringify(text));
  });
}

test('responses: framing by status, method, Content-Length, Transfer-Encoding and Connection', (t) => {
  t.like(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), { result: 'ok', status: 200, body: 'length', contentLength: 5, close: false });
  t.like(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n'), { result: 'ok', body: 'length' });
  t.like(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', true), { body: 'none' });
  t.like(res('HTTP/1.1 204 No Content\r\n\r\n'), { body: 'none' });
  t.like(res('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n'), { body: 'none' });
  t.like(res('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'), { status: 103, body: 'none' });
  t.like(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n'), { body: 'chunked', contentLength: -1 });
  t.like(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), { body: 'close', close: true });
  t.like(res('HTTP/1.1 200 OK\r\n\r\n'), { body: 'close' });
  t.like(res('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n'), { result: 'ok', status: 200, body: 'none' });
  t.like(res('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n'), { close: true });
  t.like(res('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n'), { close: true });
  t.like(res('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n'), { close: false });
  for (const bad of ['this is not HTTP\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'HTTP/1.1 200 OK\r\nX : y\r\n\r\n', 'HTTP/1.1 200 OK\nX: y\n\n', 'HTTP/1.1 200 OK\r\n fold\r\n\r\n'])
    t.is(res(bad).result, 'reject', JSON.stringify(bad));
});

test('chunked framing: the end is found across any split; bad sizes fail', (t) => {
  const body = Buffer.from('5;ext="x"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: v\r\n\r\nNEXT');
  const end = body.length - 4;
  for (let split = 0; split <= body.length; split++) t.deepEqual(m.frameChunks(body, split), { consumed: end, done: true, failed: false }, `split ${split}`);
  t.like(m.frameChunks(Buffer.from('0\r\n\r\n'), 1), { consumed: 5, done: true });
  for (const bad of ['g\r\n', '\r\n', '5\r\nhelloX\r\n', '1111111111111111\r\n', '5\nhello\n', '-1\r\n', '0\r\n x\r\n\r\n'])
    t.like(m.frameChunks(Buffer.from(bad), 0), { done: false, failed: true }, JSON.stringify(bad));
  t.like(m.frameChunks(Buffer.from('5\r\nhel'), 2), { consumed: 6, done: false, failed: false });
});

test('global.native-http and reuse-port are validated with the path named', (t) => {
  const base = { frontend: { f: { bind: '127.0.0.1:0', default_backend: 'b' } }, backend: { b: { server: { s1: '127.0.0.1:1' } } } };
  t.is(validateConfig(base).global.nativeHttp, 'auto');
  t.is(validateConfig({ ...base, global: { 'native-http': 'off', 'reuse-port': true } }).global.nativeHttp, 'off');
  t.true(validateConfig({ ...base, global: { 'reuse-port': true } }).global.reusePort);
  const e = t.throws(() => validateConfig({ ...base, global: { 'native-http': 'fast' } }));
  t.is(e.code, 'LB_BAD_CONFIG');
  t.regex(e.message, /global\.native-http: must be auto, on or off/);
  t.regex(t.throws(() => validateConfig({ ...base, global: { 'reuse-port': 'yes' } })).message, /global\.reuse-port/);
});

test('the engine checks its arguments', (t) => {
  const noop = () => {};
  t.is(t.throws(() => new m.NativeHttpEngine(noop, noop)).code, 'ERR_NATIVE_ARGS');
  const engine = new m.NativeHttpEngine(() => -1, noop, noop);
  t.teardown(() => engine.shutdown());
  t.is(t.throws(() => engine.headers()).code, 'LB_NO_REQUEST');
  t.is(t.throws(() => engine.listen(0, '127.0.0.1', 0, 16, false, {})).code, 'ERR_NATIVE_ARGS');
  t.is(engine.addServer('localhost', 80, 1000, 1000), -1, 'names are left to the JS path');
  t.is(engine.addServer('127.0.0.1', 80, 1000, 1000), engine.addServer('127.0.0.1', 80, 1000, 1000));
  t.not(engine.addServer('::1', 80, 1000, 1000), engine.addServer('127.0.0.1', 80, 1000, 1000));
});
