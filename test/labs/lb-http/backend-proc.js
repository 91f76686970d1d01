'use strict';
// A backend in its own process (so tests can kill -9 it): answers "<name> <url>" after
// DELAY_MS; GET /health answers at once. Prints its port on stdout.
const http = require('http');
const name = process.argv[2] || 'proc';
const delay = Number(process.argv[3] || 0);
const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok\n');
  req.resume();
  req.on('end', () => setTimeout(() => res.end(`${name} ${req.url}\n`), delay));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
