'use strict';
const test = require('ava');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('../helpers/env');

const bin = path.join(root, 'bin', 'hakit.js');
const hakit = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('no command prints usage on stderr with status 2', (t) => {
  const result = hakit();
  t.is(result.status, 2);
  t.regex(result.stderr, /usage: hakit <command>/);
  t.is(result.stdout, '');
});

test('--help lists every command on stdout with status 0', (t) => {
  const result = hakit('--help');
  t.is(result.status, 0);
  t.regex(result.stdout, /version\s+print the hakit version/);
});

test('unknown command and unknown option are usage errors (status 2)', (t) => {
  t.is(hakit('no-such-command').status, 2);
  const result = hakit('version', '--bogus');
  t.is(result.status, 2);
  t.regex(result.stderr, /unknown option '--bogus'/);
});

test('version prints JSON with the addon build', (t) => {
  const result = hakit('version', '--json');
  t.is(result.status, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  t.is(info.version, require('../../package.json').version);
  t.is(info.napiVersion, 8);
});

test('option parser: repeated, multi-valued and typed options', (t) => {
  const { parseArgs, UsageError } = require('../../dist/cli/args');
  const specs = [
    { name: 'weight', type: 'number', arity: 2, multiple: true, description: '' },
    { name: 'num-rep', type: 'int', description: '' },
    { name: 'infn', aliases: ['-i'], type: 'string', description: '' },
    { name: 'show-mappings', type: 'boolean', description: '' },
  ];
  const parsed = parseArgs(['-i', 'map', '--weight', '3', '0.5', '--weight', '4', '0', '--num-rep=3', '--show-mappings', 'extra'], specs);
  t.deepEqual(parsed.options, { infn: 'map', weight: [[3, 0.5], [4, 0]], 'num-rep': 3, 'show-mappings': true });
  t.deepEqual(parsed.positionals, ['extra']);
  t.throws(() => parseArgs(['--num-rep', '2.5'], specs), { instanceOf: UsageError });
  t.throws(() => parseArgs(['--weight', '1'], specs), { message: /needs 2 values/ });
  t.throws(() => parseArgs(['--show-mappings=1'], specs), { code: 'ERR_USAGE' });
});

test('daemon commands refuse a bad --log-level before reading their config (status 2)', (t) => {
  for (const command of ['vrrp', 'lvs']) {
    const result = hakit(command, 'check', '--config', '/nonexistent.conf', '--log-level', 'loud');
    t.is(result.status, 2, command);
    t.regex(result.stderr, /bad --log-level 'loud'/, command);
  }
});
