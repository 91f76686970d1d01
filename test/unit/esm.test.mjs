import test from 'ava';
import * as hakit from 'hakit';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

test('import and require expose the same API', (t) => {
  const cjs = require('hakit');
  t.is(hakit.HakitError, cjs.HakitError);
  for (const name of Object.keys(cjs)) t.true(name in hakit, `ESM import lacks ${name}`);
});
