'use strict';
// hakit against Ceph's own crushtool and osdmaptool, live: fresh random maps (a new seed
// every run, printed on failure so it can be replayed with CRUSH_SEED), and the CLI output
// of `hakit crush` / `hakit osdmap` against the tools' output for the same flags.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { needs, requires, root } = require('../../helpers/env');
const { crush } = require('../../..');
const { compareSeed } = require('../../labs/crush/oracle');

const withTools = needs(test, [requires.command('crushtool', 'ceph-base'), requires.command('osdmaptool', 'ceph-base')]);
const corpus = path.join(root, 'test', 'fixtures', 'crush', 'corpus');
const hakitBin = path.join(root, 'bin', 'hakit.js');
const run = (cmd, args, options = {}) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
const hakit = (...args) => run(process.execPath, [hakitBin, ...args]);

const baseSeed = Number(process.env.CRUSH_SEED ?? (Date.now() % 1e9));
const SEEDS = Number(process.env.CRUSH_SEEDS ?? 24);

withTools(`random maps: compile, decompile, --test outputs and osdmaptool placement equal Ceph's (seeds ${baseSeed}..${baseSeed + SEEDS - 1})`, (t) => {
  const failures = [];
  for (let s = baseSeed; s < baseSeed + SEEDS; s++) {
    const { problems } = compareSeed(crush, s, { maxX: 149 });
    if (problems.length) failures.push(`seed ${s}: ${problems.slice(0, 3).join('; ')}`);
  }
  t.deepEqual(failures, [], `replay with CRUSH_SEED=<seed> CRUSH_SEEDS=1`);
});

withTools('hakit crush test prints what crushtool --test prints (every --show flag, reweights, pool ids)', (t) => {
  const variants = [
    ['02-straw2-host-root-build', ['--rule', '0', '--num-rep', '3', '--show-utilization']],
    ['06-ec-chooseleaf-indep', ['--rule', '1', '--num-rep', '6', '--show-bad-mappings', '--show-statistics', '--weight', '3', '0']],
    ['08-device-classes', ['--rule', '2', '--num-rep', '4', '--show-utilization-all', '--max-x', '200']],
    ['08-device-classes', ['--rule', '0', '--num-rep', '3', '--show-utilization-all', '--min-x', '0', '--max-x', '200']],
    ['08-device-classes', ['--rule', '3', '--show-statistics', '--min-x', '5', '--max-x', '300']],
    ['19-numrep-exceeds-hosts', ['--rule', '0', '--num-rep', '8', '--show-bad-mappings', '--show-mappings', '--pool-id', '7']],
    ['21-weight-set-positions', ['--num-rep', '3', '--show-mappings', '--show-utilization', '--x', '17']],
    ['15-bucket-list', ['--show-statistics', '--show-bad-mappings']],
  ];
  for (const [name, args] of variants) {
    const map = path.join(corpus, name, 'map.bin');
    const ours = hakit('crush', 'test', '-i', map, ...args);
    const theirs = run('crushtool', ['-i', map, '--test', ...args]);
    t.is(ours.status, 0, ours.stderr);
    t.is(ours.stdout, theirs.stdout, `${name} ${args.join(' ')}`);
    t.true(theirs.stdout.length > 0);
  }
});

