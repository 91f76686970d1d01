'use strict';
// One DRBD-style node in its own process, driven over the IPC channel (advanced serialization,
// so Buffers cross as bytes): { id, op, args } -> { id, ok, result | error }. Events are sent
// as { event, data }. Used by the integration checker, which SIGKILLs these processes.
const { drbd } = require('../../..');

const options = JSON.parse(process.argv[2]);
let volume;

const handlers = {
  async connect(args) { volume.connect(args || {}); },
  async disconnect() { volume.disconnect(); },
  async primary(args) { await volume.primary(args || {}); },
  async secondary() { await volume.secondary(); },
  async resumeIo() { await volume.resumeIo(); },
  async write({ offset, data }) { await volume.write(offset, Buffer.from(data.buffer, data.byteOffset, data.byteLength)); },
  async read({ offset, length }) { return volume.read(offset, length); },
  async flush() { await volume.flush(); },
  async status() { return volume.status(); },
  async waitFor({ fn, ms }) {
    // fn is the source of a predicate over the status (test code, trusted).
    const predicate = new Function('s', `return (${fn})`);
    return volume.waitFor(predicate, ms, fn);
  },
  async close() { await volume.close(); },
};

process.on('message', async (message) => {
  const { id, op, args } = message;
  try {
    const result = await handlers[op](args);
    process.send({ id, ok: true, result });
  } catch (error) {
    process.send({ id, ok: false, error: { message: error.message, code: error.code } });
  }
});

(async () => {
  try {
    volume = await drbd.Volume.open(options);
    for (const name of ['change', 'resync-done', 'split-brain', 'suspended', 'handshake']) {
      volume.on(name, (data) => process.send({ event: name, data }));
    }
    process.send({ event: 'ready', data: { listenPort: volume.listenPort } });
  } catch (error) {
    process.send({ event: 'error', data: { message: error.message, code: error.code } });
    process.exit(1);
  }
})();
process.on('disconnect', () => process.exit(0));
