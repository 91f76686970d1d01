'use strict';
// bench/lb-l4: bulk throughput and new connections per second through hakit's L4 relay, HAProxy
// `mode tcp` and a plain Node socket.pipe proxy, in the same run with the same pinning as
// /work/shared/bench-anchors/lb (proxy on CPU 0; backends and load generators on CPU 1).
// Bulk: iperf3 (128 KiB buffers; wrk reads 8 KiB at a time and cannot drive a bulk test) in both
// directions, plus the proxy's CPU seconds per GiB moved. Connection rate: wrk with
// `Connection: close` against nginx `return 200`, so every request is a new TCP connection.
// Run as root: node bench/lb-l4/run.js [seconds=5] [rounds=2]   (after npx tsc -p .)
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn, execFileSync } = require('child_process');
const { freePort } = require('../../test/helpers/net');

const seconds = Number(process.argv[2] || 5);
const rounds = Number(process.argv[3] || 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-bench-'));
fs.chmodSync(dir, 0o755);
const children = [];

function waitPort(port) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(); });
      c.once('error', () => (Date.now() > deadline ? reject(new Error(`port ${port} never opened`)) : setTimeout(attempt, 50)));
    };
    attempt();
  });
}

function start(cpu, cmd, args) {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

function wrk(port, extra) {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', ...extra, '-d', `${seconds}s`, `http://127.0.0.1:${port}${extra.includes('/big') ? '' : ''}`].filter(Boolean), { encoding: 'utf8' });
  return out;
}

function parseRate(out) {
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

function parseTransfer(out) {
  const m = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(out);
  if (!m) return NaN;
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2]];
  return Number(m[1]) * unit;
}

function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

// Returns [bytes/s, proxy CPU seconds per GiB] for one direction.
function bulk(port, pid, reverse) {
  const before = pid ? cpuSeconds(pid) : 0;
  const out = execFileSync('taskset', ['-c', '1', 'iperf3', '-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-P', '2', '-J', ...(reverse ? ['-R'] : [])], { encoding: 'utf8' });
  const cpu = pid ? cpuSeconds(pid) - before : 0;
  const result = JSON.parse(out);
  const bytes = result.end.sum_received.bytes;
  return [result.end.sum_received.bits_per_second / 8, pid ? cpu / (bytes / 1024 ** 3) : 0];
}

function connRate(port) {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, '-H', 'Connection: close', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  return parseRate(out);
}

async function main() {
  const backend = await freePort();
  fs.mkdirSync(path.join(dir, 'www'));
  fs.chmodSync(path.join(dir, 'www'), 0o755);
  fs.writeFileSync(path.join(dir, 'www', 'big'), Buffer.alloc(64 * 1024 * 1024, 7));
  fs.chmodSync(path.join(dir, 'www', 'big'), 0o644);
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx.err;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path ${dir};
  server { listen 127.0.0.1:${backend} backlog=4096; root ${dir}/www; location = / { return 200 "ok\\n"; } }
}
`);
  start(1, 'nginx', ['-c', path.join(dir, 'nginx.conf')]);
  const iperf = await freePort();
  start(1, 'iperf3', ['-s', '-p', String(iperf)]);

  const ports = { hakit: await freePort(), haproxy: await freePort(), node: await freePort() };
  const bulkPorts = { hakit: await freePort(), haproxy: await freePort(), node: await freePort() };
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), `global
  nbthread 1
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend f
  bind 127.0.0.1:${ports.haproxy}
  default_backend b
backend b
  balance roundrobin
  server s1 127.0.0.1:${backend}
  server s2 127.0.0.1:${backend}
frontend bulk
  bind 127.0.0.1:${bulkPorts.haproxy}
  default_backend bb
backend bb
  balance roundrobin
  server s1 127.0.0.1:${iperf}
  server s2 127.0.0.1:${iperf}
`);
  const pids = {
    haproxy: start(0, 'haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')]).pid,
    hakit: start(0, process.execPath, [path.join(__dirname, 'hakit-proxy.js'), String(ports.hakit), String(backend), String(bulkPorts.hakit), String(iperf)]).pid,
    node: start(0, process.execPath, [path.join(__dirname, 'node-pipe-proxy.js'), String(ports.node), String(backend), String(bulkPorts.node), String(iperf)]).pid,
  };
  await Promise.all([backend, iperf, ...Object.values(ports), ...Object.values(bulkPorts)].map(waitPort));

  const contenders = { direct: [backend, iperf], hakit: [ports.hakit, bulkPorts.hakit], haproxy: [ports.haproxy, bulkPorts.haproxy], node: [ports.node, bulkPorts.node] };
  const results = {};
  for (const name of Object.keys(contenders)) results[name] = { up: 0, down: 0, cpuPerGiB: Infinity, conn: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const [name, [httpPort, bulkPort]] of Object.entries(contenders)) {
      const [up, cpuUp] = bulk(bulkPort, pids[name], false);
      const [down, cpuDown] = bulk(bulkPort, pids[name], true);
      const c = connRate(httpPort);
      process.stderr.write(`round ${r + 1} ${name}: up ${(up / 1024 ** 3).toFixed(2)} GiB/s, down ${(down / 1024 ** 3).toFixed(2)} GiB/s, proxy CPU ${((cpuUp + cpuDown) / 2).toFixed(2)} s/GiB, ${c.toFixed(0)} conn/s\n`);
      const v = results[name];
      v.up = Math.max(v.up, up);
      v.down = Math.max(v.down, down);
      v.cpuPerGiB = Math.min(v.cpuPerGiB, (cpuUp + cpuDown) / 2);
      v.conn = Math.max(v.conn, c);
    }
  }
  const h = results.hakit;
  const gib = (x) => (x / 1024 ** 3).toFixed(2);
  console.log(`\n${new Date().toISOString()}  ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; best of ${rounds} rounds of ${seconds}s each`);
  console.log('| path | bulk up GiB/s | bulk down GiB/s | proxy CPU s per GiB | new conn/s |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, v] of Object.entries(results)) console.log(`| ${name} | ${gib(v.up)} | ${gib(v.down)} | ${name === 'direct' ? '-' : v.cpuPerGiB.toFixed(2)} | ${v.conn.toFixed(0)} |`);
  const ratio = (a, b) => (a / b).toFixed(2);
  console.log(`\nhakit / HAProxy:   bulk up ${ratio(h.up, results.haproxy.up)}x, down ${ratio(h.down, results.haproxy.down)}x, CPU per GiB ${ratio(h.cpuPerGiB, results.haproxy.cpuPerGiB)}x, conn/s ${ratio(h.conn, results.haproxy.conn)}x`);
  console.log(`hakit / Node pipe: bulk up ${ratio(h.up, results.node.up)}x, down ${ratio(h.down, results.node.down)}x, CPU per GiB ${ratio(h.cpuPerGiB, results.node.cpuPerGiB)}x, conn/s ${ratio(h.conn, results.node.conn)}x`);
}

main()
  .catch((e) => { console.error(e); process.exitCode = 1; })
  .finally(async () => {
    // SIGTERM: nginx's and haproxy's masters stop their workers (SIGKILL would orphan them).
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }))));
    fs.rmSync(dir, { recursive: true, force: true });
  });
