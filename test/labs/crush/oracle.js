'use strict';
// Runs Ceph's crushtool and osdmaptool on a map and runs hakit on the same map, returning the
// outputs side by side. Everything happens in a private temp dir.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { randomMap, addChooseArgs, rng } = require('./random-map');

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: options.encoding ?? 'utf8', maxBuffer: 1 << 28, cwd: options.cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-crush-'));
}

/**
 * Ceph builds shadow (device class) tree buckets item by item and never writes node 0 of
 * their node_weights array, so crushtool leaves heap garbage there. Node 0 is never read by
 * the mapper; zero it on both sides before comparing bytes.
 */
function normalized(crush, bytes) {
  const map = crush.decodeMap(bytes);
  for (const b of map.buckets) if (b && b.alg === crush.ALG.tree && b.nodeWeights && b.nodeWeights.length) b.nodeWeights[0] = 0;
  return crush.encodeMap(map);
}

/** Compares one random map (by seed); returns a list of differences (empty when equal). */
function compareSeed(crush, seed, options = {}) {
  const dir = tempDir();
  const problems = [];
  try {
    const gen = randomMap(seed);
    let text = gen.text;
    const txt = path.join(dir, 'map.txt');
    const bin = path.join(dir, 'map.bin');
    fs.writeFileSync(txt, text);
    let c = run('crushtool', ['-c', txt, '-o', bin]);
    let ours;
    try {
      ours = crush.compile(text);
    } catch (error) {
      ours = error;
    }
    if (c.status !== 0) {
      if (!(ours instanceof Error)) problems.push(`crushtool rejects the map (${c.stderr.trim()}) but hakit compiles it`);
      return { problems, text };
    }
    if (ours instanceof Error) {
      problems.push(`hakit rejects a map crushtool compiles: ${ours.message}`);
      return { problems, text };
    }
    const extra = addChooseArgs(seed, crush.decodeMap(fs.readFileSync(bin)));
    if (extra) {
      text += extra;
      fs.writeFileSync(txt, text);
      c = run('crushtool', ['-c', txt, '-o', bin]);
      if (c.status !== 0) return { problems: [`crushtool rejects choose_args: ${c.stderr}`], text };
      ours = crush.compile(text);
    }
    const theirs = fs.readFileSync(bin);
    if (!normalized(crush, ours).equals(normalized(crush, theirs))) problems.push(`compiled bytes differ (${ours.length} vs ${theirs.length})`);
    const dec = run('crushtool', ['-d', bin]);
    if (crush.decompile(theirs) !== dec.stdout) problems.push('decompiled text differs');

    const r = rng(seed ^ 0x1234567);
    const compiled = new crush.CompiledCrushMap(theirs);
    const maxX = options.maxX ?? 199;
    const runs = [[], ['--num-rep', String(r.int(1, 8))]];
    const weights = [];
    for (const d of gen.devices) if (r.chance(0.15)) weights.push([d.id, r.pick([0, 0.5, 0.25, 0.9, 1])]);
    runs.push(['--num-rep', String(r.int(2, 6)), ...weights.flatMap(([o, w]) => ['--weight', String(o), String(w)])]);
    runs.push(['--num-rep', '3', '--pool-id', String(r.int(0, 20))]);
    for (const extraArgs of runs) {
      const args = ['-i', bin, '--test', '--min-x', '0', '--max-x', String(maxX), '--show-mappings', '--show-statistics', '--show-utilization', '--show-bad-mappings', ...extraArgs];
      const ct = run('crushtool', args);
      if (ct.status !== 0) {
        problems.push(`crushtool failed (${ct.status}) on ${extraArgs.join(' ')}: ${ct.stderr.split('\n')[0]}`);
        continue;
      }
      const opts = { minX: 0, maxX, showMappings: true, showStatistics: true, showUtilization: true, showBadMappings: true, weights: [] };
      for (let i = 0; i < extraArgs.length; i++) {
        if (extraArgs[i] === '--num-rep') opts.numRep = Number(extraArgs[++i]);
        else if (extraArgs[i] === '--pool-id') opts.poolId = Number(extraArgs[++i]);
        else if (extraArgs[i] === '--weight') opts.weights.push([Number(extraArgs[++i]), Number(extraArgs[++i])]);
      }
      let out = '';
      crush.runTest(compiled, opts, (s) => (out += s));
      if (out !== ct.stdout) {
        const a = out.split('\n');
        const b = ct.stdout.split('\n');
        const i = a.findIndex((l, k) => l !== b[k]);
        problems.push(`crushtool ${extraArgs.join(' ')}: line ${i + 1}: hakit '${a[i]}' crushtool '${b[i]}'`);
      }
    }
    if (options.osdmap !== false && gen.rules[0].type === 'replicated') problems.push(...compareOsdmap(crush, compiled, theirs, bin, dir, r));
    compiled.close();
    return { problems, text };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function compareOsdmap(crush, compiled, bytes, bin, dir, r) {
  const problems = [];
  const n = Math.max(1, compiled.map.maxDevices);
  const a = r.int(0, 3);
  const b = r.int(0, a);
  const size = r.int(1, 4);
  const om = path.join(dir, 'om');
  run('osdmaptool', ['--createsimple', String(n), '--with-default-pool', '--pg_bits', String(a), '--pgp_bits', String(b), '--osd_pool_default_size', String(size), om, '--clobber']);
  run('osdmaptool', [om, '--import-crush', bin, '--mark-up-in']);
  const out = [];
  if (r.chance(0.5)) {
    const o = r.int(0, n - 1);
    out.push(o);
    run('osdmaptool', [om, '--import-crush', bin, '--mark-out', String(o)]);
  }
  const pool = { id: 1, type: 'replicated', crushRule: 0, size, pgNum: n << a, pgpNum: n << b };
  const placement = new crush.PoolPlacement(compiled, pool, { maxOsd: n, out });
  const dump = run('osdmaptool', [om, '--test-map-pgs-dump', '--pool', '1']);
  const ours = crush.testMapPgs(placement, { dump: true });
  if (ours !== dump.stdout) {
    const x = ours.split('\n');
    const y = dump.stdout.split('\n');
    const i = x.findIndex((l, k) => l !== y[k]);
    problems.push(`osdmaptool --test-map-pgs-dump (pg ${n << a}/${n << b}, size ${size}, out ${out}): line ${i + 1}: hakit '${x[i]}' osdmaptool '${y[i]}'`);
  }
  for (let k = 0; k < 3; k++) {
    const name = `obj_${r.int(0, 1e9).toString(36)}${k === 2 ? '.é' : ''}`;
    const t = run('osdmaptool', [om, '--test-map-object', name, '--pool', '1']);
    const mine = crush.testMapObject(placement, name);
    if (mine !== t.stdout) problems.push(`--test-map-object ${name}: hakit '${mine.trim()}' osdmaptool '${t.stdout.trim()}'`);
  }
  return problems;
}

module.exports = { compareSeed, run };
