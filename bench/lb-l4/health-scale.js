'use strict';
// Health checks at scale: N servers (default 10,000) checked every 2 s (±10 % jitter, timeout
// 1 s) by each contender in turn, every checker pinned to CPU 0, the checked server (one nginx
// worker behind every entry) on CPU 1:
//   hakit custom  - a no-op async check: the checker's own cost (scheduling, timeouts, state)
//   hakit tcp     - TCP connect checks through the native batched prober
//   haproxy tcp   - HAProxy 2.6 checking the same N servers (`check inter 2s`, plain connect)
// CPU of the checker process (utime/stime from /proc/<pid>/stat, all threads) over `seconds`
// after a warm-up. Checks/s: TCP ActiveOpens (/proc/net/snmp) of a network namespace of the
// bench's own, so only the checker's connects count (HAProxy and hakit both stop at SYN, SYN-ACK,
// RST: nginx never accepts a check); the custom check reports its own count. Rounds interleave.
// Run as root: node bench/lb-l4/health-scale.js [servers=10000] [seconds=10] [rounds=2]
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');

if (process.argv[2] === 'child') {
  // A hakit checker process: node health-scale.js child <type> <port> <count>
  const { lb } = require('../..');
  const [type, port, count] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const pool = new lb.Pool({ servers: Array.from({ length: count }, (_, i) => ({ id: `s${i}`, host: '127.0.0.1', port })) });
  const checker = new lb.HealthChecker(pool, { type, intervalMs: 2000, timeoutMs: 1000, jitter: 0.1, custom: async () => true });
  let down = 0;
  checker.on('change', (c) => { down += c.health === 'down' ? 1 : -1; });
  checker.start();
  const report = () => {
    const s = checker.stats();
    process.stdout.write(`${JSON.stringify({ checks: s.checks, failed: s.failed, down })}\n`);
  };
  setInterval(report, 250);
  return;
}

if (!process.env.LB_BENCH_NETNS) {
  // Re-run inside a fresh network namespace (loopback only) so the TCP counters are ours alone.
  const { spawnSync } = require('child_process');
  const ns = `lbhealth-bench-${process.pid}`;
  const ip = (...args) => spawnSync('ip', args, { stdio: 'inherit' }).status;
  if (ip('netns', 'add', ns) !== 0) throw new Error('cannot create a network namespace (root needed)');
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, LB_BENCH_NETNS: ns } });
    process.exitCode = r.status ?? 1;
  } finally {
    ip('netns', 'del', ns);
  }
  return;
}

const count = Number(process.argv[2] || 10000);
const seconds = Number(process.argv[3] || 10);
const rounds = Number(process.argv[4] || 2);
const WARMUP_MS = 4000; // first checks spread over one interval
const TICK = 100; // CLK_TCK on Linux

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });

function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) }; // utime, stime (fields 14, 15)
}

/** Connects started in this namespace (RFC 1213 tcpActiveOpens). */
function activeOpens() {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = lines[0].split(' ');
  return Number(lines[1].split(' ')[names.indexOf('ActiveOpens')]);
}

function haproxyConfig(dir, port) {
  const lines = [
    'global', '  nbthread 1', '  maxconn 4000', '  spread-checks 10', `  stats socket ${dir}/haproxy.sock`,
    'defaults', '  mode tcp', '  timeout connect 1s', '  timeout check 1s', '  timeout client 10s', '  timeout server 10s',
    'backend pool', '  default-server check inter 2s',
  ];
  for (let i = 0; i < count; i++) lines.push(`  server s${i} 127.0.0.1:${port}`);
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), `${lines.join('\n')}\n`);
}

function haproxyDown(dir) {
  return new Promise((resolve) => {
    const c = net.connect(path.join(dir, 'haproxy.sock'), () => c.end('show stat\n'));
    let out = '';
    c.on('data', (d) => { out += d; });
    c.on('close', () => resolve(out.split('\n').filter((l) => l.startsWith('pool,s') && !/,UP,/.test(l)).length));
    c.on('error', () => resolve(NaN));
  });
}

async function measure(name, dir, port) {
  let child;
  let last = { checks: 0, failed: 0, down: 0 };
  if (name === 'haproxy tcp') {
    child = spawn('taskset', ['-c', '0', 'haproxy', '-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'inherit'] });
  } else {
    child = spawn('taskset', ['-c', '0', process.execPath, __filename, 'child', name.split(' ')[1], String(port), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    child.stdout.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      if (lines.length) last = JSON.parse(lines[lines.length - 1]);
    });
  }
  try {
    await sleep(WARMUP_MS);
    const c0 = cpuTicks(child.pid);
    const a0 = activeOpens();
    const k0 = last;
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const c1 = cpuTicks(child.pid);
    const a1 = activeOpens();
    const k1 = last;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const down = name === 'haproxy tcp' ? await haproxyDown(dir) : k1.down;
    const checks = name === 'hakit custom' ? k1.checks - k0.checks : a1 - a0;
    return {
      name, checksPerSecond: checks / wall, failed: name === 'haproxy tcp' ? '-' : k1.failed - k0.failed, down,
      user: ((c1.user - c0.user) / TICK / wall) * 100, system: ((c1.system - c0.system) / TICK / wall) * 100,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

(async () => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-health-bench-'));
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/err;\nevents { worker_connections 16384; }\nhttp { access_log off; server { listen 127.0.0.1:${port} backlog=16384; return 200; } }\n`);
  haproxyConfig(dir, port);
  const target = spawn('taskset', ['-c', '1', 'nginx', '-c', path.join(dir, 'nginx.conf')], { stdio: 'inherit' });
  await sleep(500);
  const results = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const name of ['hakit custom', 'hakit tcp', 'haproxy tcp']) {
        const m = await measure(name, dir, port);
        results.push(m);
        console.log(`round ${r} ${name}: ${m.checksPerSecond.toFixed(0)} checks/s, failed ${m.failed}, down ${m.down}, CPU ${(m.user + m.system).toFixed(1)} % (user ${m.user.toFixed(1)}, system ${m.system.toFixed(1)})`);
      }
    }
  } finally {
    target.kill('SIGTERM'); // the master stops its worker (SIGKILL would orphan it)
    await new Promise((r) => target.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Best (lowest CPU) round per contender.
  const best = {};
  for (const m of results) if (!best[m.name] || m.user + m.system < best[m.name].user + best[m.name].system) best[m.name] = m;
  console.log(`\n${count} servers, interval 2 s ±10 %, ${seconds} s measured, best of ${rounds}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| checker | checks/s | failed | servers down | CPU % of one core | user % | system % |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of Object.values(best)) console.log(`| ${m.name} | ${m.checksPerSecond.toFixed(0)} | ${m.failed} | ${m.down} | ${(m.user + m.system).toFixed(1)} | ${m.user.toFixed(1)} | ${m.system.toFixed(1)} |`);
  const h = best['hakit tcp'];
  const a = best['haproxy tcp'];
  const ratio = (x, y) => (y > 0 ? (x / y).toFixed(2) : 'n/a');
  console.log(`\nhakit tcp / haproxy tcp: CPU ${ratio(h.user + h.system, a.user + a.system)} (user ${ratio(h.user, a.user)}, system ${ratio(h.system, a.system)}); checks/s ${ratio(h.checksPerSecond, a.checksPerSecond)}`);
})();
