'use strict';
// L7 benchmark: requests/s and p50/p99 through hakit, HAProxy (nbthread 1), nginx (1 worker),
// and Node proxies (plain http, http-proxy, @fastify/http-proxy), same nginx backend, same run.
// Method of /work/shared/bench-anchors/lb: proxy pinned to CPU 0, backend and wrk to CPU 1,
// `wrk -t1 -c50 -dDURs --latency`, RUNS runs each. Needs root-free tools: haproxy, nginx, wrk.
//   node bench/lb-l7/run.js            (DUR=6 RUNS=2 by default; ONLY=hakit,plain to pick;
//   `hakit` is the native request path, `hakit-js` the same build with HAKIT_NATIVE_HTTP=off;
//   HAKIT_BASE=/other/checkout/bin/hakit.js adds that build as `hakit-base`)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { freePort, start, waitPort, stop, cpuSeconds, runBench } = require('./procs');

const root = path.join(__dirname, '..', '..');
const DUR = Number(process.env.DUR || 6);
const RUNS = Number(process.env.RUNS || 2);
const ONLY = process.env.ONLY ? process.env.ONLY.split(',') : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lb-l7-'));


function wrk(port) {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${DUR}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit]);
  const lat = (p) => {
    const m = new RegExp(`${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return { rps, p50: lat(50), p99: lat(99), errors: Number(errors), socketErrors, requests };
}

async function main() {
  const backendPort = await freePort();
  const ports = {};
  for (const name of ['hakit', 'hakit-js', 'hakit-base', 'haproxy', 'nginx', 'plain', 'http-proxy', 'fastify']) ports[name] = await freePort();
  fs.writeFileSync(path.join(dir, 'backend.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/backend.pid;\nerror_log ${dir}/backend.err;\nevents { worker_connections 4096; }\nhttp { access_log off; keepalive_requests 100000; server { listen 127.0.0.1:${backendPort}; location / { return 200 "ok\\n"; } } }\n`);
  fs.writeFileSync(path.join(dir, 'proxy.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/proxy.pid;\nerror_log ${dir}/proxy.err;\nevents { worker_connections 4096; }\nhttp { access_log off; keepalive_requests 100000; upstream b { server 127.0.0.1:${backendPort}; keepalive 64; } server { listen 127.0.0.1:${ports.nginx}; location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } } }\n`);
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), `global\n  nbthread 1\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\nfrontend f\n  bind 127.0.0.1:${ports.haproxy}\n  default_backend b\nbackend b\n  balance roundrobin\n  server s1 127.0.0.1:${backendPort}\n  server s2 127.0.0.1:${backendPort}\n`);
  // Same shape for hakit: two server lines on the one backend, no access log.
  fs.writeFileSync(path.join(dir, 'hakit.yaml'), `global: { access-log: "off", maxconn: 4000 }\ndefaults: { timeout: { connect: 5s, client: 30s, server: 30s } }\nfrontend:\n  f:\n    bind: 127.0.0.1:${ports.hakit}\n    default_backend: b\nbackend:\n  b:\n    balance: roundrobin\n    server:\n      s1: 127.0.0.1:${backendPort}\n      s2: 127.0.0.1:${backendPort}\n`);

  fs.writeFileSync(path.join(dir, 'hakit-js.yaml'), fs.readFileSync(path.join(dir, 'hakit.yaml'), 'utf8').replace(`:${ports.hakit}`, `:${ports['hakit-js']}`));
  fs.writeFileSync(path.join(dir, 'hakit-base.yaml'), fs.readFileSync(path.join(dir, 'hakit.yaml'), 'utf8').replace(`:${ports.hakit}`, `:${ports['hakit-base']}`));
  const backend = start(1, 'nginx', ['-c', path.join(dir, 'backend.conf')]);
  await waitPort(backendPort);
  const contenders = {
    hakit: () => start(0, process.execPath, [path.join(root, 'bin/hakit.js'), 'lb', '-f', path.join(dir, 'hakit.yaml'), '-q']),
    // The same build with the native request path off: Node's http stack (HAKIT_NATIVE_HTTP=off).
    'hakit-js': () => start(0, process.execPath, [path.join(root, 'bin/hakit.js'), 'lb', '-f', path.join(dir, 'hakit-js.yaml'), '-q'], { HAKIT_NATIVE_HTTP: 'off' }),
    // HAKIT_BASE=/path/to/other/checkout/bin/hakit.js: an older build in the same run (before/after).
    ...(process.env.HAKIT_BASE ? { 'hakit-base': () => start(0, process.execPath, [process.env.HAKIT_BASE, 'lb', '-f', path.join(dir, 'hakit-base.yaml'), '-q']) } : {}),
    haproxy: () => start(0, 'haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')]),
    nginx: () => start(0, 'nginx', ['-c', path.join(dir, 'proxy.conf')]),
    plain: () => start(0, process.execPath, [path.join(__dirname, 'contenders.js'), 'plain', String(ports.plain), String(backendPort)]),
    'http-proxy': () => start(0, process.execPath, [path.join(__dirname, 'contenders.js'), 'http-proxy', String(ports['http-proxy']), String(backendPort)]),
    fastify: () => start(0, process.execPath, [path.join(__dirname, 'contenders.js'), 'fastify', String(ports.fastify), String(backendPort)]),
  };
  const results = {};
  console.log(`backend alone: ${JSON.stringify(wrk(backendPort))}`);
  for (const [name, launch] of Object.entries(contenders)) {
    if (ONLY && !ONLY.includes(name)) continue;
    const child = launch();
    await waitPort(ports[name]);
    wrk(ports[name]); // warm-up (JIT, pools), not counted
    results[name] = [];
    for (let i = 0; i < RUNS; i++) {
      const cpu0 = cpuSeconds(child.pid);
      const r = wrk(ports[name]);
      // CPU per request is steadier than req/s on a shared machine: the proxy's own cost.
      r.cpuUs = ((cpuSeconds(child.pid) - cpu0) * 1e6) / Math.max(1, r.requests);
      results[name].push(r);
      console.log(`${name.padEnd(10)} run ${i + 1}: ${r.rps.toFixed(0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${r.cpuUs.toFixed(0)} us/req  non-2xx ${r.errors}${r.socketErrors ? `  socket errors ${r.socketErrors}` : ''}`);
    }
    await stop(child);
  }
  const best = (name) => (results[name] ? Math.max(...results[name].map((r) => r.rps)) : NaN);
  const p99 = (name) => (results[name] ? Math.min(...results[name].map((r) => r.p99)) : NaN);
  const bestNode = Math.max(best('plain'), best('http-proxy'), best('fastify'));
  const cpu = (name) => (results[name] ? Math.min(...results[name].map((r) => r.cpuUs)) : NaN);
  console.log('\n| proxy | best req/s | best p99 ms | least CPU us/req |\n| --- | --- | --- | --- |');
  for (const name of Object.keys(results)) console.log(`| ${name} | ${best(name).toFixed(0)} | ${p99(name)} | ${cpu(name).toFixed(0)} |`);
  console.log(`\nhakit / HAProxy = ${(best('hakit') / best('haproxy')).toFixed(2)} (goal >= 0.5)`);
  console.log(`hakit / best Node proxy = ${(best('hakit') / bestNode).toFixed(2)} (goal >= 2)`);
  const bestNodeCpu = Math.min(cpu('plain'), cpu('http-proxy'), cpu('fastify'));
  console.log(`hakit CPU/req: ${(cpu('hakit') / cpu('plain')).toFixed(2)}x plain Node, ${(cpu('hakit') / bestNodeCpu).toFixed(2)}x the least-CPU Node proxy, ${(cpu('hakit') / cpu('haproxy')).toFixed(2)}x HAProxy`);
  console.log(`hakit p99 / HAProxy p99 = ${(p99('hakit') / p99('haproxy')).toFixed(2)} (goal <= 2)`);
  await stop(backend);
}

runBench(main, dir);
