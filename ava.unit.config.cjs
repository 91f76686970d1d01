// Unit tests: no root, no network beyond loopback.
module.exports = {
  files: ['test/unit/**/*.test.js', 'test/unit/**/*.test.mjs'],
  timeout: '10m',
  workerThreads: false,
};
