'use strict';
// Offline lab: real `pcs -f` / cibadmin on a private CIB file, and a canonical form of a CIB for
// comparing two of them (attributes and children sorted; epoch counters dropped).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { pacemaker } = require('../../..');

function tempDir(prefix = 'hakit-pcmk-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** cibadmin --empty plus nodes, as a file; returns its path. */
function emptyCibFile(dir, nodes) {
  const file = path.join(dir, 'cib.xml');
  fs.writeFileSync(file, execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' }));
  nodes.forEach((name, i) => {
    execFileSync('cibadmin', ['--create', '-o', 'nodes', '--xml-text', `<node id="${i + 1}" uname="${name}"/>`], { env: { ...process.env, CIB_file: file } });
  });
  return file;
}

function pcs(file, argv) {
  return execFileSync('pcs', ['-f', file, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function canonical(element, dropAttrs = new Set()) {
  const attrs = element.attrs.filter(([k]) => !dropAttrs.has(`${element.name}@${k}`)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort();
  const kids = element.children.filter((c) => c.type === 'element').map((c) => canonical(c, dropAttrs)).sort();
  return `<${element.name} ${attrs.join(' ')}>${kids.join('')}</${element.name}>`;
}

/** The configuration section in canonical form (the status section and version counters ignored). */
function canonicalConfiguration(xml, dropAttrs = []) {
  const doc = pacemaker.parseXml(xml);
  const configuration = doc.root.children.find((c) => c.type === 'element' && c.name === 'configuration');
  return canonical(configuration, new Set(dropAttrs));
}

module.exports = { tempDir, emptyCibFile, pcs, canonicalConfiguration };
