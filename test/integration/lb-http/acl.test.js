'use strict';
// Each ACL kind and each http-request action, through the balancer to real backends: the
// request lands on the backend the ACL picks (each backend answers with its name).
const test = require('ava');
const { backend, balancer, request } = require('../../labs/lb-http/lab');

let names;
let lb;
const servers = {};
test.before(async () => {
  names = ['default', 'path', 'beg', 'end', 'reg', 'method', 'src', 'host', 'hdrfound', 'hdrval', 'and', 'or', 'not'];
  for (const name of names) servers[name] = await backend(name);
  const backends = {};
  for (const name of names) backends[name] = { server: { s1: `127.0.0.1:${servers[name].port}` } };
  lb = await balancer({
    frontend: {
      web: {
        bind: '127.0.0.1:0',
        acl: {
          exact: 'path /exact',
          api: 'path_beg /api/',
          img: 'path_end .png .jpg',
          ver: 'path_reg ^/v[0-9]+/items$',
          del: 'method DELETE',
          other_net: 'src 192.0.2.0/24 127.0.0.2/32',
          local: ['src 10.0.0.0/8', 'src 127.0.0.1 127.0.0.2'],
          shop: 'host -i shop.example',
          debug: 'hdr(x-debug) -m found',
          beta: 'hdr(x-channel) -i beta',
          post: 'method POST',
          form: 'path_beg /form',
          a: 'path /a',
          b: 'path /b',
          secret: 'path_beg /secret',
        },
        'http-request': [
          'deny deny_status 429 if secret !local',
          'redirect location https://example.org/moved code 301 if { path /old }',
          'redirect prefix https://new.example code 308 if { path_beg /pfx }',
          'return status 200 content-type application/json string "{\\"ok\\":true}" hdr X-Answered-By lb if { path /healthz }',
          'set-header X-Route acl-test',
          'add-header X-Added 1',
          'add-header X-Added 2',
          'del-header X-Remove-Me',
        ],
        use_backend: [
          'path if exact',
          'beg if api',
          'end if img',
          'reg if ver',
          'method if del',
          'src if other_net',
          'host if shop',
          'hdrfound if debug',
          'hdrval if beta',
          'and if post form',
          'or if a or b',
          'not if !local',
        ],
        default_backend: 'default',
      },
    },
    backend: backends,
  });
});
test.after.always(async () => {
  await lb?.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const who = async (options) => (await request(lb.port, options)).body.split(' ')[0];

test('path, path_beg, path_end, path_reg', async (t) => {
  t.is(await who({ path: '/exact' }), 'path');
  t.is(await who({ path: '/exact/no' }), 'default');
  t.is(await who({ path: '/api/users' }), 'beg');
  t.is(await who({ path: '/apix' }), 'default');
  t.is(await who({ path: '/img/logo.png?x=1' }), 'end', 'the query string is not part of path');
  t.is(await who({ path: '/v2/items' }), 'reg');
  t.is(await who({ path: '/v2/items/1' }), 'default');
});

test('method, host (case-insensitive, port cut), header presence and value', async (t) => {
  t.is(await who({ path: '/x', method: 'DELETE' }), 'method');
  t.is(await who({ path: '/x', headers: { host: 'SHOP.example:8080' } }), 'host');
  t.is(await who({ path: '/x', headers: { 'x-debug': '' } }), 'hdrfound');
  t.is(await who({ path: '/x', headers: { 'x-channel': 'BETA' } }), 'hdrval');
  t.is(await who({ path: '/x', headers: { 'x-channel': 'stable' } }), 'default');
});

test('src: CIDR lists, several ACL lines ORed, negation', async (t) => {
  // Clients bind different loopback addresses: 127.0.0.1 and .2 are `local`, .2 is `other_net`.
  t.is(await who({ path: '/x' }), 'default');
  t.is(await who({ path: '/x', localAddress: '127.0.0.2' }), 'src');
  t.is(await who({ path: '/x', localAddress: '127.0.0.3' }), 'not');
  t.is(servers.not.seen.at(-1).headers['x-forwarded-for'], undefined, 'forwardfor is off here');
});

test('and, or', async (t) => {
  t.is(await who({ path: '/form', method: 'POST', headers: { 'content-length': 0 } }), 'and');
  t.is(await who({ path: '/form' }), 'default');
  t.is(await who({ path: '/a' }), 'or');
  t.is(await who({ path: '/b' }), 'or');
});

test('http-request deny with deny_status, for non-local clients only', async (t) => {
  t.is((await request(lb.port, { path: '/secret' })).status, 200, '127.0.0.1 is local');
  const denied = await request(lb.port, { path: '/secret', localAddress: '127.0.0.3' });
  t.is(denied.status, 429);
  t.regex(denied.body, /<h1>429 Too Many Requests<\/h1>/);
});

test('http-request redirect location / prefix, return, set/add/del-header', async (t) => {
  const moved = await request(lb.port, { path: '/old' });
  t.is(moved.status, 301);
  t.is(moved.headers.location, 'https://example.org/moved');
  const pfx = await request(lb.port, { path: '/pfx/a?b=1' });
  t.is(pfx.status, 308);
  t.is(pfx.headers.location, 'https://new.example/pfx/a?b=1');
  const ret = await request(lb.port, { path: '/healthz' });
  t.is(ret.status, 200);
  t.is(ret.body, '{"ok":true}');
  t.is(ret.headers['content-type'], 'application/json');
  t.is(ret.headers['x-answered-by'], 'lb');
  t.is(servers.default.seen.filter((s) => s.url === '/healthz').length, 0, 'answered by the balancer');
  await request(lb.port, { path: '/hdrs', headers: { 'x-route': 'client-value', 'x-remove-me': 'bye' } });
  const seen = servers.default.seen.at(-1);
  t.is(seen.headers['x-route'], 'acl-test', 'set-header replaces');
  t.is(seen.headers['x-added'], '1, 2', 'add-header appends');
  t.is(seen.headers['x-remove-me'], undefined);
});
