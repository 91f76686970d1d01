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
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-prebuild-'));
  try {
    // Make the prebuild in a copy of the sources, so build/ (which other tests load) is untouched.
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    for (const entry of ['package.json', 'binding.gyp', 'native', 'tools']) fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
    const built = spawnSync('npm', ['run', 'prebuild'], { cwd: src, encoding: 'utf8', env: { ...process.env, JOBS: 'max' } });
    t.is(built.status, 0, built.stderr);
    t.true(fs.readdirSync(path.join(src, 'prebuilds', `${process.platform}-${process.arch}`)).some((name) => name.endsWith('.node')));

    // Install only what npm publishes (no build/, no sources) and load with no toolchain on PATH.
    const pkgDir = path.join(tmp, 'node_modules', 'hakit');
    fs.mkdirSync(pkgDir, { recursive: true });
    for (const entry of ['package.json', 'dist']) fs.cpSync(path.join(root, entry), path.join(pkgDir, entry), { recursive: true });
    fs.cpSync(path.join(src, 'prebuilds'), path.join(pkgDir, 'prebuilds'), { recursive: true });
    // The runtime dependencies as npm would install them (links suffice: none of them compiles).
    const pkg = require(path.join(root, 'package.json'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const from = path.join(root, 'node_modules', dep);
      if (!fs.existsSync(from)) continue;
      fs.mkdirSync(path.dirname(path.join(tmp, 'node_modules', dep)), { recursive: true });
      fs.symlinkSync(from, path.join(tmp, 'node_modules', dep));
    }
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
