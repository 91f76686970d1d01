'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const hakit = require('../..');
const { root } = require('../helpers/env');

test('the addon loads and reports its build', (t) => {
  const info = hakit.buildInfo();
  t.is(info.napiVersion, 8);
  t.regex(info.compiler, /^(gcc|clang) /);
  t.is(typeof info.sanitizers, 'boolean');
});

test('native argument checks throw typed errors instead of crashing', (t) => {
  // A capability-independent probe: buildInfo ignores arguments, so exercise the loader path.
  const { nativeModule } = require('../../dist/native');
  const error = t.throws(() => nativeModule('no-such-capability'));
  t.is(error.code, 'NATIVE_MISSING');
});

// The shipped prebuild must load on a machine without a compiler: copy only what npm publishes
// (no build/, no sources) to a temporary folder and load it with a PATH that has no toolchain.
test('the prebuild for this platform loads with no compiler involved', (t) => {
  const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(prebuildDir) || fs.readdirSync(prebuildDir).length === 0) {
    const built = spawnSync('npm', ['run', 'prebuild'], { cwd: root, encoding: 'utf8' });
    t.is(built.status, 0, built.stderr);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-prebuild-'));
  try {
    const pkgDir = path.join(tmp, 'node_modules', 'hakit');
    fs.mkdirSync(pkgDir, { recursive: true });
    for (const entry of ['package.json', 'dist', 'prebuilds']) fs.cpSync(path.join(root, entry), path.join(pkgDir, entry), { recursive: true });
    fs.cpSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(tmp, 'node_modules', 'node-gyp-build'), { recursive: true });
    const script = "const h=require('hakit');const n=require('./node_modules/hakit/dist/native.js');console.log(JSON.stringify({path:n.nativePath(),info:h.buildInfo()}))";
    const result = spawnSync(process.execPath, ['-e', script], { cwd: tmp, encoding: 'utf8', env: { PATH: '/nonexistent', HOME: tmp } });
    t.is(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    t.true(out.path.startsWith(path.join(pkgDir, 'prebuilds')), out.path);
    t.is(out.info.napiVersion, 8);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
