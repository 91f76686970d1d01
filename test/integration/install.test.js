'use strict';
// Installing the packed package from source (no prebuilds) compiles the addon and works, for
// both require and import, and the `hakit` bin is linked.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { root, run } = require('../helpers/env');

test('npm pack + install without prebuilds builds from source', (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-install-'));
  try {
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root }).trim().split('\n').pop();
    // Repack without prebuilds: a registry tarball for a platform we ship no binary for.
    run('tar', ['-xzf', path.join(tmp, tarball), '-C', tmp]);
    fs.rmSync(path.join(tmp, 'package', 'prebuilds'), { recursive: true, force: true });
    const sourceOnly = path.join(tmp, 'hakit-source-only.tgz');
    run('tar', ['-czf', sourceOnly, '-C', tmp, 'package']);
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts=false', sourceOnly], { cwd: app });
    const installed = fs.realpathSync(path.join(app, 'node_modules', 'hakit'));
    t.true(fs.existsSync(path.join(installed, 'build', 'Release', 'hakit.node')), 'compiled from source');
    const cjs = JSON.parse(run(process.execPath, ['-e', "console.log(JSON.stringify(require('hakit').buildInfo()))"], { cwd: app }));
    t.is(cjs.napiVersion, 8);
    const esm = run(process.execPath, ['--input-type=module', '-e', "import { buildInfo } from 'hakit'; console.log(buildInfo().napiVersion)"], { cwd: app });
    t.is(esm.trim(), '8');
    t.regex(run(path.join(app, 'node_modules', '.bin', 'hakit'), ['version'], { cwd: app }), /^hakit \d+\.\d+\.\d+/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
