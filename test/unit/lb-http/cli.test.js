'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../../helpers/env');

const hakit = (...args) => spawnSync(process.execPath, [path.join(root, 'bin', 'hakit.js'), ...args], { encoding: 'utf8' });

test('hakit lb --help and --print-default', (t) => {
  const help = hakit('lb', '--help');
  t.is(help.status, 0);
  t.regex(help.stdout, /usage: hakit lb \[--config FILE\]/);
  const def = hakit('lb', '--print-default');
  t.is(def.status, 0);
  t.regex(def.stdout, /^# hakit lb embedded default/);
  t.regex(def.stdout, /bind: 127\.0\.0\.1:8080/);
});

test('hakit lb --check validates a file like haproxy -c; errors name the path, status 1', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-http-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.yaml');
  fs.writeFileSync(good, 'frontend:\n  web:\n    bind: 127.0.0.1:8080\n    default_backend: app\nbackend:\n  app:\n    server:\n      s1: 127.0.0.1:9000 check\n');
  const ok = hakit('lb', '--check', '-f', good);
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /Configuration file is valid/);
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'frontend:\n  web:\n    bind: 127.0.0.1:8080\n    default_backend: ap\nbackend:\n  app:\n    server:\n      s1: 127.0.0.1:9000 chek\n');
  const r = hakit('lb', '--check', '-f', bad);
  t.is(r.status, 1);
  t.regex(r.stderr, /hakit lb: .*bad\.yaml: backend\.app\.server\.s1: unknown server option 'chek' .* \(and 2 more\) \[LB_BAD_CONFIG\]/);
  t.is(hakit('lb', '--bogus').status, 2);
});
