'use strict';
// The NBD export against a real client: qemu-io (Debian qemu-utils) connects with the fixed
// newstyle handshake (NBD_OPT_GO), writes, reads back, flushes, discards and writes zeroes;
// every change lands on the Secondary's disk too.
const test = require('ava');
const { execFile } = require('child_process');
const { needs, requires } = require('../../helpers/env');
const { syncedPair, dataOf } = require('../../labs/drbd/pair');
const { drbd } = require('../../..');

function qemuIo(url, commands) {
  const args = ['-f', 'raw', url];
  for (const c of commands) args.push('-c', c);
  return new Promise((resolve, reject) => {
    execFile('qemu-io', args, { encoding: 'utf8', timeout: 30000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`qemu-io failed: ${stderr || stdout || error.message}`));
      else resolve(stdout);
    });
  });
}

needs(test, [requires.command('qemu-io', 'qemu-utils')])('qemu-io reads, writes, flushes and discards through the NBD export; the peer gets it all', async (t) => {
  const pair = await syncedPair();
  const server = new drbd.NbdServer(pair.a, { name: 'r0' });
  try {
    const { port } = await server.listen(0);
    const url = `nbd://127.0.0.1:${port}/r0`;
    const out = await qemuIo(url, [
      'write -P 0xab 0 64k', 'read -P 0xab 0 64k', 'flush',
      'discard 64k 64k', 'read -P 0 64k 64k',
      'write -P 0x11 1000 300', 'read -P 0x11 1000 300', 'read -P 0xab 0 1000', 'read -P 0xab 1300 64236',
      'write -z 8192 4096', 'read -P 0 8192 4096',
      'write -P 0x5a 1m 1m', 'read -P 0x5a 1m 1m', 'flush',
    ]);
    t.notRegex(out, /Pattern verification failed|error/i, out);
    t.is((out.match(/^read \d+\/\d+ bytes/gm) || []).length, 7, out);
    // A wrong export name is refused.
    await t.throwsAsync(qemuIo(`nbd://127.0.0.1:${port}/nope`, ['read 0 512']));
    const size = pair.a.sizeBytes;
    await server.close();
    await pair.close();
    const b = dataOf(pair.diskB, size);
    t.true(b.equals(dataOf(pair.diskA, size)), 'replicas identical');
    t.true(b.subarray(1000, 1300).equals(Buffer.alloc(300, 0x11)));
    t.true(b.subarray(8192, 12288).equals(Buffer.alloc(4096)));
    t.true(b.subarray(1 << 20, 2 << 20).equals(Buffer.alloc(1 << 20, 0x5a)));
  } finally {
    await server.close().catch(() => {});
    await pair.close();
  }
});
