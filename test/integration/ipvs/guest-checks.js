'use strict';
// Runs INSIDE the IPVS guest (test/labs/ipvs-guest/run), as root, on a kernel with IPVS.
// Every check compares hakit with ipvsadm 1.31 on the same kernel; results go to a JSON file
// that guest.test.js asserts on. Kept lean: the guest runs under software emulation.
const fs = require('fs');
const path = require('path');
const { spawnSync, spawn } = require('child_process');

const root = path.join(__dirname, '..', '..', '..');
const { ipvsadm: hakitIpvsadm } = require(path.join(root, 'dist/ipvs/ipvsadm/run'));
const { ipvs, netlink } = require(path.join(root, 'dist'));

const out = process.argv[2];
const results = [];
const started = Date.now();
const record = (group, name, ok, detail) => results.push({ group, name, ok: !!ok, ms: Date.now() - started, ...(ok ? {} : { detail }) });

function real(args, input) {
  const r = spawnSync('ipvsadm', args, { encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
// Many ipvsadm runs in one shell: forking the node process is what costs most in the guest.
let batchNo = 0;
function realBatch(commands) {
  const dir = `/tmp/ipvsadm-batch-${batchNo++}`;
  fs.mkdirSync(dir, { recursive: true });
  const q = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
  const script = commands.map((args, i) => `ipvsadm ${args.map(q).join(' ')} >${dir}/o${i} 2>${dir}/e${i}; echo $? >${dir}/s${i}`).join('\n');
  spawnSync('sh', ['-c', script]);
  return commands.map((_, i) => ({ status: Number(fs.readFileSync(`${dir}/s${i}`, 'utf8')), stdout: fs.readFileSync(`${dir}/o${i}`, 'utf8'), stderr: fs.readFileSync(`${dir}/e${i}`, 'utf8') }));
}
async function hakit(args, input = '') {
  let stdout = '';
  let stderr = '';
  const status = await hakitIpvsadm(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stdin: async () => input });
  return { status, stdout, stderr };
}
function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}
function diff(a, b) {
  if (a === b) return undefined;
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i + 1}: hakit ${JSON.stringify(x[i])} vs ipvsadm ${JSON.stringify(y[i])}`;
  return 'differ';
}

// Every option of the issue, as ipvsadm command lines.
const setup = [
  ['-A', '-t', '10.1.2.3:80', '-s', 'wrr'],
  ['-a', '-t', '10.1.2.3:80', '-r', '10.0.0.5:8080', '-m', '-w', '3'],
  ['-a', '-t', '10.1.2.3:80', '-r', '10.0.0.6:8080', '-m', '-w', '0', '-x', '100', '-y', '10'],
  ['-a', '-t', '10.1.2.3:80', '-r', '192.168.100.200', '-g'],
  ['-A', '-t', '200.1.2.3:443', '-s', 'sh', '-b', 'sh-fallback,sh-port', '-p', '600', '-M', '255.255.255.0'],
  ['-a', '-t', '200.1.2.3:443', '-r', '10.9.9.9', '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-csum'],
  ['-a', '-t', '200.1.2.3:443', '-r', '10.9.9.8', '-i', '--tun-type', 'gre', '--tun-csum'],
  ['-a', '-t', '200.1.2.3:443', '-r', '10.9.9.7', '-i', '--tun-type', 'ipip', '-w', '7'],
  ['-a', '-t', '200.1.2.3:443', '-r', '10.9.9.6', '-i', '--tun-type', 'gue', '--tun-port', '7000', '--tun-nocsum'],
  ['-A', '-u', '10.1.2.3:53', '-s', 'mh', '-b', 'mh-fallback,mh-port', '-o'],
  ['-a', '-u', '10.1.2.3:53', '-r', '10.0.0.7:53', '-m'],
  ['-A', '--sctp-service', '10.1.2.4:3868', '-s', 'rr'],
  ['-A', '-t', '[2001:db8::1]:80', '-s', 'lc', '-p', '-M', '64'],
  ['-a', '-t', '[2001:db8::1]:80', '-r', '[2001:db8::10]:8080', '-m', '-w', '5'],
  ['-a', '-t', '[2001:db8::1]:80', '-r', '10.0.0.9', '-i'],
  ['-A', '-f', '7', '-s', 'dh'],
  ['-a', '-f', '7', '-r', '10.0.0.11:0', '-g'],
  ['-A', '-f', '8', '-6', '-s', 'sed', '-p', '100'],
  ['-A', '-t', '1.2.3.4:99', '-s', 'lblcr'],
  ['-A', '-t', '1.2.3.5:99', '-s', 'fo'],
  ['-A', '-t', '1.2.3.6:99', '-s', 'ovf'],
  ['-A', '-t', '1.2.3.7:99', '-s', 'lblc'],
  ['-A', '-t', '1.2.3.8:99', '-s', 'nq', '-b', 'flag-3'],
  ['-A', '-t', '1.2.3.9:99', '-s', 'wlc', '-b', 'flag-1,flag-2'],
  ['-A', '-t', '10.255.255.254:65535'],
  ['-E', '-t', '1.2.3.4:99', '-s', 'rr', '-p', '20'],
  ['-e', '-t', '10.1.2.3:80', '-r', '10.0.0.5:8080', '-m', '-w', '9', '-x', '50'],
  ['-A', '-t', '1.2.3.10:99'],
  ['-D', '-t', '1.2.3.10:99'],
  ['-a', '-t', '1.2.3.9:99', '-r', '10.3.3.3:99'],
  ['-d', '-t', '1.2.3.9:99', '-r', '10.3.3.3:99'],
];
const listings = [['-Ln'], ['-Ln', '--stats'], ['-Ln', '--rate'], ['-Ln', '--thresholds'], ['-Ln', '--persistent-conn'], ['-Ln', '--exact'], ['-Ln', '--stats', '--exact'], ['-Ln', '--sort'], ['-Ln', '--tun-info'], ['-Sn'], ['-L'], ['-Ln', '-t', '10.1.2.3:80'], ['-Ln', '-f', '8', '-6'], ['-L', '--timeout'], ['-Ln', '--nosort']];

async function compareListings(group, which) {
  const reals = realBatch(which);
  for (const [i, args] of which.entries()) {
    const a = await hakit(args);
    const b = reals[i];
    record(group, args.join(' '), a.stdout === b.stdout && a.status === b.status, diff(a.stdout, b.stdout) ?? `status ${a.status} vs ${b.status}`);
  }
}

async function main() {
  // GUEST_ONLY=keepalived runs just that group (for working on it; the test runs them all).
  if (process.env.GUEST_ONLY === 'keepalived') {
    await keepalivedLvs();
    fs.writeFileSync(out, JSON.stringify(results, null, 1));
    return;
  }
  real(['-C']);
  const client = await ipvs.Ipvs.open();
  const info = await client.info();
  record('client', 'info reports version 1.2.1', info.version === '1.2.1' && info.connTableSize > 0, info);

  // 1. hakit writes every option; ipvsadm reads it back identically (and hakit's listing too).
  for (const args of setup) {
    const r = await hakit(args);
    record('hakit-writes', args.join(' '), r.status === 0 && r.stderr === '', r);
  }
  const savedByHakitWrite = real(['-Sn']).stdout;
  await compareListings('hakit-writes', listings);

  // 2. ipvsadm writes the same commands; the table must be the same and hakit must read it alike.
  real(['-C']);
  realBatch(setup).forEach((r, i) => record('ipvsadm-writes', setup[i].join(' '), r.status === 0, r));
  const savedByIpvsadmWrite = real(['-Sn']).stdout;
  record('ipvsadm-writes', 'ipvsadm -Sn after hakit = after ipvsadm', savedByHakitWrite === savedByIpvsadmWrite, diff(savedByHakitWrite, savedByIpvsadmWrite));
  // name lookups are slow in the guest: the non-numeric listings were compared once above
  await compareListings('ipvsadm-writes', listings.filter((a) => a[0] !== '-L' && a[0] !== '-S'));

  // 4. Typed client reads what ipvsadm wrote.
  const table = await client.table();
  const tun = table.find((s) => s.address === '200.1.2.3').destinations.find((d) => d.address === '10.9.9.9');
  record('client', 'tunnel gue port 6080 csum read back', tun && tun.forward === 'tunnel' && tun.tunnel.type === 'gue' && tun.tunnel.port === 6080 && tun.tunnel.checksum === 'csum', tun);
  const shService = table.find((s) => s.address === '200.1.2.3');
  record('client', 'sh flags, persistence 600 /24', shService.scheduler === 'sh' && shService.schedFlags.join() === 'flag-1,flag-2' && shService.persistent === 600 && shService.netmask === '255.255.255.0', shService);
  const thr = table.find((s) => s.address === '10.1.2.3' && s.port === 80).destinations.find((d) => d.address === '10.0.0.6');
  record('client', 'thresholds and weight 0', thr.upperThreshold === 100 && thr.lowerThreshold === 10 && thr.weight === 0, thr);
  record('client', 'fwmark IPv6 service', table.some((s) => s.fwmark === 8 && s.family === 6 && s.scheduler === 'sed'), table.filter((s) => s.fwmark));

  // 3. Save/restore across tools: hakit -S | ipvsadm -R, and ipvsadm -S | hakit -R.
  const hakitSave = (await hakit(['-S'])).stdout;
  real(['-C']);
  const r1 = real(['-R'], hakitSave);
  record('save-restore', 'ipvsadm -R < hakit -S', r1.status === 0 && real(['-Sn']).stdout === savedByIpvsadmWrite, r1.stderr || diff(real(['-Sn']).stdout, savedByIpvsadmWrite));
  const ipvsadmSave = real(['-S']).stdout;
  real(['-C']);
  const r2 = await hakit(['-R'], ipvsadmSave);
  record('save-restore', 'hakit -R < ipvsadm -S', r2.status === 0 && real(['-Sn']).stdout === savedByIpvsadmWrite, r2.stderr || diff(real(['-Sn']).stdout, savedByIpvsadmWrite));

  // 5. Errors: same message and status from both tools.
  const failing = [['-A', '-t', '10.1.2.3:80'], ['-D', '-t', '9.9.9.9:1'], ['-E', '-t', '9.9.9.9:1'], ['-a', '-t', '9.9.9.9:1', '-r', '1.1.1.1'], ['-a', '-t', '10.1.2.3:80', '-r', '10.0.0.5:8080', '-m'], ['-d', '-t', '10.1.2.3:80', '-r', '7.7.7.7'], ['-e', '-t', '10.1.2.3:80', '-r', '7.7.7.7'], ['-A', '-t', '1.1.1.1:1', '-s', 'nosuch'], ['-A', '-t', '1.1.1.1:1', '-s', 'twos'], ['-A', '-t', '1.1.1.1'], ['-A', '-t', 'foo:bar'], ['-A'], ['-a', '-t', '10.1.2.3:80'], ['-Z', '-t', '9.9.9.9:1'], ['--stop-daemon', 'master'], ['-A', '-t', '1.1.1.1:1', '-x', '5'], ['-L', '-t', '9.9.9.9:1'], ['-a', '-t', '10.1.2.3:80', '-r', '1.1.1.1', '-m', '--tun-type', 'gue'], ['-a', '-t', '10.1.2.3:80', '-r', '1.1.1.1', '-i', '--tun-type', 'gue'], ['-A', '-t', '1.1.1.1:1', '-p', '0'], ['-X'], ['-A', '-t', '1.1.1.1:1', '-s', 'rr', '-s', 'rr'], ['-a', '-t', '10.1.2.3:80', '-r', '[::1]:80', '-m'], ['-A', '-t', '1.1.1.1:1', '-b', 'sh-port'], ['-A', '-t', '1.1.1.1:1', '-o'], ['--start-daemon', 'nope']];
  const failingReal = realBatch(failing);
  for (const [i, args] of failing.entries()) {
    const a = await hakit(args);
    const b = failingReal[i];
    record('errors', args.join(' '), a.stderr === b.stderr && a.status === b.status && a.stdout === b.stdout, { hakit: a, ipvsadm: b });
  }

  // -R with a refused line and with a bad line: same messages, status and resulting table.
  for (const input of ['-A -t 10.1.2.3:80 -s rr\n-A -t 3.3.3.3:3 -s rr\n-a -t 3.3.3.3:3 -r 4.4.4.4\n', '-A -t 5.5.5.5:5 -s rr\n-A -t 5.5.5.6\n-A -t 5.5.5.7:7 -s rr\n']) {
    const before = real(['-Sn']).stdout;
    const a = await hakit(['-R'], input);
    const afterHakit = real(['-Sn']).stdout;
    real(['-C']);
    real(['-R'], before);
    const b = real(['-R'], input);
    const afterReal = real(['-Sn']).stdout;
    record('errors', `-R ${JSON.stringify(input)}`, a.status === b.status && a.stderr === b.stderr && afterHakit === afterReal, { hakit: a, ipvsadm: b, diff: diff(afterHakit, afterReal) });
    real(['-C']);
    real(['-R'], before);
  }

  // 6. Timeouts, zero, daemons.
  for (const [tool, run] of [['hakit', hakit], ['ipvsadm', async (a) => real(a)]]) {
    await run(['--set', tool === 'hakit' ? '901' : '902', '121', '301']);
    const a = await hakit(['-L', '--timeout']);
    const b = real(['-L', '--timeout']);
    record('config', `--set by ${tool}`, a.stdout === b.stdout && a.stdout.includes(tool === 'hakit' ? '901 121 301' : '902 121 301'), { hakit: a.stdout, ipvsadm: b.stdout });
  }
  // the sync daemon needs a multicast interface with an IPv4 address, and no service with
  // destinations of another address family (the kernel refuses with EINVAL)
  real(['-C']);
  sh('for i in 0 1; do ip link add ipvsdmy$i type dummy && ip link set ipvsdmy$i multicast on up && ip addr add 10.99.$i.1/24 dev ipvsdmy$i; done');
  for (const [tool, run] of [['hakit', hakit], ['ipvsadm', async (a) => real(a)]]) {
    const s1 = await run(['--start-daemon', 'master', '--mcast-interface', 'ipvsdmy0', '--syncid', '5', '--sync-maxlen', '1400', '--mcast-group', '224.0.0.82', '--mcast-port', '8849', '--mcast-ttl', '2']);
    const s2 = await run(['--start-daemon', 'backup', '--mcast-interface', 'ipvsdmy1']);
    const a = await hakit(['-L', '--daemon']);
    const b = real(['-L', '--daemon']);
    record('daemon', `start by ${tool}`, s1.status === 0 && s2.status === 0 && a.stdout === b.stdout && /master sync daemon \(mcast=ipvsdmy0, syncid=5, maxlen=1400, group=224.0.0.82, port=8849, ttl=2\)/.test(b.stdout) && /backup sync daemon/.test(b.stdout), { s1, s2, hakit: a.stdout, ipvsadm: b.stdout });
    const again = await run(['--start-daemon', 'master', '--mcast-interface', 'ipvsdmy0']);
    record('daemon', `second master refused (${tool})`, again.status !== 0, again);
    await run(['--stop-daemon', 'master']);
    await run(['--stop-daemon', 'backup']);
    record('daemon', `stop by ${tool}`, real(['-L', '--daemon']).stdout === '' && (await hakit(['-L', '--daemon'])).stdout === '', real(['-L', '--daemon']));
  }

  // 7. apply(): only the difference is sent.
  real(['-C']);
  const desired = [];
  for (let i = 0; i < 50; i++) desired.push({ protocol: 'tcp', address: `10.50.0.${i + 1}`, port: 80, scheduler: 'rr', destinations: [1, 2, 3, 4].map((j) => ({ address: `10.60.${i}.${j}`, port: 8080, forward: 'masq', weight: j })) });
  const first = await client.apply(desired);
  record('apply', 'initial load: 50 services + 200 destinations', first.requests === 250 && first.counts['add-service'] === 50 && first.counts['add-destination'] === 200, first.counts);
  const again = await client.apply(desired);
  record('apply', 'second apply sends nothing', again.requests === 0, again.counts);
  desired[3].destinations[0].weight = 9; // edit
  desired[4].destinations.pop(); // delete
  desired[5].scheduler = 'wrr'; // edit service
  desired.pop(); // delete service
  desired.push({ protocol: 'udp', address: '10.50.1.1', port: 53, destinations: [{ address: '10.70.0.1', port: 53, forward: 'masq' }] });
  const change = await client.apply(desired);
  record('apply', 'change sends exactly 6 requests', change.requests === 6 && change.counts['edit-destination'] === 1 && change.counts['delete-destination'] === 1 && change.counts['edit-service'] === 1 && change.counts['delete-service'] === 1 && change.counts['add-service'] === 1 && change.counts['add-destination'] === 1, change.counts);
  const afterTable = real(['-Sn']).stdout;
  record('apply', 'ipvsadm sees the applied table', afterTable.includes('-a -t 10.50.0.4:80 -r 10.60.3.1:8080 -m -w 9') && afterTable.includes('-A -t 10.50.0.6:80 -s wrr') && !afterTable.includes('10.50.0.50:80') && afterTable.includes('-A -u 10.50.1.1:53 -s wlc') && afterTable.split('\n').filter((l) => l.startsWith('-a -t 10.50.0.5:80')).length === 3, afterTable.slice(0, 400));
  await t_errors(client);

  // 8. Traffic through a NAT service to backends in network namespaces.
  await traffic(client);
  client.close();
  await keepalivedLvs();
  // missing module is tested on the host (no IPVS there)
  fs.writeFileSync(out, JSON.stringify(results, (k, v) => (typeof v === 'bigint' ? String(v) : v), 1));
}

async function t_errors(client) {
  const err = await client.addService({ protocol: 'tcp', address: '10.50.0.1', port: 80 }).then(() => undefined, (e) => e);
  record('client', 'duplicate service is NETLINK_EEXIST with errno and request', err && err.code === 'NETLINK_EEXIST' && err.errno === 17 && /NEW_SERVICE|add-service/.test(err.details.request.what), err && { code: err.code, details: err.details });
}

// n sequential HTTP GETs from the client namespace, in one node process (each start is slow
// in the emulated guest), after the backends answer directly; the bodies, one per line.
function fetchFrom(ns, url, n, waitFor = []) {
  const code = `const http=require('http');
const get=(u)=>new Promise((ok)=>{const q=http.get(u,{agent:false,timeout:5000},(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>ok(b.trim()))});q.on('error',(e)=>ok('error:'+e.code));q.on('timeout',()=>q.destroy())});
(async()=>{for(const u of ${JSON.stringify(waitFor)}){for(let k=0;k<100&&(await get(u)).startsWith('error:');k++)await new Promise((r)=>setTimeout(r,100))}
for(let i=0;i<${n};i++)console.log(await get(${JSON.stringify(url)}))})()`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { encoding: 'utf8' });
  return r.stdout.trim().split('\n');
}

async function traffic(client) {
  const servers = [];
  try {
    sh(`sysctl -qw net.ipv4.ip_forward=1; sysctl -qw net.ipv4.vs.conntrack=0 2>/dev/null || true
      for i in 1 2; do
        ip netns add ipvs-b$i; ip link add ipvs-h$i type veth peer name eth0 netns ipvs-b$i
        ip addr add 10.201.$i.1/24 dev ipvs-h$i; ip link set ipvs-h$i up
        ip -n ipvs-b$i addr add 10.201.$i.2/24 dev eth0; ip -n ipvs-b$i link set eth0 up; ip -n ipvs-b$i link set lo up
        ip -n ipvs-b$i route add default via 10.201.$i.1
        mkdir -p /tmp/www$i; echo backend$i > /tmp/www$i/index.html
      done
      ip netns add ipvs-c; ip link add ipvs-hc type veth peer name eth0 netns ipvs-c
      ip addr add 10.202.0.1/24 dev ipvs-hc; ip link set ipvs-hc up
      ip -n ipvs-c addr add 10.202.0.2/24 dev eth0; ip -n ipvs-c link set eth0 up; ip -n ipvs-c link set lo up
      ip -n ipvs-c route add default via 10.202.0.1
      ip link add ipvs-vip type dummy; ip addr add 10.200.0.100/32 dev ipvs-vip; ip link set ipvs-vip up`);
    for (const i of [1, 2]) servers.push(spawn('ip', ['netns', 'exec', `ipvs-b${i}`, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', `/tmp/www${i}`], { stdio: 'ignore' }));
    const vip = { protocol: 'tcp', address: '10.200.0.100', port: 80 };
    await client.apply([{ ...vip, scheduler: 'rr', destinations: [1, 2].map((i) => ({ address: `10.201.${i}.2`, port: 80, forward: 'masq', weight: 1 })) }]);
    const seen = fetchFrom('ipvs-c', 'http://10.200.0.100/', 6, ['http://10.201.1.2/', 'http://10.201.2.2/']);
    const counts = { backend1: seen.filter((s) => s === 'backend1').length, backend2: seen.filter((s) => s === 'backend2').length };
    record('traffic', 'rr over NAT alternates between two backends', counts.backend1 === 3 && counts.backend2 === 3 && seen.every((s, k) => k === 0 || s !== seen[k - 1]), seen);
    await client.editDestination(vip, { address: '10.201.1.2', port: 80, forward: 'masq', weight: 0 });
    const drained = fetchFrom('ipvs-c', 'http://10.200.0.100/', 3);
    record('traffic', 'weight 0 drains a backend', drained.length === 3 && drained.every((s) => s === 'backend2'), drained);
    // the kernel folds per-CPU counters into what it reports every 2 s (its estimator)
    let stats;
    for (let k = 0; k < 40; k++) {
      stats = (await client.table()).find((s) => s.address === '10.200.0.100');
      if (stats.stats.conns === 9n) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    record('traffic', '64-bit counters count the connections', stats.stats.conns === 9n && stats.stats.inpkts > 0n && stats.stats.outbytes > 0n, { conns: String(stats.stats.conns) });
    for (const args of [['-Ln', '--stats'], ['-Ln', '--stats', '--exact'], ['-Ln', '--persistent-conn'], ['-Ln', '--thresholds']]) {
      const a = await hakit(args);
      const b = real(args);
      record('traffic', `${args.join(' ')} with live counters`, a.stdout === b.stdout, diff(a.stdout, b.stdout));
    }
    const mask = (s) => s.replace(/^(\S+\s+)\d\d:\d\d/gm, '$1--:--');
    const c1 = await hakit(['-Lnc']);
    const c2 = real(['-Lnc']);
    record('traffic', '-Lnc lists the connections like ipvsadm (expiry masked)', mask(c1.stdout) === mask(c2.stdout) && c2.stdout.split('\n').length > 5, diff(mask(c1.stdout), mask(c2.stdout)));
    await client.zero();
    const zeroed = (await client.table()).find((s) => s.address === '10.200.0.100');
    record('traffic', 'zero clears counters', zeroed.stats.conns === 0n, String(zeroed.stats.conns));

    // The health-checked virtual server drives the same service: HTTP checks of both backends,
    // inhibit-on-failure, and the sorry server once the quorum is lost.
    const vs = new ipvs.VirtualServer({
      service: { ...vip, scheduler: 'rr' }, ipvs: client, inhibitOnFailure: true, quorum: 1, sorryServer: { address: '10.201.2.2', port: 8080, forward: 'masq' },
      realServers: [1, 2].map((i) => ({ address: `10.201.${i}.2`, port: 80, forward: 'masq', weight: 1, check: { type: 'http', path: '/', timeoutMs: 3000 } })),
    });
    await vs.round();
    const both = real(['-Ln', '-t', '10.200.0.100:80']).stdout;
    record('virtual-server', 'both backends pass their HTTP check', /10\.201\.1\.2:80 +Masq +1 /.test(both) && /10\.201\.2\.2:80 +Masq +1 /.test(both), both);
    servers[0].kill();
    await new Promise((r) => setTimeout(r, 300));
    await vs.round();
    const inhibited = real(['-Ln', '-t', '10.200.0.100:80']).stdout;
    record('virtual-server', 'a dead backend is kept at weight 0 (inhibit)', /10\.201\.1\.2:80 +Masq +0 /.test(inhibited) && /10\.201\.2\.2:80 +Masq +1 /.test(inhibited), inhibited);
    servers[1].kill();
    await new Promise((r) => setTimeout(r, 300));
    await vs.round();
    const sorry = real(['-Ln', '-t', '10.200.0.100:80']).stdout;
    record('virtual-server', 'quorum lost: the sorry server is added', /10\.201\.2\.2:8080 +Masq +1 /.test(sorry) && /10\.201\.2\.2:80 +Masq +0 /.test(sorry), sorry);
  } finally {
    for (const s of servers) s.kill();
    spawnSync('sh', ['-c', 'for n in ipvs-b1 ipvs-b2 ipvs-c; do ip netns del $n; done; ip link del ipvs-vip; ipvsadm -C'], { stdio: 'ignore' });
  }
}

// 9. The LVS part of a keepalived.conf: keepalived 2.2.7 programs it, then `hakit lvs` does, on
// the same kernel; after the checks settle, ipvsadm -Sn must print the same table, and both
// remove their services on SIGTERM. Defaults (scheduler, forwarding) come from keepalived itself.
const kaConf = `global_defs {
    router_id hakit-guest
}
virtual_server 10.210.0.1 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    real_server 127.0.0.1 7001 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 127.0.0.1 7002 {
        weight 2
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 10.211.0.3 80 {
        weight 1
    }
}
virtual_server 10.210.0.2 53 {
    delay_loop 1
    protocol UDP
    sorry_server 10.211.9.9 53
    real_server 127.0.0.1 7003 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server fwmark 7 {
    lb_algo sh
    sh-port
    lb_kind DR
    real_server 10.211.0.7 0 {
        weight 4
    }
}
`;

async function settle(want, ms) {
  const until = Date.now() + ms;
  let table = real(['-Sn']).stdout;
  while (!want(table) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    table = real(['-Sn']).stdout;
  }
  return table;
}

async function keepalivedLvs() {
  const net = require('net');
  const conf = '/tmp/hakit-ka.conf';
  fs.writeFileSync(conf, kaConf);
  const listener = net.createServer((c) => c.destroy()).listen(7001, '127.0.0.1');
  await new Promise((r) => listener.once('listening', r));
  // Settled: the dead 7002 kept at weight 0, the dead 7003 replaced by the sorry server.
  const settled = (t) => / -r 127\.0\.0\.1:7002 -m -w 0\b/.test(t) && /-r 10\.211\.9\.9:53/.test(t) && !/127\.0\.0\.1:7003/.test(t) && /127\.0\.0\.1:7001/.test(t);
  real(['-C']);
  const ka = spawn('keepalived', ['--dont-fork', '--log-console', '--check', '-f', conf, '-p', '/tmp/ka.pid', '-c', '/tmp/ka-checkers.pid'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let kaLog = '';
  ka.stdout.on('data', (d) => (kaLog += d));
  ka.stderr.on('data', (d) => (kaLog += d));
  const theirs = await settle(settled, 40000);
  record('keepalived', 'keepalived 2.2.7 programmed and checked the virtual servers', settled(theirs), { table: theirs, log: kaLog.slice(-1500) });
  ka.kill('SIGTERM');
  await new Promise((r) => ka.once('exit', r));
  const afterKa = real(['-Sn']).stdout;
  record('keepalived', 'keepalived removes its services on SIGTERM', afterKa === '', afterKa);

  real(['-C']);
  const ours = spawn(process.execPath, [path.join(root, 'bin', 'hakit.js'), 'lvs', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let ourLog = '';
  ours.stdout.on('data', (d) => (ourLog += d));
  ours.stderr.on('data', (d) => (ourLog += d));
  const mine = await settle(settled, 60000);
  record('keepalived', 'hakit lvs on the same keepalived.conf: ipvsadm -Sn equals keepalived\'s table', mine === theirs, { diff: diff(mine, theirs), hakit: mine, keepalived: theirs, log: ourLog.slice(-1500) });
  ours.kill('SIGTERM');
  await new Promise((r) => ours.once('exit', r));
  const afterOurs = real(['-Sn']).stdout;
  record('keepalived', 'hakit lvs removes its services on SIGTERM', afterOurs === '', afterOurs);
  listener.close();
}

main().catch((error) => {
  record('fatal', 'guest script', false, String(error && error.stack));
  fs.writeFileSync(out, JSON.stringify(results, (k, v) => (typeof v === 'bigint' ? String(v) : v), 1));
  process.exitCode = 1;
});
