'use strict';
// hakit's reading of drbd.conf agrees with drbdadm's (drbd-utils): `drbdadm dump-xml` of each
// fixture against `hakit drbd dump --json`. drbdadm runs without the kernel module when told
// which module version to assume (DRBD_DRIVER_VERSION_OVERRIDE).
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { needs, requires, root } = require('../../helpers/env');

const fixtures = path.join(root, 'test', 'fixtures', 'drbd');
const hakit = path.join(root, 'bin', 'hakit.js');

function drbdadmXml(file) {
  return execFileSync('drbdadm', ['-c', file, 'dump-xml'], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, DRBD_DRIVER_VERSION_OVERRIDE: '8.4.11' } });
}

const attr = (text, name) => (new RegExp(`${name}="([^"]*)"`).exec(text) || [])[1];
const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function sections(xml) {
  const out = {};
  for (const m of xml.matchAll(/<section name="([^"]+)">([\s\S]*?)<\/section>/g)) {
    out[m[1]] = {};
    for (const o of m[2].matchAll(/<option name="([^"]+)" value="([^"]*)"\/>/g)) out[m[1]][o[1]] = unescape(o[2]);
  }
  return out;
}

function fromXml(xml) {
  const common = /<common>([\s\S]*?)<\/common>/.exec(xml);
  const resources = [];
  for (const r of xml.matchAll(/<resource name="([^"]+)"[^>]*>([\s\S]*?)<\/resource>/g)) {
    const hosts = [];
    const body = r[2];
    for (const h of body.matchAll(/<host name="([^"]+)">([\s\S]*?)<\/host>/g)) {
      const device = /<device minor="(\d+)">([^<]*)<\/device>/.exec(h[2]);
      const address = /<address ([^>]*)>([^<]*)<\/address>/.exec(h[2]);
      hosts.push({
        name: h[1],
        ...(device[2] ? { device: device[2] } : {}),
        minor: Number(device[1]),
        disk: unescape(/<disk>([^<]*)<\/disk>/.exec(h[2])[1]),
        metaDisk: /<meta-disk>([^<]*)<\/meta-disk>/.exec(h[2])[1],
        address: { family: attr(address[1], 'family'), host: address[2], port: Number(attr(address[1], 'port')) },
      });
    }
    resources.push({ name: r[1], hosts, sections: sections(body.replace(/<host[\s\S]*?<\/host>/g, '')) });
  }
  return { common: common ? sections(common[1]) : {}, resources };
}

for (const name of ['basic.conf', 'legacy.conf']) {
  needs(test, [requires.command('drbdadm', 'drbd-utils')])(`${name}: hakit reads what drbdadm dump-xml reads`, (t) => {
    const file = path.join(fixtures, name);
    const theirs = fromXml(drbdadmXml(file));
    const ours = JSON.parse(execFileSync(process.execPath, [hakit, 'drbd', '-c', file, 'dump', '--json'], { encoding: 'utf8' }));
    t.deepEqual(ours.common, theirs.common);
    t.deepEqual(ours.resources.map((r) => r.name), theirs.resources.map((r) => r.name));
    for (const [i, r] of ours.resources.entries()) {
      t.deepEqual(r.hosts, theirs.resources[i].hosts, `hosts of ${r.name}`);
      t.deepEqual(r.sections, theirs.resources[i].sections, `sections of ${r.name}`);
    }
  });
}

needs(test, [requires.command('drbdadm', 'drbd-utils')])('a config drbdadm rejects, hakit rejects with a location', (t) => {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'hakit-drbd-conf-'));
  try {
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(file, 'resource r0 {\n  on a { disk /x; address 1.2.3.4:7788; meta-disk internal;\n  on b { }\n}\n');
    t.throws(() => drbdadmXml(file), undefined, 'drbdadm rejects it');
    let result;
    try { execFileSync(process.execPath, [hakit, 'drbd', '-c', file, 'dump'], { encoding: 'utf8', stdio: 'pipe' }); } catch (error) { result = error; }
    t.is(result.status, 1);
    t.regex(result.stderr, /bad\.conf:\d+:\d+: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
