'use strict';
// One process per core: two hakit processes sharing the port with SO_REUSEPORT (global
// reuse-port), pinned to CPU 0 and CPU 1, against HAProxy with nbthread 2 (pinned to CPUs 0-1),
// same nginx backend (2 workers), same wrk (-t2 -c100), all in the same run. On a 2-core machine
// wrk and the backend share the cores with the proxy, equally for both contenders: compare the
// ratio, not the absolute figures.   DUR=5 RUNS=2 node bench/lb-l7/multicore.js
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { freePort, start, waitPort, stop, cpuSeconds, runBench } = require('./procs');

const root = path.join(__dirname, '..', '..');
const DUR = Number(process.env.DUR || 5);
const RUNS = Number(process.env.RUNS || 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lb-l7-mc-'));


function wrk(port) {
  const out = execFileSync('wrk', ['-t2', '-c100', `-d${DUR}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit]);
  const lat = (p) => {
    const m = new RegExp(`${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
    p50: lat(50),
    p99: lat(99),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

async function main() {
  const backendPort = await freePort();
  const hakitPort = await freePort();
  const haproxyPort = await freePort();
  fs.writeFileSync(path.join(dir, 'backend.conf'), `worker_processes 2;\ndaemon off;\npid ${dir}/backend.pid;\nerror_log ${dir}/backend.err;\nevents { worker_connections 4096; }\nhttp { access_log off; keepalive_requests 100000; server { listen 127.0.0.1:${backendPort}; location / { return 200 "ok\\n"; } } }\n`);
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), `global\n  nbthread 2\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\nfrontend f\n  bind 127.0.0.1:${haproxyPort}\n  default_backend b\nbackend b\n  balance roundrobin\n  server s1 127.0.0.1:${backendPort}\n  server s2 127.0.0.1:${backendPort}\n`);
  fs.writeFileSync(path.join(dir, 'hakit.yaml'), `global: { access-log: "off", maxconn: 4000, reuse-port: true, native-http: "on" }\ndefaults: { timeout: { connect: 5s, client: 30s, server: 30s } }\nfrontend:\n  f:\n    bind: 127.0.0.1:${hakitPort}\n    default_backend: b\nbackend:\n  b:\n    balance: roundrobin\n    server:\n      s1: 127.0.0.1:${backendPort}\n      s2: 127.0.0.1:${backendPort}\n`);
  const backend = start('0-1', 'nginx', ['-c', path.join(dir, 'backend.conf')]);
  await waitPort(backendPort);
  const hakitArgs = [path.join(root, 'bin/hakit.js'), 'lb', '-f', path.join(dir, 'hakit.yaml'), '-q'];
  const contenders = {
    'hakit x2 (reuse-port, CPU 0 + CPU 1)': { port: hakitPort, launch: () => [start('0', process.execPath, hakitArgs), start('1', process.execPath, hakitArgs)] },
    'HAProxy nbthread 2 (CPUs 0-1)': { port: haproxyPort, launch: () => [start('0-1', 'haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')])] },
  };
  const results = {};
  for (const [name, { port, launch }] of Object.entries(contenders)) {
    const procs = launch();
    await waitPort(port);
    await new Promise((r) => setTimeout(r, 500));
    wrk(port); // warm-up
    results[name] = [];
    for (let i = 0; i < RUNS; i++) {
      const cpu0 = cpuSeconds(procs.map((p) => p.pid));
      const r = wrk(port);
      r.cpuUs = ((cpuSeconds(procs.map((p) => p.pid)) - cpu0) * 1e6) / Math.max(1, r.requests);
      results[name].push(r);
      console.log(`${name} run ${i + 1}: ${r.rps.toFixed(0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${r.cpuUs.toFixed(0)} us/req  non-2xx ${r.errors}`);
    }
    await Promise.all(procs.map(stop));
  }
  const names = Object.keys(results);
  const best = (n) => Math.max(...results[n].map((r) => r.rps));
  const cpu = (n) => Math.min(...results[n].map((r) => r.cpuUs));
  console.log(`\nhakit x2 / HAProxy nbthread 2 = ${(best(names[0]) / best(names[1])).toFixed(2)} (goal >= 0.8); CPU/req ratio ${(cpu(names[0]) / cpu(names[1])).toFixed(2)}`);
  await stop(backend);
}

runBench(main, dir);
