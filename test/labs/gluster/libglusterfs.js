'use strict';
// Reference DHT hashes from the real libglusterfs: compiles a tiny C program against Debian's
// libglusterfs.so.0 (which exports gf_dm_hashfn but ships no header or .so link) and feeds it
// length-prefixed names on stdin.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const LIBRARY = '/usr/lib/x86_64-linux-gnu/libglusterfs.so.0';

const SOURCE = `
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
uint32_t gf_dm_hashfn(const char *msg, int len);
int main(void) {
  uint32_t len;
  static char buf[1 << 20];
  while (fread(&len, 4, 1, stdin) == 1) {
    if (len > sizeof buf || fread(buf, 1, len, stdin) != len) return 2;
    uint32_t h = gf_dm_hashfn(buf, (int)len);
    fwrite(&h, 4, 1, stdout);
  }
  return 0;
}
`;

function available() {
  return fs.existsSync(LIBRARY);
}

/** Builds the helper in a temp dir; returns a function hashing an array of Buffers. */
function buildReference() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-gluster-ref-'));
  const source = path.join(dir, 'ref.c');
  const binary = path.join(dir, 'ref');
  fs.writeFileSync(source, SOURCE);
  execFileSync('gcc', ['-O1', '-o', binary, source, LIBRARY], { stdio: 'pipe' });
  const hash = (names) => {
    const chunks = [];
    for (const name of names) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(name.length);
      chunks.push(length, name);
    }
    const out = execFileSync(binary, [], { input: Buffer.concat(chunks), maxBuffer: 64 * 1024 * 1024 });
    if (out.length !== names.length * 4) throw new Error(`reference returned ${out.length} bytes for ${names.length} names`);
    return Array.from({ length: names.length }, (_, i) => out.readUInt32LE(i * 4));
  };
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  return { hash, cleanup };
}

module.exports = { LIBRARY, available, buildReference };
