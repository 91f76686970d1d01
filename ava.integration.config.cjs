// Integration tests against real peers (root, netns, QEMU guest, daemons). One file at a time:
// several of them time failovers and must not compete for the two cores.
module.exports = {
  files: ['test/integration/**/*.test.js', 'test/integration/**/*.test.mjs'],
  timeout: '10m',
  concurrency: 1,
  workerThreads: false,
};
