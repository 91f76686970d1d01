'use strict';
const test = require('ava');
const { lbhttp } = require('../../labs/lb-http/lab');

const req = (over = {}) => ({
  method: 'GET',
  path: '/api/v1/items.json',
  headers: new Map([['host', ['Example.COM:8080']], ['x-debug', ['1']], ['accept', ['text/html, application/json']]]),
  src: '10.1.2.3',
  ssl: false,
  ...over,
});

const acl = (line) => lbhttp.compileAcl(line);

test('path fetches', (t) => {
  t.true(acl('path /api/v1/items.json')(req()));
  t.false(acl('path /api')(req()));
  t.true(acl('path_beg /static /api')(req()));
  t.true(acl('path_end .json .xml')(req()));
  t.false(acl('path_end .JSON')(req()));
  t.true(acl('path_end -i .JSON')(req()));
  t.true(acl('path_reg ^/api/v[0-9]+/')(req()));
  t.false(acl('path_reg ^/v1')(req()));
  t.true(acl('path_sub /v1/')(req()));
});

test('method, host, headers', (t) => {
  t.true(acl('method GET HEAD')(req()));
  t.false(acl('method POST')(req()));
  t.true(acl('host example.com')(req()), 'host is lowercased and its port cut');
  t.true(acl('hdr(host) -i example.com:8080')(req()));
  t.true(acl('hdr(x-debug) -m found')(req()));
  t.false(acl('hdr(x-missing) -m found')(req()));
  t.true(acl('hdr(x-debug) 1')(req()));
  t.true(acl('req.hdr(accept) application/json')(req()), 'comma-separated values are separate occurrences');
  t.true(acl('hdr_beg(host) -i example.')(req()));
  t.true(acl('hdr_end(host) :8080')(req()));
  t.true(acl('hdr_sub(accept) html')(req()));
  t.true(acl('hdr_reg(host) ^Ex')(req()));
});

test('src with IPv4, IPv6 and mapped addresses', (t) => {
  t.true(acl('src 10.0.0.0/8')(req()));
  t.false(acl('src 192.168.0.0/16 172.16.0.0/12')(req()));
  t.true(acl('src 10.1.2.3')(req()));
  t.true(acl('src 10.0.0.0/8')(req({ src: '::ffff:10.9.9.9' })));
  t.true(acl('src 2001:db8::/32')(req({ src: '2001:db8:1::5' })));
  t.false(acl('src 2001:db8::/32')(req({ src: '2001:db9::5' })));
  t.true(acl('src ::1')(req({ src: '::1' })));
  t.false(acl('src 10.0.0.0/8')(req({ src: '::1' })));
  t.true(acl('src 0.0.0.0/0')(req({ src: '1.2.3.4' })));
});

test('ssl_fc and constants', (t) => {
  t.false(acl('ssl_fc')(req()));
  t.true(acl('ssl_fc')(req({ ssl: true })));
  t.true(acl('always_true')(req()));
  t.false(acl('always_false')(req()));
});

test('conditions: AND by adjacency, or/||, !, unless, anonymous ACLs', (t) => {
  const acls = new Map([
    ['api', acl('path_beg /api')],
    ['post', acl('method POST')],
    ['local', acl('src 127.0.0.0/8')],
  ]);
  const cond = (text) => lbhttp.compileCondition(text.split(' '), acls);
  t.false(cond('if api post')(req()));
  t.true(cond('if api post')(req({ method: 'POST' })));
  t.true(cond('if post or api')(req()));
  t.true(cond('if post || api')(req()));
  t.true(cond('if api !local')(req()));
  t.false(cond('if api !local')(req({ src: '127.0.0.1' })));
  t.true(cond('unless post')(req()));
  t.true(cond('if { path_end .json } api')(req()));
  t.false(cond('if !{ method GET }')(req()));
  t.true(cond('if post or { hdr(x-debug) -m found } local or api')(req()));
});

test('bad ACLs and conditions are errors with a message', (t) => {
  t.throws(() => acl('path_beg'), { message: /needs at least one pattern/ });
  t.throws(() => acl('hdr /x'), { message: /needs a header name/ });
  t.throws(() => acl('src 10.0.0.0/33'), { message: /prefix length/ });
  t.throws(() => acl('src nonsense'), { message: /bad address/ });
  t.throws(() => acl('path_reg ([a-'), { message: /bad regular expression/ });
  t.throws(() => acl('path -m bogus /x'), { message: /-m needs/ });
  t.throws(() => acl('ssl_fc yes'), { message: /takes no pattern/ });
  t.throws(() => lbhttp.compileCondition(['if', 'nope'], new Map()), { message: /unknown ACL 'nope'/ });
  t.throws(() => lbhttp.compileCondition(['if', 'or'], new Map()), { message: /without a term/ });
  t.throws(() => lbhttp.compileCondition(['if', '{', 'path', '/x'], new Map()), { message: /without '}'/ });
  t.throws(() => lbhttp.compileCondition(['when', 'x'], new Map()), { message: /starts with if or unless/ });
});

test('http-request rules parse like HAProxy and reject nonsense', (t) => {
  const acls = new Map([['bad', acl('path /bad')]]);
  const rule = (line) => lbhttp.compileHttpRequestRule(line, acls);
  t.deepEqual(rule('deny if bad').action, { kind: 'deny', status: 403 });
  t.deepEqual(rule('deny deny_status 429 if bad').action, { kind: 'deny', status: 429 });
  t.deepEqual(rule('redirect scheme https code 301 unless bad').action, { kind: 'redirect', type: 'scheme', target: 'https', code: 301 });
  t.deepEqual(rule('set-header X-Test "a b"').action, { kind: 'set-header', name: 'X-Test', value: 'a b' });
  t.deepEqual(rule('del-header Cookie').action, { kind: 'del-header', name: 'Cookie' });
  const ret = rule('return status 418 content-type text/plain string "short and stout" hdr X-Tea 1').action;
  t.is(ret.status, 418);
  t.is(ret.body.toString(), 'short and stout');
  t.deepEqual(ret.headers, [['X-Tea', '1']]);
  t.throws(() => rule('explode'), { message: /unknown http-request action/ });
  t.throws(() => rule('redirect location /x code 200'), { message: /status must be/ });
  t.throws(() => rule('set-header Bad:Name x'), { message: /bad header name/ });
  t.throws(() => rule('return string hi'), { message: /needs content-type/ });
  t.throws(() => rule('set-header X "unterminated'), { message: /unterminated/ });
});
