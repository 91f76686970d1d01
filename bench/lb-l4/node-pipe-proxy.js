'use strict';
// The plain Node contender: socket.pipe both ways.
// Usage: node node-pipe-proxy.js PORT BACKEND_PORT [PORT2 BACKEND_PORT2 ...]
const net = require('net');

const args = process.argv.slice(2).map(Number);
for (let i = 0; i + 1 < args.length; i += 2) serve(args[i], args[i + 1]);

function serve(port, backendPort) {
net.createServer((client) => {
  const server = net.connect(backendPort, '127.0.0.1');
  client.pipe(server);
  server.pipe(client);
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
}).listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log('ready'));
}
