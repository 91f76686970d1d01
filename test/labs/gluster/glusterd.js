'use strict';
// A private glusterd for tests: working and run directories under a temp dir, started by hand
// (no systemd), every process it spawned ended by PID, and every file it left in the system
// directories glusterd insists on (/var/run/gluster sockets, /var/log/glusterfs logs,
// /var/lib/glusterd) removed unless it was there before.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync, spawnSync } = require('child_process');

const SYSTEM_DIRS = ['/var/run/gluster', '/var/log/glusterfs', '/var/log/glusterfs/bricks', '/var/lib/glusterd'];
const DEFAULT_SOCKET = '/var/run/glusterd.socket';

function listing(dir) {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return new Set();
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// PIDs of processes whose command line mentions our private directory (bricks, self-heal,
// rebalance and FUSE clients glusterd or mount started for this lab).
function pidsMentioning(marker) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (cmdline.includes(marker)) out.push(Number(entry));
    } catch {}
  }
  return out;
}

function glusterdRunning() {
  // Another glusterd would own the default socket and port 24007; never touch it.
  if (!fs.existsSync(DEFAULT_SOCKET)) return false;
  return spawnSync('gluster', ['--mode=script', 'peer', 'status'], { timeout: 10000, stdio: 'ignore' }).status === 0;
}

async function startGlusterd() {
  if (glusterdRunning()) throw new Error('a glusterd is already running on this host; refusing to start a second one');
  const before = new Map(SYSTEM_DIRS.map((d) => [d, listing(d)]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-gluster-'));
  const wd = path.join(dir, 'wd');
  const run = path.join(dir, 'run');
  fs.mkdirSync(wd);
  fs.mkdirSync(run);
  fs.mkdirSync(path.join(dir, 'log'));
  if (fs.existsSync('/var/lib/glusterd/groups')) fs.cpSync('/var/lib/glusterd/groups', path.join(wd, 'groups'), { recursive: true });
  const volfile = path.join(dir, 'glusterd.vol');
  fs.writeFileSync(
    volfile,
    [
      'volume management',
      '    type mgmt/glusterd',
      `    option working-directory ${wd}`,
      `    option run-directory ${run}`,
      '    option transport-type socket',
      '    option transport.socket.listen-port 24007',
      '    option ping-timeout 0',
      '    option event-threads 1',
      'end-volume',
      '',
    ].join('\n'),
  );
  const child = spawn('glusterd', ['-N', '-f', volfile, `--log-file=${path.join(dir, 'log', 'glusterd.log')}`, '-p', path.join(run, 'glusterd.pid')], {
    stdio: 'ignore',
  });
  const lab = { dir, pid: child.pid, child, mounts: [], before, hostname: os.hostname() };
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (spawnSync('gluster', ['--mode=script', 'peer', 'status'], { timeout: 5000, stdio: 'ignore' }).status === 0) return lab;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stopGlusterd(lab);
  throw new Error(`glusterd did not come up; see ${path.join(dir, 'log', 'glusterd.log')}`);
}

function brickDir(lab, name) {
  const dir = path.join(lab.dir, 'bricks', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function mountVolume(lab, volume) {
  const mountpoint = path.join(lab.dir, 'mnt', volume);
  fs.mkdirSync(mountpoint, { recursive: true });
  execFileSync('mount', ['-t', 'glusterfs', '-o', `log-file=${path.join(lab.dir, 'log', `mnt-${volume}.log`)}`, `${lab.hostname}:/${volume}`, mountpoint], {
    stdio: 'pipe',
  });
  lab.mounts.push(mountpoint);
  return mountpoint;
}

async function stopGlusterd(lab) {
  for (const mountpoint of lab.mounts.reverse()) spawnSync('umount', ['-l', mountpoint], { stdio: 'ignore' });
  // Stop and delete the volumes this glusterd knows (all of them are ours: its state is private).
  const info = spawnSync('gluster', ['--mode=script', 'volume', 'list'], { encoding: 'utf8', timeout: 20000 });
  if (info.status === 0) {
    for (const volume of info.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !/^No volumes/.test(s))) {
      spawnSync('gluster', ['--mode=script', 'volume', 'stop', volume, 'force'], { stdio: 'ignore', timeout: 30000 });
      spawnSync('gluster', ['--mode=script', 'volume', 'delete', volume], { stdio: 'ignore', timeout: 30000 });
    }
  }
  const pids = new Set([lab.pid, ...pidsMentioning(lab.dir)]);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  const deadline = Date.now() + 10000;
  while ([...pids].some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of pids) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  // Files glusterd wrote outside its private directories during this lab.
  for (const [dir, had] of lab.before) {
    for (const entry of listing(dir)) {
      const full = path.join(dir, entry);
      if (had.has(entry) || SYSTEM_DIRS.includes(full)) continue;
      fs.rmSync(full, { recursive: true, force: true });
    }
  }
  for (const mountpoint of lab.mounts) spawnSync('umount', [mountpoint], { stdio: 'ignore' });
  fs.rmSync(lab.dir, { recursive: true, force: true });
}

function available() {
  return ['glusterd', 'gluster', 'mount.glusterfs'].every((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0) && fs.existsSync('/dev/fuse');
}

module.exports = { startGlusterd, stopGlusterd, brickDir, mountVolume, available, glusterdRunning };
