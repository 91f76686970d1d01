'use strict';
// Real peers for the load-balancer tests: loopback TCP backends and an HAProxy started from a
// temporary config (foreground, killed by PID on stop).
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { freePort } = require('../../helpers/net');

function listen(server, host = '127.0.0.1', port = 0) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

/** A TCP backend that records connections; `handler(socket)` serves each. */
async function backend(handler, port = 0) {
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    handler(s);
  });
  const bound = await listen(server, '127.0.0.1', port);
  return {
    port: bound,
    get accepted() { return accepted; },
    /** Kills it like a crash: stop listening and reset every connection. */
    kill() {
      server.close();
      for (const s of sockets) s.resetAndDestroy();
    },
    close() {
      return new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); });
    },
  };
}

function waitForPort(port, timeoutMs = 5000) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(); });
      c.once('error', () => {
        if (Date.now() - start > timeoutMs) reject(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts haproxy with `config` (a string; use ${dir} for its temp dir), after writing `files`
 * ({ name: content }) into that dir; returns { stop, dir }.
 */
async function haproxy(config, waitPorts = [], files = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-haproxy-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, config.replaceAll('${dir}', dir));
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([Promise.all(waitPorts.map((p) => waitForPort(p))), exited.then(() => { throw new Error(`haproxy exited: ${stderr}`); })]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    pid: child.pid,
    dir,
    get stderr() { return stderr; },
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connects, sends `data` then half-closes, and collects what comes back until the peer's FIN. */
function exchange(port, data, { host = '127.0.0.1', endAfterWrite = true, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no end from port ${port} within ${timeoutMs} ms`)); }, timeoutMs);
    const socket = net.connect(port, host, () => {
      if (data) socket.write(data);
      if (endAfterWrite) socket.end();
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), localPort: socket.localPort }); });
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Starts nginx (one worker, foreground) with `http` as its http{} block; returns { stop, dir }. */
async function nginx(http, waitPorts = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-nginx-'));
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir};\n${http}\n}\n`);
  const child = spawn('nginx', ['-p', dir, '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([Promise.all(waitPorts.map((p) => waitForPort(p))), exited.then(() => { throw new Error(`nginx exited: ${stderr}`); })]);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return {
    dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM'); // the master stops its worker (SIGKILL would orphan it)
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { listen, backend, freePort, waitForPort, haproxy, nginx, exchange };