withTools('hakit crush compile/decompile write what crushtool writes; bad maps exit 1 with a location', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-crush-cli-'));
  try {
    const src = path.join(corpus, '08-device-classes', 'map.txt');
    t.is(hakit('crush', 'compile', '-i', src, '-o', path.join(dir, 'ours.bin')).status, 0);
    t.is(run('crushtool', ['-c', src, '-o', path.join(dir, 'theirs.bin')]).status, 0);
    t.true(fs.readFileSync(path.join(dir, 'ours.bin')).equals(fs.readFileSync(path.join(dir, 'theirs.bin'))));
    const dec = hakit('crush', 'decompile', '-i', path.join(dir, 'theirs.bin'));
    t.is(dec.stdout, run('crushtool', ['-d', path.join(dir, 'theirs.bin')]).stdout);
    fs.writeFileSync(path.join(dir, 'bad.txt'), 'device 0 osd.0\nhost h {\n\talg straw9\n}\n');
    const bad = hakit('crush', 'compile', '-i', path.join(dir, 'bad.txt'), '-o', path.join(dir, 'x.bin'));
    t.is(bad.status, 1);
    t.regex(bad.stderr, /bad\.txt:2:1: bucket type 'host' is not defined/);
    t.not(run('crushtool', ['-c', path.join(dir, 'bad.txt'), '-o', path.join(dir, 'y.bin')]).status, 0, 'crushtool rejects it too');
    const usage = hakit('crush', 'test', '--num-rep');
    t.is(usage.status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

withTools('hakit crush compare prints what crushtool --compare prints', (t) => {
  const a = path.join(corpus, '17-bucket-straw-calc0-argonaut', 'map.bin');
  const b = path.join(corpus, '18-bucket-straw-calc1', 'map.bin');
  for (const args of [['--num-rep', '3', '--max-x', '499'], ['--rule', '1', '--min-x', '0', '--max-x', '99']]) {
    const ours = hakit('crush', 'compare', '-i', a, '--compare', b, ...args);
    const theirs = run('crushtool', ['-i', a, '--compare', b, ...args]);
    t.is(ours.stdout, theirs.stdout);
    t.is(ours.status, theirs.status);
  }
  const same = hakit('crush', 'compare', '-i', a, '--compare', a, '--num-rep', '2');
  t.is(same.stdout, run('crushtool', ['-i', a, '--compare', a, '--num-rep', '2']).stdout);
  t.is(same.status, 0);
});

withTools('hakit osdmap prints what osdmaptool prints (objects, one PG, every PG with the summary)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-crush-om-'));
  try {
    const map = path.join(corpus, '27-objects-pg200-pgp100-class', 'map.bin');
    const om = path.join(dir, 'om');
    // 29 devices; pg 200 / pgp 100 = 25<<3 / 25<<2 needs max_osd >= 29: 50<<2 / 50<<1
    t.is(run('osdmaptool', ['--createsimple', '50', '--with-default-pool', '--pg_bits', '2', '--pgp_bits', '1', om, '--clobber']).status, 0);
    t.is(run('osdmaptool', [om, '--import-crush', map, '--mark-up-in']).status, 0);
    t.is(run('osdmaptool', [om, '--import-crush', map, '--mark-out', '16']).status, 0);
    const common = ['osdmap', '--crush', map, '--pg-num', '200', '--pgp-num', '100', '--max-osd', '50', '--out', '16'];
    const dump = hakit(...common, '--test-map-pgs-dump');
    t.is(dump.status, 0, dump.stderr);
    t.is(dump.stdout, run('osdmaptool', [om, '--test-map-pgs-dump', '--pool', '1']).stdout);
    const obj = hakit(...common, '--test-map-object', 'rbd_data.abc.0000000000000001', '--test-map-object', 'hello');
    const o1 = run('osdmaptool', [om, '--test-map-object', 'rbd_data.abc.0000000000000001', '--pool', '1']).stdout;
    const o2 = run('osdmaptool', [om, '--test-map-object', 'hello', '--pool', '1']).stdout;
    t.is(obj.stdout, o1 + o2);
    const pg = hakit(...common, '--test-map-pg', '1.1f');
    t.is(pg.stdout, run('osdmaptool', [om, '--test-map-pg', '1.1f']).stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

withTools("--set-* tunables: test, compile and decompile output equal crushtool's, and the tunables change the mappings", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-crush-set-'));
  try {
    const bin = path.join(corpus, '03-straw2-rack-host-build', 'map.bin');
    const txt = path.join(corpus, '03-straw2-rack-host-build', 'map.txt');
    const variants = [
      ['--set-choose-total-tries', '1', '--rule', '0', '--show-statistics'],
      ['--set-chooseleaf-vary-r', '0', '--set-chooseleaf-stable', '0', '--rule', '0', '--num-rep', '3', '--show-mappings'],
      ['--set-choose-local-tries', '2', '--set-choose-local-fallback-tries', '5', '--set-chooseleaf-descend-once', '0', '--num-rep', '3', '--show-utilization'],
      ['--set-choose-total-tries', '-1', '--num-rep', '2', '--show-statistics'],
    ];
    const plain = hakit('crush', 'test', '-i', bin, '--rule', '0', '--show-statistics').stdout;
    for (const args of variants) {
      const ours = hakit('crush', 'test', '-i', bin, ...args);
      const theirs = run('crushtool', ['-i', bin, '--test', ...args]);
      t.is(ours.status, 0, ours.stderr);
      t.is(ours.stdout, theirs.stdout, args.join(' '));
    }
    // choose_total_tries 1 leaves short results where the map's 50 tries fill them.
    t.not(hakit('crush', 'test', '-i', bin, ...variants[0]).stdout, plain);

    t.is(hakit('crush', 'compile', '-i', txt, '--set-choose-total-tries', '7', '-o', path.join(dir, 'ours.bin')).status, 0);
    t.is(run('crushtool', ['-c', txt, '--set-choose-total-tries', '7', '-o', path.join(dir, 'theirs.bin')]).status, 0);
    t.true(fs.readFileSync(path.join(dir, 'ours.bin')).equals(fs.readFileSync(path.join(dir, 'theirs.bin'))));
    const dec = ['--set-chooseleaf-vary-r', '0'];
    t.is(hakit('crush', 'decompile', '-i', bin, ...dec).stdout, run('crushtool', ['-d', bin, ...dec]).stdout);
    t.is(hakit('crush', 'test', '-i', bin, '--set-chooseleaf-vary-r', '256', '--show-statistics').status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

withTools('--show-choose-tries prints the retries histogram crushtool prints, on every corpus map and on 2 threads', (t) => {
  for (const name of fs.readdirSync(corpus)) {
    const map = path.join(corpus, name, 'map.bin');
    const args = ['--show-choose-tries', '--show-statistics', '--max-x', '127', '--min-x', '0'];
    const theirs = run('crushtool', ['-i', map, '--test', ...args]);
    const ours = hakit('crush', 'test', '-i', map, ...args, '--threads', '2');
    t.is(ours.status, 0, ours.stderr);
    t.is(ours.stdout, theirs.stdout, name);
  }
  // The histogram moves when retries are scarce: a broken counter would print the same rows.
  const map = path.join(corpus, '03-straw2-rack-host-build', 'map.bin');
  const scarce = hakit('crush', 'test', '-i', map, '--show-choose-tries', '--set-choose-total-tries', '3', '--rule', '0', '--num-rep', '5');
  t.is(scarce.stdout, run('crushtool', ['-i', map, '--test', '--show-choose-tries', '--set-choose-total-tries', '3', '--rule', '0', '--num-rep', '5']).stdout);
  t.regex(scarce.stdout, /^ 0: +\d+\n 1: +\d+\n 2: +\d+\n/);
});

withTools('--output-csv writes the files crushtool writes, byte for byte (names, batches, reweights, pool ids)', (t) => {
  const variants = [
    ['03-straw2-rack-host-build', ['--output-csv', '--output-name', 'foo', '--rule', '0', '--num-rep', '3', '--min-x', '0', '--max-x', '99', '--batches', '3', '--weight', '3', '0.5']],
    ['06-ec-chooseleaf-indep', ['--output-csv', '--min-x', '0', '--max-x', '200', '--pool-id', '4']],
    ['05-zero-weight-reweight', ['--output-csv', '--output-name', 'z', '--batches', '7', '--min-x', '5', '--max-x', '9']],
  ];
  for (const [name, args] of variants) {
    const map = path.join(corpus, name, 'map.bin');
    const ours = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-csv-ours-'));
    const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-csv-theirs-'));
    try {
      t.is(spawnSync(process.execPath, [hakitBin, 'crush', 'test', '-i', map, ...args], { cwd: ours }).status, 0);
      run('crushtool', ['-i', map, '--test', ...args], { cwd: theirs });
      const files = fs.readdirSync(theirs).sort();
      t.true(files.length >= 6, `${name}: crushtool wrote ${files.length} files`);
      t.deepEqual(fs.readdirSync(ours).sort(), files, name);
      for (const file of files) t.is(fs.readFileSync(path.join(ours, file), 'utf8'), fs.readFileSync(path.join(theirs, file), 'utf8'), `${name} ${file}`);
    } finally {
      fs.rmSync(ours, { recursive: true, force: true });
      fs.rmSync(theirs, { recursive: true, force: true });
    }
  }
});
