'use strict';
// A throwaway single-host Ceph cluster: one monitor and N memstore OSDs on 127.0.0.1 (random
// port), cephx on, everything (conf, keyrings, data, sockets, logs, pid files) under one temp
// dir, no systemd. Keyrings are made by hakit itself, so cephx accepting them is part of the
// proof. Daemons are ended by the PIDs in their pid files.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync, spawnSync } = require('child_process');
const { ceph } = require('../../..');
const { freePort } = require('../../helpers/net');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function available() {
  return ['ceph-mon', 'ceph-osd', 'ceph', 'monmaptool', 'osdmaptool'].every((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0);
}

async function startCluster({ osds = 3 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-ceph-'));
  for (const sub of ['run', 'log', 'mon', 'osd']) fs.mkdirSync(path.join(dir, sub));
  const port = await freePort();
  const fsid = crypto.randomUUID();
  const conf = path.join(dir, 'ceph.conf');
  fs.writeFileSync(
    conf,
    `[global]
fsid = ${fsid}
mon initial members = a
mon host = v2:127.0.0.1:${port}
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = ${dir}/run
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
keyring = ${dir}/$name.keyring
osd pool default size = 2
osd pool default min size = 1
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 268435456
mon allow pool delete = true
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
ms bind ipv6 = false
mon osd down out interval = 0
`,
  );
  const cluster = { dir, conf, port, fsid, pids: new Map(), osdIds: [] };
  const env = { ...process.env, CEPH_CONF: conf };
  const run = (cmd, args) => execFileSync(cmd, ['--conf', conf, ...args], { env, stdio: 'pipe', encoding: 'utf8', timeout: 60000 });
  try {
    // Keyrings from hakit: the monitor's holds mon. and client.admin.
    const admin = ceph.newEntry('client.admin', { mds: 'allow *', mgr: 'allow *', mon: 'allow *', osd: 'allow *' });
    const mon = ceph.newEntry('mon.', { mon: 'allow *' });
    fs.writeFileSync(path.join(dir, 'client.admin.keyring'), ceph.formatKeyring([admin]), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'mon.keyring'), ceph.formatKeyring([mon, admin]), { mode: 0o600 });
    execFileSync('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${port}]`, '--fsid', fsid, path.join(dir, 'monmap')], { stdio: 'pipe' });
    fs.mkdirSync(path.join(dir, 'mon', 'ceph-a'));
    run('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', path.join(dir, 'monmap'), '--keyring', path.join(dir, 'mon.keyring')]);
    run('ceph-mon', ['-i', 'a']);
    cluster.pids.set('mon.a', readPid(dir, 'mon.a'));
    cluster.client = new ceph.Ceph({ conf, keyring: path.join(dir, 'client.admin.keyring'), connectTimeout: 20, timeoutMs: 60000 });
    await cluster.client.status();
    for (let i = 0; i < osds; i++) {
      const uuid = crypto.randomUUID();
      const id = Number(run('ceph', ['osd', 'new', uuid]).trim());
      fs.mkdirSync(path.join(dir, 'osd', `ceph-${id}`));
      const keyring = path.join(dir, `osd.${id}.keyring`);
      fs.writeFileSync(keyring, ceph.formatKeyring([ceph.newEntry(`osd.${id}`)]), { mode: 0o600 });
      await cluster.client.authAdd(`osd.${id}`, { mgr: 'allow profile osd', mon: 'allow profile osd', osd: 'allow *' }, keyring);
      run('ceph-osd', ['-i', String(id), '--mkfs', '--osd-uuid', uuid]);
      run('ceph-osd', ['-i', String(id)]);
      cluster.pids.set(`osd.${id}`, readPid(dir, `osd.${id}`));
      cluster.osdIds.push(id);
    }
    const deadline = Date.now() + 60000;
    for (;;) {
      const dump = await cluster.client.osdDump();
      if (dump.osds.length === osds && dump.osds.every((o) => o.up === 1)) break;
      if (Date.now() > deadline) throw new Error('OSDs did not come up within 60 s');
      await sleep(300);
    }
    return cluster;
  } catch (error) {
    await stopCluster(cluster);
    const logs = fs.existsSync(path.join(dir, 'log')) ? fs.readdirSync(path.join(dir, 'log')) : [];
    error.message += ` (ceph lab in ${dir}; logs: ${logs.join(', ')})`;
    throw error;
  }
}

function readPid(dir, name) {
  const file = path.join(dir, 'run', `${name}.pid`);
  for (let i = 0; i < 50; i++) {
    if (fs.existsSync(file)) {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`no pid file for ${name}`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops one daemon of the lab (SIGKILL: an OSD that crashed). */
function killDaemon(cluster, name) {
  const pid = cluster.pids.get(name);
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  cluster.pids.delete(name);
}

async function stopCluster(cluster) {
  // memstore keeps nothing worth a clean shutdown, and OSDs linger on SIGTERM without a monitor.
  const pids = [...cluster.pids.values()];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + 10000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  fs.rmSync(cluster.dir, { recursive: true, force: true });
}

module.exports = { available, startCluster, stopCluster, killDaemon };

/** Runs monitor commands through one librados session (python3-rados); returns their results. */
function monCommands(cluster, commands) {
  const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'mon_commands.py')], {
    input: JSON.stringify({ conf: cluster.conf, keyring: path.join(cluster.dir, 'client.admin.keyring'), commands }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120000,
  });
  return JSON.parse(out);
}

function radosAvailable() {
  return spawnSync('/usr/bin/python3', ['-c', 'import rados'], { stdio: 'ignore' }).status === 0;
}

module.exports.monCommands = monCommands;
module.exports.radosAvailable = radosAvailable;
