'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { root } = require('../../helpers/env');
const { lbhttp } = require('../../labs/lb-http/lab');

// Captured from haproxy 2.6 (`http-request deny deny_status N`), one JSON string per status.
const captured = new Map(
  fs
    .readFileSync(path.join(root, 'test/fixtures/lb-http/haproxy-2.6-errors.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => [Number(line.slice(0, 3)), JSON.parse(line.slice(4))]),
);

test('built-in error responses are byte-identical to HAProxy 2.6', (t) => {
  t.true(captured.size >= 15);
  for (const [status, bytes] of captured) {
    t.is(lbhttp.errorResponse(status).toString('latin1'), bytes, `status ${status}`);
  }
});

test('parse-level errors use HAProxy raw form with Connection: close', (t) => {
  // As haproxy 2.6 answers a request with two Content-Length headers and a slow request head.
  t.is(
    lbhttp.parseErrorResponse(400).toString(),
    'HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n',
  );
  t.is(
    lbhttp.parseErrorResponse(408).toString(),
    "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
  );
});

test('errorfile replaces a status with the file; bad files are typed errors', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-errors-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '503.http');
  fs.writeFileSync(file, 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n\r\nback soon\n');
  const pages = new lbhttp.ErrorPages({ 503: file });
  const page = pages.get(503);
  t.is(page.body.toString(), 'back soon\n');
  t.deepEqual(page.headers, [['Content-Type', 'text/plain'], ['Retry-After', '5'], ['content-length', '10']]);
  t.is(pages.get(504).body.toString(), '<html><body><h1>504 Gateway Time-out</h1>\nThe server didn\'t respond in time.\n</body></html>\n');
  fs.writeFileSync(file, 'not http');
  t.throws(() => new lbhttp.ErrorPages({ 503: file }), { code: 'LB_BAD_ERRORFILE' });
  t.throws(() => new lbhttp.ErrorPages({ 503: path.join(dir, 'missing') }), { code: 'LB_BAD_ERRORFILE' });
});
