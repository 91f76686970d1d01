'use strict';
// The request path's header helpers: hop-by-hop filtering, the one-pass head scan, copy-on-write view.
const test = require('ava');
const { endToEnd } = require('../../../dist/lb/http/headers');
const { headFacts } = require('../../../dist/lb/http/proxy');
const { RequestView } = require('../../../dist/lb/http/frontend');

const fakeReq = (rawHeaders, over = {}) => ({ rawHeaders, httpVersion: '1.1', url: '/', method: 'GET', ...over });

test('endToEnd drops hop-by-hop fields in any case and the fields Connection names, of any length', (t) => {
  const raw = ['Host', 'a', 'CONNECTION', 'keep-alive, X-Private-Hop', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'x-private-hop', '1', 'Trailer', 'x', 'Accept', '*/*', 'Upgrade', 'h2c', 'Proxy-Connection', 'close'];
  t.deepEqual(endToEnd(raw), ['Host', 'a', 'Accept', '*/*']);
  t.deepEqual(endToEnd(raw, true), ['Host', 'a', 'Accept', '*/*', 'Upgrade', 'h2c', 'Connection', 'upgrade']);
  // Names of hop-by-hop length that are not hop-by-hop stay.
  t.deepEqual(endToEnd(['X-Abcdefg', '1', 'Referer', 'r', 'tE', 'gzip', 'Accept-Enc', 'v']), ['X-Abcdefg', '1', 'Referer', 'r', 'Accept-Enc', 'v']);
});

test('headFacts: body, Expect and the smuggling reasons from one scan', (t) => {
  t.deepEqual(headFacts(fakeReq(['Host', 'h']), 100), { bad: undefined, hasBody: false, expectContinue: false });
  t.true(headFacts(fakeReq(['Host', 'h', 'content-LENGTH', '3']), 100).hasBody);
  t.false(headFacts(fakeReq(['Host', 'h', 'Content-Length', '0']), 100).hasBody);
  t.true(headFacts(fakeReq(['Host', 'h', 'Transfer-Encoding', 'chunked']), 100).hasBody);
  t.true(headFacts(fakeReq(['Host', 'h', 'EXPECT', '100-Continue']), 100).expectContinue);
  t.false(headFacts(fakeReq(['Host', 'h', 'Expect', 'something']), 100).expectContinue);
  t.is(headFacts(fakeReq(['Host', 'h', 'HOST', 'i']), 100).bad, 'several Host headers');
  t.is(headFacts(fakeReq([]), 100).bad, 'HTTP/1.1 request without Host');
  t.is(headFacts(fakeReq([], { httpVersion: '1.0' }), 100).bad, undefined);
  t.is(headFacts(fakeReq(['transfer-encoding', 'chunked'], { httpVersion: '1.0' }), 100).bad, 'Transfer-Encoding in an HTTP/1.0 request');
  t.is(headFacts(fakeReq(['Host', 'h'], { url: '/' + 'a'.repeat(100) }), 100).bad, 'URI too long');
  t.is(headFacts(fakeReq(['Host', 'h'], { method: 'CONNECT' }), 100).bad, 'CONNECT is not proxied');
});

test('RequestView shares the request headers until a rule needs its own copy', (t) => {
  const raw = ['Host', 'h', 'X-A', '1'];
  const view = new RequestView('GET', '/', raw, '10.0.0.1', false);
  t.is(view.raw, raw);
  t.deepEqual(view.headers.get('x-a'), ['1']);
  view.own().push('X-B', '2');
  view.invalidate();
  t.deepEqual(raw, ['Host', 'h', 'X-A', '1'], 'the request rawHeaders are never changed');
  t.deepEqual(view.headers.get('x-b'), ['2']);
  t.is(view.own(), view.raw, 'copied once');
});
