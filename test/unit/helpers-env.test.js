'use strict';
// The skip/fail policy of test/helpers/env.js: a missing prerequisite is a named skip outside CI
// and a failure in CI; a host condition (onlyWhere) is a named skip in both.
const test = require('ava');
const path = require('path');

const envPath = path.join(__dirname, '..', 'helpers', 'env.js');
function loadEnv(ci) {
  const saved = process.env.CI;
  if (ci === undefined) delete process.env.CI;
  else process.env.CI = ci;
  delete require.cache[require.resolve(envPath)];
  try {
    return require(envPath);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
    delete require.cache[require.resolve(envPath)];
  }
}

// A stand-in for ava's test(): records what was declared and how.
function recorder() {
  const declared = [];
  const fake = (title, fn) => declared.push({ kind: 'test', title, fn });
  fake.skip = (title, fn) => declared.push({ kind: 'skip', title, fn });
  return { fake, declared };
}

const absent = { what: 'frobnicator (apt-get install frob)', ok: () => false };
const present = { what: 'sh', ok: () => true };
const body = () => {};

test('needs: all present declares the test itself', (t) => {
  const { fake, declared } = recorder();
  loadEnv(undefined).needs(fake, [present])('works', body);
  t.deepEqual(declared, [{ kind: 'test', title: 'works', fn: body }]);
});

test('needs: outside CI a missing prerequisite is a skip naming it', (t) => {
  const { fake, declared } = recorder();
  loadEnv(undefined).needs(fake, [present, absent])('works', body);
  t.is(declared.length, 1);
  t.is(declared[0].kind, 'skip');
  t.is(declared[0].title, 'works (skipped: needs frobnicator (apt-get install frob))');
});

test('needs: in CI a missing prerequisite is a failing test naming it', (t) => {
  const { fake, declared } = recorder();
  loadEnv('true').needs(fake, [absent])('works', body);
  t.is(declared.length, 1);
  t.is(declared[0].kind, 'test');
  let failure;
  declared[0].fn({ fail: (message) => { failure = message; } });
  t.is(failure, 'prerequisite missing in CI: frobnicator (apt-get install frob)');
});

for (const ci of [undefined, 'true']) {
  test(`onlyWhere (CI=${ci}): a host condition that does not hold is a named skip, never a failure`, (t) => {
    const { fake, declared } = recorder();
    const env = loadEnv(ci);
    env.onlyWhere(fake, { what: 'the host kernel has no IPVS', ok: () => false })('error path', body);
    t.deepEqual(declared.map((d) => [d.kind, d.title]), [['skip', 'error path (skipped: applies only where the host kernel has no IPVS)']]);
    env.onlyWhere(fake, { what: 'anything', ok: () => true })('runs', body);
    t.deepEqual(declared[1], { kind: 'test', title: 'runs', fn: body });
  });
}
