'use strict';
// Lab for the L7 balancer tests: real HTTP servers on loopback, the balancer from a config
// object, raw-socket and keep-alive clients. Everything listens on port 0.
const http = require('http');
const net = require('net');
const path = require('path');
const { root } = require('../../helpers/env');

const lbhttp = require(path.join(root, 'dist', 'lb', 'http'));

/** A backend that counts requests and connections; handler(req, res, body) may override. */
async function backend(name, handler) {
  const state = { name, requests: 0, connections: 0, seen: [] };
  const server = http.createServer((req, res) => {
    state.requests++;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      state.seen.push({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (handler) return handler(req, res, body);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
      res.end(`${name} ${req.method} ${req.url} ${body.length}\n`);
    });
  });
  server.on('connection', (socket) => {
    state.connections++;
    (state.sockets ??= new Set()).add(socket);
    socket.on('close', () => state.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.server = server;
  state.port = server.address().port;
  state.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** Starts a balancer from a config object (validated like a file); returns it with its port. */
async function balancer(config, options = {}) {
  const lb = new lbhttp.HttpBalancer(lbhttp.validateConfig(config), options);
  await lb.start();
  const addrs = lb.addresses();
  return { lb, port: addrs[0].port, addresses: addrs, close: () => lb.close() };
}

/** Sends raw bytes, returns everything received until close or `waitMs` of silence/total. */
function raw(port, bytes, { waitMs = 5000, host = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => socket.write(bytes));
    const chunks = [];
    let closed = false;
    socket.on('data', (c) => chunks.push(c));
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    });
    socket.on('error', () => {});
  });
}

/** One request with a body-collecting response. */
function request(port, options = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', ...options }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Status line of a raw response. */
function statusOf(text) {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, timeoutMs = 5000, stepMs = 25) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return true;
    await sleep(stepMs);
  }
  return false;
}

module.exports = { lbhttp, backend, balancer, raw, request, statusOf, sleep, waitFor };

/** Starts backend-proc.js in a child process; resolves { name, port, child, kill }. */
function backendProcess(name, delayMs = 0) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [path.join(__dirname, 'backend-proc.js'), name, String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d) => resolve({ name, port: Number(String(d).trim()), child, kill: (sig = 'SIGKILL') => child.kill(sig) }));
  });
}

/**
 * Keeps `concurrency` keep-alive request loops running until stop(); records every outcome.
 * Each loop has its own one-socket agent so established client connections can be counted.
 */
function loadLoops(port, { concurrency = 8, path: reqPath = '/', headers = {} } = {}) {
  const results = [];
  const agents = [];
  let running = true;
  const loops = [];
  for (let i = 0; i < concurrency; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agent.created = 0;
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      agent.created++;
      return create(...args);
    };
    agents.push(agent);
    loops.push(
      (async () => {
        while (running) {
          const started = Date.now();
          const outcome = await new Promise((resolve) => {
            const req = http.get({ host: '127.0.0.1', port, path: reqPath, agent, headers }, (res) => {
              let body = '';
              res.on('data', (c) => (body += c));
              res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
              res.on('error', (error) => resolve({ status: 0, error: error.code || error.message }));
            });
            req.on('error', (error) => resolve({ status: 0, error: error.code || error.message }));
          });
          outcome.at = started;
          outcome.end = Date.now();
          results.push(outcome);
        }
      })(),
    );
  }
  return {
    results,
    agents,
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
}

module.exports.backendProcess = backendProcess;
module.exports.loadLoops = loadLoops;
