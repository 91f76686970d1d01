'use strict';
// hakit's VRRP lab: an L2 segment of network namespaces (bridge hkv-br, hosts hkv-h1..hN), with
// keepalived and `hakit vrrp` runnable in any host, packet capture and tshark decoding.
// Host i: eth0 MAC 02:00:00:00:00:0i, 192.0.2.(10+i)/24, 2001:db8::(10+i)/64, fe80::ff:fe00:i.
const { execFileSync, spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const PREFIX = process.env.HKV_PREFIX || 'hkv';
const root = path.join(__dirname, '..', '..', '..');
const hakitBin = path.join(root, 'bin', 'hakit.js');

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}
function nsExists(name) {
  return sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Lab {
  constructor(hosts = 3, tag = PREFIX) {
    this.tag = tag;
    this.hosts = hosts;
    this.br = `${tag}-br`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-lab-`));
    this.procs = new Set();
    this.seq = 0;
  }
  ns(i) { return `${this.tag}-h${i}`; }
  ip4(i) { return `192.0.2.${10 + i}`; }
  ll6(i) { return `fe80::ff:fe00:${i.toString(16)}`; }

  up() {
    this.down(true);
    sh('ip', ['netns', 'add', this.br]);
    sh('ip', ['netns', 'exec', this.br, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    sh('ip', ['-n', this.br, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', this.br, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    sh('ip', ['-n', this.br, 'link', 'set', 'br0', 'up']);
    for (let i = 1; i <= this.hosts; i++) {
      const ns = this.ns(i);
      const mac = `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'address', mac, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.br]);
      sh('ip', ['-n', this.br, 'link', 'set', `p${i}`, 'master', 'br0']);
      sh('ip', ['-n', this.br, 'link', 'set', `p${i}`, 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `${this.ip4(i)}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'addr', 'add', `2001:db8::${10 + i}/64`, 'dev', 'eth0', 'nodad']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    return this;
  }

  down(quiet = false) {
    for (const p of this.procs) this.kill(p, 'SIGKILL');
    this.procs.clear();
    const names = [this.br];
    for (let i = 1; i <= 20; i++) names.push(this.ns(i));
    for (const name of names) {
      if (!nsExists(name)) continue;
      // anything we started in there (by pid, from `ip netns pids`)
      const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      spawnSync('ip', ['netns', 'del', name]);
    }
    if (!quiet) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  exec(i, cmd, args) {
    return sh('ip', ['netns', 'exec', this.ns(i), cmd, ...args]);
  }

  /** Addresses on eth0 (and any vrrp.* macvlan) of host i. */
  addresses(i) {
    const out = JSON.parse(sh('ip', ['-n', this.ns(i), '-j', 'addr', 'show']));
    return out.flatMap((l) => (l.addr_info || []).map((a) => ({ dev: l.ifname, address: a.local, prefix: a.prefixlen, label: a.label })));
  }
  hasAddress(i, address) {
    return this.addresses(i).some((a) => a.address === address);
  }

  spawnIn(i, name, cmd, args) {
    const log = path.join(this.dir, `${name}.log`);
    const fd = fs.openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', this.ns(i), cmd, ...args], { stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    child.logFile = log;
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    this.procs.add(child);
    child.exited.then(() => this.procs.delete(child));
    return child;
  }

  /** keepalived (VRRP only, no fork, no respawn) in host i; state transitions go to a file. */
  async keepalived(i, conf, name = `ka-h${i}-${++this.seq}`) {
    const d = path.join(this.dir, name);
    fs.mkdirSync(d, { recursive: true });
    const notify = path.join(d, 'notify.sh');
    fs.writeFileSync(notify, `#!/bin/sh\necho "$(date +%s.%N) $1 $2 $3 $4" >> ${d}/states\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(d, 'states'), '');
    const text = `global_defs {\n    script_user root\n    enable_script_security\n}\n` +
      conf.replace(/^(\s*vrrp_instance\s+\S+\s*\{)/gm, `$1\n    notify ${notify}`);
    const file = path.join(d, 'keepalived.conf');
    fs.writeFileSync(file, text);
    const check = spawnSync('ip', ['netns', 'exec', this.ns(i), 'keepalived', '-t', '-f', file], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`keepalived -t refused the config: ${check.stdout}${check.stderr}`);
    const child = this.spawnIn(i, name, 'keepalived', ['-n', '-l', '-D', '-G', '-P', '-R', '-f', file, '-p', path.join(d, 'k.pid'), '-r', path.join(d, 'v.pid')]);
    child.kind = 'keepalived';
    child.dir = d;
    for (let t = 0; t < 50 && !fs.existsSync(path.join(d, 'v.pid')); t++) await sleep(100);
    child.vrrpPid = Number(fs.readFileSync(path.join(d, 'v.pid'), 'utf8'));
    return child;
  }

  /** keepalived's current state: the last "Entering X STATE" of its log (the notify script is not run for the initial BACKUP), or NONE. */
  kaState(child, instance) {
    const re = /\((\S+)\) Entering (\w+) STATE/g;
    let state = 'NONE';
    for (const m of this.kaLog(child).matchAll(re)) if (!instance || m[1] === instance) state = m[2];
    return state;
  }
  /** Transitions reported to keepalived's notify script: [{time, name, state, priority}]. */
  kaTransitions(child) {
    return fs.readFileSync(path.join(child.dir, 'states'), 'utf8').trim().split('\n').filter(Boolean)
      .map((l) => l.split(' ')).map(([time, , name, state, priority]) => ({ time: Number(time), name, state, priority: Number(priority) }));
  }
  kaLog(child) {
    return fs.readFileSync(child.logFile, 'utf8');
  }

  /** hakit vrrp in host i. */
  async hakit(i, conf, name = `hk-h${i}-${++this.seq}`) {
    const d = path.join(this.dir, name);
    fs.mkdirSync(d, { recursive: true });
    const file = path.join(d, 'keepalived.conf');
    fs.writeFileSync(file, conf);
    const control = path.join(d, 'control.sock');
    const child = this.spawnIn(i, name, process.execPath, [hakitBin, 'vrrp', '--config', file, '--control', control, '--log-level', 'debug']);
    child.kind = 'hakit';
    child.dir = d;
    child.control = control;
    child.configFile = file;
    for (let t = 0; t < 100 && !fs.existsSync(control); t++) {
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    if (!fs.existsSync(control)) throw new Error(`hakit vrrp did not start: ${fs.readFileSync(child.logFile, 'utf8')}`);
    return child;
  }

  /** `hakit vrrp status` over the control socket, without a process per poll. */
  status(child) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(child.control);
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => { try { resolve(JSON.parse(data)); } catch (e) { reject(e); } });
      socket.on('error', reject);
    });
  }
  async instanceStatus(child, instance) {
    const s = (await this.status(child)).instances;
    return instance ? s.find((x) => x.name === instance) : s[0];
  }

  /** State of either kind of process. */
  async state(child, instance) {
    return child.kind === 'keepalived' ? this.kaState(child) : (await this.instanceStatus(child, instance)).state;
  }

  async waitState(child, want, timeoutMs = 10000, instance) {
    const t0 = Date.now();
    for (;;) {
      let s;
      try { s = await this.state(child, instance); } catch { s = 'UNKNOWN'; }
      if (s === want) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${child.kind} ${child.dir}: not ${want} after ${timeoutMs} ms (is ${s})`);
      await sleep(50);
    }
  }

  kill(child, signal) {
    try { process.kill(child.pid, signal); } catch { /* gone */ }
    if (child.kind === 'keepalived' && signal === 'SIGKILL' && child.vrrpPid) {
      try { process.kill(child.vrrpPid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /** SIGKILL: no priority 0, addresses stay (like a hung host). */
  async crash(child) {
    if (child.kind === 'keepalived') {
      try { process.kill(child.pid, 'SIGSTOP'); } catch { /* gone */ }
      try { process.kill(child.vrrpPid, 'SIGKILL'); } catch { /* gone */ }
    }
    this.kill(child, 'SIGKILL');
    await child.exited;
  }

  async stop(child) {
    this.kill(child, 'SIGTERM');
    const r = await Promise.race([child.exited, sleep(8000).then(() => 'timeout')]);
    if (r === 'timeout') { this.kill(child, 'SIGKILL'); await child.exited; }
  }

  /** Cuts (or restores) host i's link to the bridge: a split brain. */
  partition(i, cut) {
    // detached from the bridge, the port keeps its carrier: no FAULT, just silence
    sh('ip', ['-n', this.br, 'link', 'set', `p${i}`, ...(cut ? ['nomaster'] : ['master', 'br0'])]);
  }

  /** Stops every daemon we started and removes addresses left behind (a crash leaves VIPs). */
  async reset() {
    for (let i = 1; i <= this.hosts; i++) this.partition(i, false);
    for (const p of [...this.procs]) { this.kill(p, 'SIGKILL'); await Promise.race([p.exited, sleep(3000)]); }
    for (let i = 1; i <= this.hosts; i++) {
      for (const a of this.addresses(i)) {
        const base = a.address === this.ip4(i) || a.address === `2001:db8::${10 + i}` || a.address === this.ll6(i) || a.address === '127.0.0.1' || a.address === '::1';
        if (!base) spawnSync('ip', ['-n', this.ns(i), 'addr', 'del', `${a.address}/${a.prefix}`, 'dev', a.dev]);
      }
      for (const l of JSON.parse(sh('ip', ['-n', this.ns(i), '-j', 'link', 'show']))) {
        if (l.ifname.startsWith('vrrp.')) spawnSync('ip', ['-n', this.ns(i), 'link', 'del', l.ifname]);
      }
    }
  }

  /** Sends a hand-made VRRP packet (hex, from the version byte) out of host i's eth0 with the given TTL. */
  inject(i, hex, { ttl = 255, dst = '224.0.0.18', count = 1 } = {}) {
    return this.exec(i, process.execPath, [path.join(__dirname, 'inject.js'), 'eth0', String(ttl), dst, hex, String(count)]);
  }

  /**
   * Does host i's kernel accept a TCP SYN to address:port? 'refused' (a RST came back: accepted,
   * nothing listens), 'timeout' (dropped, e.g. by no_accept) or 'connected'.
   */
  probeTcp(i, address, port = 9, ms = 400) {
    const code = `const s=require('net').connect(${port},${JSON.stringify(address)});s.setTimeout(${ms},()=>{console.log('timeout');process.exit(0)});` +
      `s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',(e)=>{console.log(e.code==='ECONNREFUSED'?'refused':e.code);process.exit(0)})`;
    return this.exec(i, process.execPath, ['-e', code]).trim();
  }

  /** `nft list ruleset` in host i ('' if nft has nothing). */
  nftRuleset(i) {
    return this.exec(i, '/usr/sbin/nft', ['list', 'ruleset']);  // not node_modules/.bin/nft (@vercel/nft)
  }

  /** tcpdump on a host's eth0 (or 'br'); resolves to {stop(): Promise<file>} once listening. */
  async capture(where, filter = 'ip proto 112 or ip6 proto 112 or arp or icmp6') {
    const file = path.join(this.dir, `cap-${Date.now()}-${Math.random().toString(16).slice(2, 6)}.pcap`);
    const ns = where === 'br' ? this.br : this.ns(where);
    const dev = where === 'br' ? 'br0' : 'eth0';
    const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-nn', '-U', '--immediate-mode', '-Z', 'root', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.procs.add(child);
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((resolve) => {
      let err = '';
      child.stderr.on('data', (d) => { err += d; if (/listening on/.test(err)) resolve(); });
      setTimeout(resolve, 2000);
    });
    await sleep(100);
    return {
      file,
      stop: async () => {
        await sleep(100);
        child.kill('SIGINT');
        await exited;
        this.procs.delete(child);
        return file;
      },
    };
  }

  /** tshark's view of every frame: VRRP fields, ARP, NA. */
  decode(file) {
    const fields = ['frame.time_epoch', 'eth.src', 'eth.dst', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim',
      'vrrp.version', 'vrrp.type', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.addr_count', 'vrrp.adver_int', 'vrrp.short_adver_int',
      'vrrp.auth_type', 'vrrp.auth_string', 'vrrp.checksum.status', 'vrrp.ip_addr', 'vrrp.ipv6_addr',
      'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'icmpv6.type', 'icmpv6.nd.na.target_address', '_ws.expert.severity', '_ws.malformed'];
    const out = sh('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 64 << 20 });
    return out.split('\n').filter(Boolean).map((line) => {
      const v = line.split('\t');
      const o = {};
      fields.forEach((f, k) => (o[f] = v[k] ?? ''));
      return {
        time: Number(o['frame.time_epoch']), ethSrc: o['eth.src'], src: o['ip.src'] || o['ipv6.src'], dst: o['ip.dst'] || o['ipv6.dst'],
        ttl: Number(o['ip.ttl'] || o['ipv6.hlim']), vrrp: o['vrrp.version'] !== '', version: Number(o['vrrp.version']),
        vrid: Number(o['vrrp.virt_rtr_id']), prio: Number(o['vrrp.prio']), count: Number(o['vrrp.addr_count']),
        checksum: o['vrrp.checksum.status'], addrs: (o['vrrp.ip_addr'] || o['vrrp.ipv6_addr']).split(',').filter(Boolean),
        auth: o['vrrp.auth_string'], garp: o['arp.opcode'] === '1' && o['arp.src.proto_ipv4'] === o['arp.dst.proto_ipv4'],
        arpIp: o['arp.src.proto_ipv4'], na: o['icmpv6.type'] === '136', naTarget: o['icmpv6.nd.na.target_address'],
        expert: o['_ws.expert.severity'], malformed: o['_ws.malformed'] !== '',
      };
    });
  }
}

module.exports = { Lab, sleep };
