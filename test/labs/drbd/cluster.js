'use strict';
// The checker's lab: two node processes (test/labs/drbd/node.js) whose link runs through a TCP
// proxy that can be cut, backing files in a temp dir, and helpers to kill and restart nodes.
const { fork } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { tempDir, makeDisk } = require('./pair');
const { freePort } = require('../../helpers/net');

/** A TCP proxy from a local port to `target`; cut() kills every connection and refuses new ones. */
class Proxy {
  constructor(target) {
    this.target = target;
    this.sockets = new Set();
    this.open = true;
    this.server = net.createServer((client) => {
      if (!this.open) { client.destroy(); return; }
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => {}); }
      // Client-to-server bytes pass through corrupt(): one bit flipped in the next large chunk.
      client.on('data', (chunk) => {
        if (this.corruptNext && chunk.length > 8192) { chunk[chunk.length >> 1] ^= 0x10; this.corruptNext = false; }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }
  listen() { return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port))); }
  /** Flips one bit in the middle of the next client-to-server chunk larger than 8 KiB. */
  corrupt() { this.corruptNext = true; }
  cut() { this.open = false; for (const s of this.sockets) s.destroy(); }
  heal() { this.open = true; }
  close() { this.cut(); return new Promise((resolve) => this.server.close(() => resolve())); }
}

class NodeProcess {
  constructor(options) {
    this.options = options;
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];
    this.listeners = new Set();
  }
  start() {
    this.child = fork(path.join(__dirname, 'node.js'), [JSON.stringify(this.options)], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.on('error', () => {}); // EPIPE on the IPC channel of a process we just killed
    this.child.on('message', (m) => {
      if (m.event) { this.events.push(m); for (const l of this.listeners) l(m); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    });
    this.child.once('exit', () => {
      for (const [, p] of this.pending) p.reject(Object.assign(new Error('node process exited'), { code: 'EXITED' }));
      this.pending.clear();
    });
    return this.waitEvent((m) => m.event === 'ready' || m.event === 'error', 20000).then((m) => {
      if (m.event === 'error') throw new Error(`node failed to start: ${m.data.message}`);
      return m.data;
    });
  }
  waitEvent(predicate, ms = 20000) {
    return new Promise((resolve, reject) => {
      const listener = (m) => { if (predicate(m)) { clearTimeout(timer); this.listeners.delete(listener); resolve(m); } };
      const timer = setTimeout(() => { this.listeners.delete(listener); reject(new Error(`timed out waiting for an event from ${this.options.node}`)); }, ms);
      this.listeners.add(listener);
    });
  }
  call(op, args) {
    if (!this.child || !this.child.connected || this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(Object.assign(new Error('node process is not running'), { code: 'EXITED' }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op, args });
    });
  }
  waitFor(fn, ms = 30000) { return this.call('waitFor', { fn, ms }); }
  async kill() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try { await Promise.race([this.call('close'), new Promise((r) => setTimeout(r, 5000))]); } catch {}
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Two nodes: alpha dials bravo through a proxy. Returns { alpha, bravo, proxy, dir, size, close }.
 */
async function startCluster({ size = 4 << 20, net: netOptions = {}, dir = tempDir('hakit-drbd-cluster-') } = {}) {
  const files = { alpha: path.join(dir, 'alpha.img'), bravo: path.join(dir, 'bravo.img') };
  await makeDisk(files.alpha, size);
  await makeDisk(files.bravo, size);
  const bravoPort = await freePort();
  const proxy = new Proxy({ host: '127.0.0.1', port: bravoPort });
  const proxyPort = await proxy.listen();
  const common = { resource: 'r0', net: { protocol: 'C', connectInt: 1, pingInt: 1, pingTimeout: 50, timeout: 50, ...netOptions } };
  const alpha = new NodeProcess({ ...common, node: 'alpha', peer: 'bravo', disk: files.alpha, address: { host: '127.0.0.1', port: 0 }, peerAddress: { host: '127.0.0.1', port: proxyPort } });
  const bravo = new NodeProcess({ ...common, node: 'bravo', peer: 'alpha', disk: files.bravo, address: { host: '127.0.0.1', port: bravoPort }, peerAddress: { host: '127.0.0.1', port: 1 } });
  await Promise.all([alpha.start(), bravo.start()]);
  const close = async () => {
    await Promise.all([alpha.stop(), bravo.stop()]);
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { alpha, bravo, proxy, dir, files, close };
}

module.exports = { startCluster, Proxy, NodeProcess, freePort };
