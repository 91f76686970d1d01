'use strict';
// A real Corosync + Pacemaker cluster on this machine, no systemd: each node is a network
// namespace (corosync and pacemaker talk over abstract unix sockets, which are per netns) plus
// a mount namespace with its own /etc/corosync, /var/lib/pacemaker, /var/lib/corosync, /run,
// /dev/shm and log dirs bound from a temp dir. Nodes are joined by veth pairs on a bridge in a
// switch namespace. Every daemon of a node runs in one process group, recorded and killed by
// its own PID namespace too: killing that namespace's init (its recorded PID) kills every
// daemon of the node at once, including those that setsid() away from their parent.
// Namespaces and temp dirs are removed on stop, even after a failure.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { pacemaker } = require('../../..');

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const quiet = (cmd, args) => {
  try {
    return sh(cmd, args);
  } catch {
    return undefined;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const NODE_SCRIPT = `
set -e
D="$1"
mount --make-rprivate /
mount --bind "$D/etc-corosync" /etc/corosync
mount --bind "$D/lib-pacemaker" /var/lib/pacemaker
mount --bind "$D/lib-corosync" /var/lib/corosync
mount --bind "$D/log" /var/log/pacemaker
mkdir -p /var/log/cluster && mount --bind "$D/log" /var/log/cluster
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p /run/crm /run/corosync-qdevice && chown hacluster:haclient /run/crm
# Extra OCF providers (hakit's agents) appear under /usr/lib/ocf/resource.d in this node only:
# a tmpfs over resource.d with the packaged providers bound back in.
if [ -d "$D/../ocf-providers" ]; then
  mkdir -p "$D/ocf-orig" && mount --bind /usr/lib/ocf/resource.d "$D/ocf-orig"
  mount -t tmpfs -o mode=0755 tmpfs /usr/lib/ocf/resource.d
  for p in "$D/ocf-orig"/* "$D/../ocf-providers"/*; do
    n=$(basename "$p"); mkdir -p "/usr/lib/ocf/resource.d/$n"; mount --bind "$p" "/usr/lib/ocf/resource.d/$n"
  done
fi
ip link set lo up
export PCMK_logfile="$D/log/pacemaker.log" PCMK_logfacility=none PCMK_debug=no
corosync -f >"$D/log/corosync.out" 2>&1 &
echo $! > "$D/corosync.pid"
for i in $(seq 1 100); do corosync-quorumtool -s >/dev/null 2>&1 && break; [ $i -gt 2 ] && corosync-cmapctl -g runtime.votequorum.this_node_id >/dev/null 2>&1 && break; sleep 0.1; done
pacemakerd -f >"$D/log/pacemakerd.out" 2>&1 &
echo $! > "$D/pacemakerd.pid"
wait
`;

class Node {
  constructor(cluster, index, name, addr) {
    Object.assign(this, { cluster, index, name, addr, nodeid: index + 1 });
    this.dir = path.join(cluster.dir, name);
    this.netns = `${cluster.prefix}-${name}`;
    this.initPid = undefined;
  }

  /** The argv prefix that runs a command inside this node (network + mount namespace). */
  get prefix() {
    if (!this.holderPid) throw new Error(`node ${this.name} is not running`);
    return ['nsenter', '-t', String(this.holderPid), '-n', '-m', '--'];
  }

  exec(cmd, args, opts = {}) {
    const [p, ...rest] = this.prefix;
    return sh(p, [...rest, cmd, ...args], opts);
  }

  start(conf) {
    for (const sub of ['etc-corosync', 'lib-pacemaker/cib', 'lib-pacemaker/pengine', 'lib-pacemaker/blackbox', 'lib-pacemaker/cores', 'lib-corosync', 'log']) fs.mkdirSync(path.join(this.dir, sub), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'etc-corosync', 'corosync.conf'), conf);
    sh('chown', ['-R', 'hacluster:haclient', path.join(this.dir, 'lib-pacemaker'), path.join(this.dir, 'log')]);
    fs.writeFileSync(path.join(this.dir, 'node.sh'), NODE_SCRIPT);
    // A PID namespace per node: its init (sh) is the recorded PID; SIGKILL on it ends the node.
    const child = spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--mount', '--pid', '--fork', '--', 'sh', path.join(this.dir, 'node.sh'), this.dir], { stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'log', 'node.err'), 'w')], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  async waitPids() {
    const children = (pid) => {
      try {
        return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        return [];
      }
    };
    const comm = (pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 150; i++) {
      const init = children(this.child.pid)[0];
      if (init && fs.existsSync(path.join(this.dir, 'pacemakerd.pid'))) {
        const daemons = children(init);
        const corosync = daemons.find((p) => comm(p) === 'corosync');
        const pacemakerd = daemons.find((p) => comm(p) === 'pacemakerd');
        if (corosync && pacemakerd) {
          Object.assign(this, { initPid: init, corosyncPid: corosync, pacemakerdPid: pacemakerd, holderPid: corosync });
          return;
        }
      }
      await sleep(100);
    }
    throw new Error(`node ${this.name} did not start: ${quiet('cat', [path.join(this.dir, 'log', 'node.err')])}`);
  }

  /** SIGKILL to the node's PID-namespace init: every daemon of the node dies at once (a crash). */
  async crash() {
    if (this.initPid) {
      try {
        process.kill(this.initPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await Promise.race([this.exited, sleep(5000)]);
    }
    this.initPid = undefined;
    this.holderPid = undefined;
  }

  /** Orderly stop: pacemakerd first (it stops resources), then corosync; SIGKILL after a grace. */
  async stop(graceMs = 15000) {
    if (!this.initPid) return;
    try {
      process.kill(this.pacemakerdPid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && fs.existsSync(`/proc/${this.pacemakerdPid}`)) await sleep(200);
    await this.crash();
  }
}

class Cluster {
  /** ocfProviders: { name: dir } made visible as /usr/lib/ocf/resource.d/<name> on every node. */
  constructor({ nodes = 1, name = 'hakit', ocfProviders = {} } = {}) {
    // Namespaces are named after the capability; veth names (15 chars max) use a short tag.
    this.tag = `pm${(process.pid % 10000).toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    this.prefix = `pacemaker-${this.tag}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-pcmk-cluster-'));
    fs.chmodSync(this.dir, 0o755);
    this.clusterName = name;
    const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
    this.nodes = Array.from({ length: nodes }, (_, i) => new Node(this, i, `n${i + 1}`, `${subnet}.${i + 1}`));
    this.switchNs = `${this.prefix}-sw`;
    for (const [provider, dir] of Object.entries(ocfProviders)) {
      fs.mkdirSync(path.join(this.dir, 'ocf-providers'), { recursive: true });
      fs.cpSync(dir, path.join(this.dir, 'ocf-providers', provider), { recursive: true });
    }
  }

  conf(quorum = {}) {
    return pacemaker.generateCorosyncConf({
      clusterName: this.clusterName,
      nodes: this.nodes.map((n) => ({ nodeid: n.nodeid, name: n.name, addrs: [n.addr] })),
      totem: { token: '1000' },
      quorum: { provider: 'corosync_votequorum', ...quorum },
      logging: { to_stderr: 'yes', to_syslog: 'no', timestamp: 'on' },
    });
  }

  network() {
    sh('ip', ['netns', 'add', this.switchNs]);
    sh('ip', ['-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', this.switchNs, 'link', 'set', 'br0', 'up']);
    for (const n of this.nodes) {
      sh('ip', ['netns', 'add', n.netns]);
      sh('ip', ['link', 'add', `${this.tag}${n.index}a`, 'netns', n.netns, 'type', 'veth', 'peer', `${this.tag}${n.index}b`, 'netns', this.switchNs]);
      sh('ip', ['-n', n.netns, 'link', 'set', `${this.tag}${n.index}a`, 'name', 'eth0']);
      sh('ip', ['-n', n.netns, 'addr', 'add', `${n.addr}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', n.netns, 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', n.netns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', this.switchNs, 'link', 'set', `${this.tag}${n.index}b`, 'master', 'br0', 'up']);
    }
  }

  async start(quorum) {
    this.network();
    const conf = this.conf(quorum);
    for (const n of this.nodes) n.start(conf);
    for (const n of this.nodes) await n.waitPids();
  }

  /** Waits until crm_mon on `node` shows a DC and every listed node online. */
  async waitForDc(node = this.nodes[0], online = this.nodes.map((n) => n.name), timeoutMs = 90000) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        last = node.exec('crm_mon', ['-1', '--output-as=xml']);
        const status = pacemaker.parseCrmMon(last);
        if (status.dc && online.every((name) => status.nodes.find((x) => x.name === name && x.online))) return status;
      } catch (error) {
        last = String(error.stderr || error.message);
      }
      await sleep(1000);
    }
    throw new Error(`no DC with ${online.join(',')} online after ${timeoutMs} ms: ${last.slice(0, 2000)}`);
  }

  async stop() {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
    for (const n of this.nodes) quiet('ip', ['netns', 'del', n.netns]);
    quiet('ip', ['netns', 'del', this.switchNs]);
    if (!process.env.HAKIT_KEEP_LAB) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { Cluster };
