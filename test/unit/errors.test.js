'use strict';
const test = require('ava');
const hakit = require('../..');

test('HakitError carries a stable code and details', (t) => {
  const error = new hakit.HakitError('CRUSH_PARSE', 'bad token', { line: 3, column: 7 });
  t.true(error instanceof Error);
  t.is(error.code, 'CRUSH_PARSE');
  t.deepEqual(error.details, { line: 3, column: 7 });
  t.true(hakit.isHakitError(error));
  t.false(hakit.isHakitError(new Error('x')));
});

test('ArgumentError is a HakitError with ERR_INVALID_ARG', (t) => {
  const error = new hakit.ArgumentError('n must be an integer', { argument: 'n' });
  t.true(error instanceof hakit.HakitError);
  t.is(error.code, 'ERR_INVALID_ARG');
});

test('logger writes one JSON object per line and filters by level', (t) => {
  const lines = [];
  const log = hakit.createLogger({ level: 'info', write: (line) => lines.push(line), fields: { area: 'test' } });
  log.debug('hidden');
  log.info('shown', { n: 1 });
  log.child({ vrid: 51 }).error('failed', { err: Object.assign(new Error('boom'), { code: 'X' }) });
  t.is(lines.length, 2);
  t.true(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
  const first = JSON.parse(lines[0]);
  t.like(first, { level: 'info', msg: 'shown', area: 'test', n: 1 });
  t.truthy(Date.parse(first.time));
  t.like(JSON.parse(lines[1]), { level: 'error', vrid: 51, err: { message: 'boom', code: 'X' } });
});
