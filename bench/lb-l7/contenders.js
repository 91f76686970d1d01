'use strict';
// Node contenders for the L7 benchmark, one per process: `node contenders.js KIND PORT BACKEND_PORT`.
// plain: the anchor's plain http proxy; http-proxy: node-http-proxy with a keep-alive agent;
// fastify: @fastify/http-proxy (undici pool under it).
const http = require('http');
const [kind, port, backendPort] = process.argv.slice(2);
const target = `http://127.0.0.1:${backendPort}`;

if (kind === 'plain') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  http.createServer((req, res) => {
    const p = http.request({ host: '127.0.0.1', port: Number(backendPort), method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    p.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(p);
  }).listen(Number(port), '127.0.0.1');
} else if (kind === 'http-proxy') {
  const httpProxy = require('http-proxy');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });
  proxy.on('error', (error, req, res) => {
    res.statusCode = 502;
    res.end();
  });
  http.createServer((req, res) => proxy.web(req, res)).listen(Number(port), '127.0.0.1');
} else if (kind === 'fastify') {
  const fastify = require('fastify')({ logger: false });
  fastify.register(require('@fastify/http-proxy'), { upstream: target, http: undefined });
  fastify.listen({ port: Number(port), host: '127.0.0.1' });
} else {
  console.error(`unknown contender ${kind}`);
  process.exit(2);
}
