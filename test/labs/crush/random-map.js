'use strict';
// Random CRUSH maps in crushtool's text form, for comparing hakit with crushtool on maps
// nobody wrote by hand: 1-3 bucket levels of mixed algorithms, device id gaps and zero
// weights, device classes, every tunable profile or random custom tunables, replicated and
// erasure rules (choose/chooseleaf firstn/indep, set_* steps, class takes, several
// take/emit blocks) and choose_args weight sets with several positions and ids.

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

const PROFILES = {
  argonaut: [],
  bobtail: ['choose_local_tries 0', 'choose_local_fallback_tries 0', 'choose_total_tries 50', 'chooseleaf_descend_once 1'],
  firefly: ['choose_local_tries 0', 'choose_local_fallback_tries 0', 'choose_total_tries 50', 'chooseleaf_descend_once 1', 'chooseleaf_vary_r 1', 'straw_calc_version 1'],
  hammer: ['choose_local_tries 0', 'choose_local_fallback_tries 0', 'choose_total_tries 50', 'chooseleaf_descend_once 1', 'chooseleaf_vary_r 1', 'straw_calc_version 1', 'allowed_bucket_algs 54'],
  jewel: ['choose_local_tries 0', 'choose_local_fallback_tries 0', 'choose_total_tries 50', 'chooseleaf_descend_once 1', 'chooseleaf_vary_r 1', 'chooseleaf_stable 1', 'straw_calc_version 1', 'allowed_bucket_algs 54'],
};

const weightText = (w) => w.toFixed(3);

