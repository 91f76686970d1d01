'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { lb } = require('../../..');

const TOKEN = 'test-token-0123456789abcdef';
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lb-runtime-'));
const makePool = () => new lb.Pool({ name: 'web', scheduler: 'wrr', servers: [{ id: 'a', host: '127.0.0.1', port: 8001 }, { id: 'b', host: '127.0.0.1', port: 8002 }] });

async function call(admin, method, url, body, token = TOKEN) {
  const response = await fetch(`http://127.0.0.1:${admin.port}${url}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

test('admin endpoint: token required, list, add, drain, weight, address, remove, checks', async (t) => {
  const pool = makePool();
  const checker = new lb.HealthChecker(pool, { type: 'custom', custom: async () => true, intervalMs: 60000 });
  checker.start();
  const runtime = new lb.Runtime().register(pool, checker);
  const admin = await lb.startAdminServer({ runtime, token: TOKEN });
  t.teardown(() => { checker.stop(); return admin.close(); });
  t.is(admin.host, '127.0.0.1');

  t.is((await call(admin, 'GET', '/pools', undefined, 'wrong-token-xxxxxxxxxx')).status, 401);
  const r0 = await fetch(`http://127.0.0.1:${admin.port}/pools`);
  t.is(r0.status, 401);

  const list = await call(admin, 'GET', '/pools');
  t.is(list.status, 200);
  t.deepEqual(list.body.map((p) => p.name), ['web']);
  t.deepEqual(list.body[0].servers.map((s) => `${s.id}:${s.state}`), ['a:up', 'b:up']);

  const added = await call(admin, 'POST', '/pools/web/servers', { id: 'c', host: '127.0.0.1', port: 8003, weight: 3 });
  t.is(added.status, 201);
  t.is(pool.get('c').weight, 3);
  t.is((await call(admin, 'POST', '/pools/web/servers', { id: 'c', host: '127.0.0.1', port: 8003 })).status, 409);
  t.is((await call(admin, 'POST', '/pools/web/servers', { host: '127.0.0.1', port: 'x' })).body.error.code, 'ERR_INVALID_ARG');

  t.is((await call(admin, 'POST', '/pools/web/servers/a/drain')).body.state, 'drain');
  for (let i = 0; i < 20; i++) t.not(pool.pick().id, 'a');
  t.is((await call(admin, 'POST', '/pools/web/servers/a/ready')).body.state, 'up');
  t.is((await call(admin, 'PUT', '/pools/web/servers/b/weight', { weight: 7 })).body.weight, 7);
  t.is((await call(admin, 'PUT', '/pools/web/servers/b/weight', { weight: 1000 })).status, 400);
  t.like((await call(admin, 'PUT', '/pools/web/servers/b/address', { host: '127.0.0.2', port: 9000 })).body, { host: '127.0.0.2', port: 9000 });
  t.is((await call(admin, 'POST', '/pools/web/checks/disable', { server: 'b' })).status, 200);
  t.false(checker.status('b').enabled);
  t.false((await call(admin, 'GET', '/pools/web/servers/b')).body.checks);
  t.is((await call(admin, 'POST', '/pools/web/checks/enable')).status, 200);
  t.true(checker.status('b').enabled);
  t.is((await call(admin, 'DELETE', '/pools/web/servers/c')).status, 200);
  t.is(pool.get('c'), undefined);
  t.is((await call(admin, 'DELETE', '/pools/web/servers/c')).status, 404);
  t.is((await call(admin, 'GET', '/pools/nope')).status, 404);
  t.is((await call(admin, 'GET', '/elsewhere')).status, 404);
  const bad = await fetch(`http://127.0.0.1:${admin.port}/pools/web/servers`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{not json' });
  t.is(bad.status, 400);
});

test('admin endpoint refuses short tokens and non-numeric hosts', async (t) => {
  const runtime = new lb.Runtime();
  await t.throwsAsync(lb.startAdminServer({ runtime, token: 'short' }), { code: 'ERR_INVALID_ARG' });
  await t.throwsAsync(lb.startAdminServer({ runtime, token: TOKEN, host: 'localhost' }), { code: 'ERR_INVALID_ARG' });
});

test('runtime changes survive a restart through the state file', (t) => {
  const dir = tmp();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const stateFile = path.join(dir, 'state.json');
  const first = new lb.Runtime({ stateFile }).register(makePool());
  first.addServer('web', { id: 'c', host: '127.0.0.1', port: 8003, weight: 5, backup: true });
  first.removeServer('web', 'b');
  first.setAdmin('web', 'a', 'drain');
  first.setWeight('web', 'a', 9);
  first.setAddress('web', 'c', '127.0.0.3', 8100);
  t.true(fs.existsSync(stateFile));

  // "Restart": the configured pool again, then the state file on top.
  const pool = makePool();
  const second = new lb.Runtime({ stateFile }).register(pool);
  t.is(second.load(), 3);
  t.deepEqual(pool.servers.map((s) => s.id).sort(), ['a', 'c']);
  t.like(pool.get('a'), { admin: 'drain', weight: 9 });
  t.like(pool.get('c'), { host: '127.0.0.3', port: 8100, weight: 5, backup: true });

  fs.writeFileSync(stateFile, '{"version": 7}');
  t.throws(() => new lb.Runtime({ stateFile }).register(makePool()).load(), { code: 'LB_STATE_FILE' });
  fs.writeFileSync(stateFile, 'garbage');
  t.throws(() => new lb.Runtime({ stateFile }).register(makePool()).load(), { code: 'LB_STATE_FILE' });
  t.is(new lb.Runtime({ stateFile: path.join(dir, 'missing.json') }).register(makePool()).load(), 0);
});
