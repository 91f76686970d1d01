'use strict';
// Health checks at scale: 10,000 servers, TCP connect check every 2 s (±10 % jitter), against a
// listener in another process pinned to CPU 1; the checker runs pinned to CPU 0 (re-executes
// itself under taskset). Reports the checker process's CPU use in % of one core.
// Run: node bench/lb-l4/health-scale.js [servers=10000] [seconds=10]
const { spawn, spawnSync } = require('child_process');

if (!process.env.LB_BENCH_PINNED) {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, LB_BENCH_PINNED: '1' } });
  process.exit(r.status ?? 1);
}

const { lb } = require('../..');

const count = Number(process.argv[2] || 10000);
const seconds = Number(process.argv[3] || 10);

async function run(type, port) {
  const pool = new lb.Pool({ servers: Array.from({ length: count }, (_, i) => ({ id: `s${i}`, host: '127.0.0.1', port })) });
  const checker = new lb.HealthChecker(pool, { type, intervalMs: 2000, timeoutMs: 1000, jitter: 0.1, custom: async () => true });
  let checks = 0;
  let failures = 0;
  checker.on('check', (e) => { checks++; if (!e.result.ok) failures++; });
  checker.start();
  await new Promise((r) => setTimeout(r, 4000)); // first checks spread over one interval
  checks = 0;
  failures = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  checker.stop();
  const down = pool.servers.filter((s) => s.health === 'down').length;
  return { type, checksPerSecond: checks / wall, failures, down, cpuPercent: ((cpu.user + cpu.system) / 1e6 / wall) * 100, userPercent: (cpu.user / 1e6 / wall) * 100 };
}

(async () => {
  // The checked servers: one nginx worker (fast accept) on CPU 1 behind all 10,000 entries.
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const net = require('net');
  const port = await new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-health-bench-'));
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/err;\nevents { worker_connections 16384; }\nhttp { access_log off; server { listen 127.0.0.1:${port} backlog=16384; return 200; } }\n`);
  const target = spawn('taskset', ['-c', '1', 'nginx', '-c', path.join(dir, 'nginx.conf')], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    const rows = [await run('custom', port), await run('tcp', port)];
    console.log(`${count} servers, interval 2 s, ${seconds} s measured, load ${require('os').loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log('| check | checks/s | failed | servers down | checker CPU % of one core (user) |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.type} | ${r.checksPerSecond.toFixed(0)} | ${r.failures} | ${r.down} | ${r.cpuPercent.toFixed(1)} (${r.userPercent.toFixed(1)}) |`);
  } finally {
    target.kill('SIGTERM'); // the master stops its worker (SIGKILL would orphan it)
    await new Promise((r) => target.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
