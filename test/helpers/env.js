'use strict';
// Shared test helpers: where things are, and how a missing prerequisite becomes a labelled skip
// outside CI and a failure inside it (CI=true).
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const inCI = process.env.CI === 'true' || process.env.CI === '1';

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Returns the first missing prerequisite's description, or undefined. Each requirement is
 * { what: 'crushtool (apt-get install ceph-base)', ok: () => boolean }.
 */
function missing(requirements) {
  for (const requirement of requirements) if (!requirement.ok()) return requirement.what;
  return undefined;
}

/**
 * Declares a test that needs prerequisites: skipped with the missing one named outside CI,
 * failing inside CI. Usage: needs(test, [req...])('title', async (t) => {...}).
 */
function needs(test, requirements) {
  const lacking = missing(requirements);
  if (lacking === undefined) return test;
  if (inCI) {
    return (title) => test(title, (t) => t.fail(`prerequisite missing in CI: ${lacking}`));
  }
  return (title) => test.skip(`${title} (skipped: needs ${lacking})`, () => {});
}

/**
 * Declares a test that only applies to some hosts, where the condition is a property of the
 * host, not a prerequisite the project needs (e.g. "the kernel has NO IPVS"): skipped with the
 * condition named, in CI as well, since no package install makes it true and CI must not fail
 * for a host that is better equipped. Usage: onlyWhere(test, { what, ok })('title', fn).
 */
function onlyWhere(test, condition) {
  if (condition.ok()) return test;
  return (title) => test.skip(`${title} (skipped: applies only where ${condition.what})`, () => {});
}

const requires = {
  root: { what: 'root', ok: isRoot },
  command: (name, pkg) => ({ what: `${name}${pkg ? ` (apt-get install ${pkg})` : ''}`, ok: () => hasCommand(name) }),
  file: (file, pkg) => ({ what: `${file}${pkg ? ` (apt-get install ${pkg})` : ''}`, ok: () => require('fs').existsSync(file) }),
};

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
}

module.exports = { root, inCI, hasCommand, isRoot, missing, needs, onlyWhere, requires, run };
