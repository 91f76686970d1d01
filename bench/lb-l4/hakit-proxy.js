'use strict';
// The hakit contender: the native L4 relay, round-robin over two entries for the backend
// (as the anchor's haproxy.cfg), one relay thread.
// Usage: node hakit-proxy.js PORT BACKEND_PORT [PORT2 BACKEND_PORT2 ...]
const { lb } = require('../..');

const args = process.argv.slice(2).map(Number);
const listeners = [];
for (let i = 0; i + 1 < args.length; i += 2) {
  const pool = new lb.Pool({ name: `b${i}`, scheduler: 'rr', servers: [{ id: 's1', host: '127.0.0.1', port: args[i + 1] }, { id: 's2', host: '127.0.0.1', port: args[i + 1] }] });
  listeners.push({ name: `f${i}`, port: args[i], pool, backlog: 4096, connectTimeoutMs: 5000 });
}
new lb.TcpProxy({ threads: Number(process.env.HAKIT_THREADS || 1), listeners }).start().then(() => console.log('ready'));
