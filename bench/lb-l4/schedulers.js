'use strict';
// Scheduler decision cost: ns per pick+release for 100 and 10,000 servers (mixed weights, all up).
// Run: node bench/lb-l4/schedulers.js   (after npx tsc -p .)
const { lb } = require('../..');

const names = lb.schedulerNames;
const sizes = [100, 10000];

function measure(name, n) {
  const servers = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, host: '10.0.0.1', port: 1000 + (i % 60000), weight: 1 + (i % 7) }));
  const pool = new lb.Pool({ scheduler: name, servers });
  const keys = Array.from({ length: 4096 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
  // Keep some load in flight so least-* and bounded hashing have something to compare.
  const held = [];
  for (let i = 0; i < Math.min(n, 200); i++) held.push(pool.pick(keys[i & 4095]));
  const warm = pool.pick('warm'); // builds lazy tables (maglev, hash rings) outside the timing
  pool.release(warm);
  const iterations = name === 'smooth-weighted-round-robin' && n > 1000 ? 20000 : 400000;
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const s = pool.pick(keys[i & 4095]);
    sink += s.port;
    pool.release(s);
  }
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

const rows = [];
for (const name of names) {
  const row = { scheduler: name };
  for (const n of sizes) {
    measure(name, n); // warm-up: JIT and lazily built tables
    row[`${n}`] = Math.min(measure(name, n), measure(name, n));
  }
  rows.push(row);
}
console.log('| scheduler | ns/decision, 100 servers | ns/decision, 10,000 servers |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.scheduler} | ${r['100'].toFixed(0)} | ${r['10000'].toFixed(0)} |`);