function randomMap(seed) {
  const r = rng(seed);
  const lines = ['# random map, seed ' + seed];
  const profile = r.pick([...Object.keys(PROFILES), 'custom', 'jewel', 'jewel']);
  const tunables =
    profile === 'custom'
      ? [
          `choose_local_tries ${r.int(0, 3)}`,
          `choose_local_fallback_tries ${r.int(0, 5)}`,
          `choose_total_tries ${r.int(1, 60)}`,
          `chooseleaf_descend_once ${r.int(0, 1)}`,
          `chooseleaf_vary_r ${r.int(0, 3)}`,
          `chooseleaf_stable ${r.int(0, 1)}`,
          `straw_calc_version ${r.int(0, 2)}`,
        ]
      : PROFILES[profile];
  for (const t of tunables) lines.push(`tunable ${t}`);

  const classes = r.chance(0.4) ? ['ssd', 'hdd', 'nvme'].slice(0, r.int(1, 3)) : [];
  const levels = r.int(1, 3); // bucket levels above the devices
  const typeNames = ['osd', 'host', 'rack', 'root'].slice(0, 1).concat(levels === 1 ? ['root'] : levels === 2 ? ['host', 'root'] : ['host', 'rack', 'root']);
  // Ceph 16 builds shadow tree buckets item by item over realloc'ed, uninitialised node
  // weights, so tree buckets under device classes map unpredictably there: not compared.
  const algs = classes.length ? ['list', 'straw', 'straw2', 'straw2', 'straw2'] : ['uniform', 'list', 'tree', 'straw', 'straw2', 'straw2', 'straw2'];

  // devices, with id gaps
  let nextDevice = 0;
  const devices = [];
  const leafBuckets = levels === 1 ? 1 : r.int(2, 8);
  const leaves = [];
  for (let h = 0; h < leafBuckets; h++) {
    const n = r.int(levels === 1 ? 3 : 1, 6);
    const alg = r.pick(algs);
    const uniformWeight = weightText(r.int(1, 4000) / 1000);
    const items = [];
    for (let i = 0; i < n; i++) {
      if (r.chance(0.08)) nextDevice++; // a gap
      const id = nextDevice++;
      const cls = classes.length ? r.pick(classes) : undefined;
      devices.push({ id, cls });
      const w = alg === 'uniform' ? uniformWeight : r.chance(0.05) ? '0.000' : weightText(r.int(1, 8000) / 1000);
      items.push({ name: `osd.${id}`, weight: w });
    }
    leaves.push({ alg, items });
  }
  for (const d of devices) lines.push(`device ${d.id} osd.${d.id}${d.cls ? ` class ${d.cls}` : ''}`);
  typeNames.forEach((t, i) => lines.push(`type ${i} ${t}`));

  // buckets bottom-up; ids assigned by the compiler unless we choose to pin them
  const buckets = [];
  const pinIds = r.chance(0.5);
  let nextId = -1;
  const bucketText = (typeName, name, alg, items) => {
    const out = [`${typeName} ${name} {`];
    if (pinIds) out.push(`\tid ${nextId--}`);
    out.push(`\talg ${alg}`, '\thash 0');
    for (const it of items) out.push(`\titem ${it.name}${it.weight !== undefined ? ` weight ${it.weight}` : ''}`);
    out.push('}');
    return out.join('\n');
  };
  let current = leaves.map((leaf, i) => {
    const name = levels === 1 ? 'root' : `${typeNames[1]}${i}`;
    buckets.push(bucketText(levels === 1 ? 'root' : typeNames[1], name, leaf.alg, leaf.items));
    return name;
  });
  for (let level = 2; level <= levels; level++) {
    const typeName = typeNames[level];
    const groups = level === levels ? 1 : Math.max(1, Math.ceil(current.length / r.int(2, 4)));
    const next = [];
    for (let g = 0; g < groups; g++) {
      const members = current.filter((_, i) => i % groups === g);
      const alg = r.pick(algs);
      const fixed = weightText(r.int(1000, 20000) / 1000);
      const items = members.map((m) => ({ name: m, weight: alg === 'uniform' ? fixed : r.chance(0.15) ? weightText(r.int(0, 20000) / 1000) : undefined }));
      const name = level === levels ? 'root' : `${typeName}${g}`;
      buckets.push(bucketText(typeName, name, alg, items));
      next.push(name);
    }
    current = next;
  }
  lines.push(...buckets);

  // rules
  const failure = levels >= 2 ? typeNames[1] : 'osd';
  const top = levels === 3 ? 'rack' : failure;
  const rules = [];
  const ruleCount = r.int(1, 4);
  const usedClasses = [...new Set(devices.map((d) => d.cls).filter(Boolean))];
  const take = () => `step take root${usedClasses.length && r.chance(0.6) ? ` class ${r.pick(usedClasses)}` : ''}`;
  const sets = () => {
    const out = [];
    for (const s of ['set_choose_tries', 'set_chooseleaf_tries', 'set_choose_local_tries', 'set_choose_local_fallback_tries', 'set_chooseleaf_vary_r', 'set_chooseleaf_stable']) {
      if (r.chance(0.12)) out.push(`step ${s} ${s.includes('local') ? r.int(0, 3) : s.includes('vary') ? r.int(0, 2) : s.includes('stable') ? r.int(0, 1) : r.int(1, 100)}`);
    }
    return out;
  };
  for (let i = 0; i < ruleCount; i++) {
    const kind = i === 0 ? 'replicated' : r.pick(['replicated', 'erasure', 'two-step', 'flat', 'multi']);
    const steps = [...sets()];
    let type = 'replicated';
    if (kind === 'replicated') steps.push(take(), `step chooseleaf firstn ${r.pick([0, 0, 2, -1])} type ${failure}`, 'step emit');
    else if (kind === 'erasure') {
      type = 'erasure';
      steps.unshift('step set_chooseleaf_tries 5', 'step set_choose_tries 100');
      steps.push(take(), `step chooseleaf indep ${r.pick([0, 0, 4])} type ${failure}`, 'step emit');
    } else if (kind === 'two-step') {
      const mode = r.pick(['firstn', 'indep']);
      type = mode === 'indep' ? 'erasure' : 'replicated';
      // the last step must end at devices: crushtool counts results per device id and
      // corrupts its heap on bucket ids
      const leaf = top !== failure && r.chance(0.5);
      steps.push(take(), `step choose ${mode} ${r.int(0, 3)} type ${top}`, `step choose${leaf ? 'leaf' : ''} ${mode} ${r.int(1, 2)} type ${leaf ? failure : 'osd'}`, 'step emit');
    } else if (kind === 'flat') {
      const mode = r.pick(['firstn', 'indep']);
      type = mode === 'indep' ? 'erasure' : 'replicated';
      steps.push(take(), `step choose ${mode} 0 type osd`, 'step emit');
    } else {
      steps.push(take(), `step chooseleaf firstn 1 type ${failure}`, 'step emit', take(), `step chooseleaf firstn -1 type ${failure}`, 'step emit');
    }
    rules.push({ id: i, type });
    lines.push(`rule r${i} {`, `\tid ${i}`, `\ttype ${type}`, '\tmin_size 1', '\tmax_size 10', ...steps.map((s) => `\t${s}`), '}');
  }

  return { text: lines.join('\n') + '\n', rules, devices, seed, hasChooseArgs: false };
}

/** Adds choose_args to a compiled map's decompiled text (bucket sizes are known then). */
function addChooseArgs(seed, map) {
  const r = rng(seed ^ 0x5bd1e995);
  if (!r.chance(0.5)) return '';
  const sets = [];
  const indexes = r.chance(0.5) ? ['0'] : r.chance(0.5) ? ['18446744073709551615'] : ['0', '18446744073709551615'];
  for (const index of indexes) {
    const out = [`choose_args ${index} {`];
    map.buckets.forEach((b) => {
      if (!b || map.names.get(b.id).includes('~') || !r.chance(0.6)) return;
      out.push('  {', `    bucket_id ${b.id}`);
      const positions = r.int(0, 3);
      if (positions) {
        out.push('    weight_set [');
        for (let p = 0; p < positions; p++) out.push(`      [ ${b.items.map(() => weightText(r.int(0, 5000) / 1000)).join(' ')} ]`);
        out.push('    ]');
      }
      if (r.chance(0.3)) out.push(`    ids [ ${b.items.map(() => r.int(-300, 300)).join(' ')} ]`);
      out.push('  }');
    });
    out.push('}');
    sets.push(out.join('\n'));
  }
  return sets.join('\n') + '\n';
}

module.exports = { randomMap, addChooseArgs, rng };
