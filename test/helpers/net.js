'use strict';
// A TCP port that was free a moment ago on 127.0.0.1 (for a peer that must bind it itself, or
// for a port nothing listens on). Shared by tests, labs and benchmarks.
const net = require('net');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
