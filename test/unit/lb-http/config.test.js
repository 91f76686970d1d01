'use strict';
const test = require('ava');
const { lbhttp } = require('../../labs/lb-http/lab');

const minimal = () => ({
  frontend: { web: { bind: '127.0.0.1:8080', default_backend: 'app' } },
  backend: { app: { server: { s1: '127.0.0.1:9001 check weight 10 maxconn 5' } } },
});

function problems(config) {
  const error = (() => {
    try {
      lbhttp.validateConfig(config);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!error) return undefined;
  return { error, paths: error.details.problems.map((p) => p.path), messages: error.details.problems.map((p) => `${p.path}: ${p.message}`) };
}

test('a minimal config gets HAProxy defaults', (t) => {
  const c = lbhttp.validateConfig(minimal());
  t.is(c.frontends[0].binds[0].port, 8080);
  t.is(c.backends[0].balance, 'roundrobin');
  t.deepEqual(
    { ...c.backends[0].servers[0] },
    { name: 's1', host: '127.0.0.1', port: 9001, check: true, weight: 10, backup: false, maxconn: 5 },
  );
  t.is(c.defaults.retries, 3);
  t.is(c.defaults.timeouts.connect, 5000);
  t.is(c.backends[0].check.rise, 2);
});

test('durations accept HAProxy units', (t) => {
  const config = minimal();
  config.defaults = { timeout: { connect: '250ms', client: '1m', server: '2s', 'http-request': 5000, queue: '1.5s' } };
  const c = lbhttp.validateConfig(config);
  t.deepEqual([c.defaults.timeouts.connect, c.defaults.timeouts.client, c.defaults.timeouts.server, c.defaults.timeouts.httpRequest, c.defaults.timeouts.queue], [250, 60000, 2000, 5000, 1500]);
  t.is(c.frontends[0].timeouts.client, 60000, 'frontends inherit defaults');
});

test('every problem is reported with its path', (t) => {
  const r = problems({
    global: { maxconn: -1, bogus: 1 },
    defaults: { timeout: { connect: 'soon' } },
    frontend: { web: { bind: '127.0.0.1:99999', default_backend: 'nope', acl: { a: 'path_bad /x' }, 'http-request': ['explode'] } },
    backend: { app: { balance: 'fastest', server: { s1: '127.0.0.1:80 wieght 3' }, cookie: 'SRV rewrite' } },
  });
  t.truthy(r);
  t.is(r.error.code, 'LB_BAD_CONFIG');
  for (const path of [
    'global.maxconn',
    'global.bogus',
    'defaults.timeout.connect',
    'frontend.web.bind[0]',
    'frontend.web.default_backend',
    'frontend.web.acl.a',
    'frontend.web.http-request[0]',
    'backend.app.balance',
    'backend.app.server.s1',
    'backend.app.cookie',
  ]) {
    t.true(r.paths.includes(path), `expected a problem at ${path}; got ${r.messages.join(' | ')}`);
  }
  t.regex(r.error.message, /^global\.bogus: unknown key .* \(and 10 more\)$/);
  t.regex(r.messages.find((m) => m.startsWith('backend.app.server.s1')), /unknown server option 'wieght'/);
  t.regex(r.messages.find((m) => m.startsWith('frontend.web.acl.a')), /unknown ACL fetch 'path_bad'/);
});

test('use_backend must name a backend and a known ACL', (t) => {
  const config = minimal();
  config.frontend.web.use_backend = ['other if is_api', 'app if unknown_acl'];
  config.frontend.web.acl = { is_api: 'path_beg /api' };
  const r = problems(config);
  t.deepEqual(r.paths.sort(), ['frontend.web.use_backend[0]', 'frontend.web.use_backend[1]']);
  t.regex(r.messages[0], /no backend named 'other'/);
  t.regex(r.messages[1], /unknown ACL 'unknown_acl'/);
});

test('two frontends cannot bind the same address', (t) => {
  const config = minimal();
  config.frontend.other = { bind: ['127.0.0.1:9090', '127.0.0.1:8080'], default_backend: 'app' };
  const r = problems(config);
  t.deepEqual(r.messages, ['frontend.other.bind[1]: 127.0.0.1:8080 is already bound by frontend.web']);
});

test('server TLS must say how to verify', (t) => {
  const config = minimal();
  config.backend.app.server.s1 = '127.0.0.1:443 ssl';
  t.regex(problems(config).messages[0], /verify required ca-file FILE' or 'verify none/);
  config.backend.app.server.s1 = '127.0.0.1:443 ssl verify required';
  t.regex(problems(config).messages[0], /needs ca-file/);
  config.backend.app.server.s1 = '127.0.0.1:443 ssl verify required ca-file /tmp/ca.pem sni app.test';
  t.deepEqual(lbhttp.validateConfig(config).backends[0].servers[0].ssl, { verify: true, ca: '/tmp/ca.pem', sni: 'app.test' });
});

test('bind lines: ssl needs crt, alpn is HTTP/1.x only', (t) => {
  t.deepEqual(lbhttp.parseBind('127.0.0.1:8443 ssl crt /a.pem crt /b.pem alpn http/1.1'), {
    address: '127.0.0.1', port: 8443, ssl: { certs: [{ cert: '/a.pem', key: '/a.pem' }, { cert: '/b.pem', key: '/b.pem' }], alpn: ['http/1.1'] },
  });
  t.deepEqual(lbhttp.parseBind('[::1]:80'), { address: '::1', port: 80 });
  t.throws(() => lbhttp.parseBind('127.0.0.1:8443 ssl'), { message: /needs at least one crt/ });
  t.throws(() => lbhttp.parseBind('127.0.0.1:8443 ssl crt /a.pem alpn h2'), { message: /alpn 'h2'/ });
  t.throws(() => lbhttp.parseBind('localhost'), { message: /address:port/ });
});

test('balance takes every core algorithm and HAProxy names', (t) => {
  for (const balance of ['roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param id', 'hdr(host)', 'random', 'maglev', 'consistent-hash', 'least-response-time', 'power-of-two-choices', 'weighted-least-connections']) {
    const config = minimal();
    config.backend.app.balance = balance;
    t.notThrows(() => lbhttp.validateConfig(config), balance);
  }
  const config = minimal();
  config.backend.app.balance = 'url_param';
  t.regex(problems(config).messages[0], /needs an argument/);
});

test('YAML files: syntax errors carry line and column; JSON works too', (t) => {
  const error = t.throws(() => lbhttp.parseConfigText('frontend:\n  web: [unclosed\n', 'lb.yaml'));
  t.is(error.code, 'LB_BAD_CONFIG');
  t.regex(error.message, /^lb\.yaml:\d+:\d+: /);
  const duplicate = t.throws(() => lbhttp.parseConfigText('global: {}\nglobal: {}\n', 'dup.yaml'));
  t.regex(duplicate.message, /dup\.yaml:2:1/);
  const c = lbhttp.parseConfigText(JSON.stringify(minimal()), 'lb.json');
  t.is(c.backends[0].servers[0].port, 9001);
  const bad = t.throws(() => lbhttp.parseConfigText('frontend: {}\n', 'empty.yaml'));
  t.regex(bad.message, /^empty\.yaml: frontend: at least one frontend/);
});

test('the embedded default validates', (t) => {
  const text = lbhttp.defaultConfigText({ port: 8080, statsPort: 8404, servers: [{ name: 'd1', port: 9001 }], adminPassword: 'x' });
  const c = lbhttp.parseConfigText(text, 'default');
  t.is(c.frontends[0].binds[0].address, '127.0.0.1');
  t.is(c.global.stats.bind.port, 8404);
  t.true(c.backends[0].servers[0].check);
});

test('YAML aliases: one before its anchor and an alias bomb are LB_BAD_CONFIG, not a crash', (t) => {
  const { parseConfigText } = require('../../../dist/lb/config/load');
  t.is(t.throws(() => parseConfigText('global: *nowhere\n', 'a.yaml')).code, 'LB_BAD_CONFIG');
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const error = t.throws(() => parseConfigText(bomb.join('\n') + '\n', 'bomb.yaml'));
  t.is(error.code, 'LB_BAD_CONFIG');
  t.regex(error.message, /^bomb\.yaml: /);
});
