'use strict';
// DHT name hashing: hakit (one native call per batch, from JS strings) against the anchor,
// libglusterfs's own gf_dm_hashfn called in a C loop over the same names already in memory.
// Usage: node bench/gluster/hash.js [COUNT]   (needs libglusterfs0 and gcc)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { gluster } = require('../..');

const count = Number(process.argv[2] || 1000000);
const names = Array.from({ length: count }, (_, i) => (i % 4 === 0 ? `.file-${i}.txt.${(i * 2654435761 >>> 0).toString(36)}` : `dir-entry-${i}-${'x'.repeat(i % 23)}.dat`));

const LIB = '/usr/lib/x86_64-linux-gnu/libglusterfs.so.0';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakit-bench-gluster-'));
fs.writeFileSync(
  path.join(dir, 'anchor.c'),
  `#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
uint32_t gf_dm_hashfn(const char *msg, int len);
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb"); fseek(f, 0, SEEK_END); long size = ftell(f); rewind(f);
  char *buf = malloc(size + 1); if (fread(buf, 1, size, f) != (size_t)size) return 1; buf[size] = 0;
  size_t n = 0; for (long i = 0; i < size; i++) if (buf[i] == '\\n') { buf[i] = 0; n++; }
  char **names = malloc(n * sizeof *names); int *lens = malloc(n * sizeof *lens);
  char *p = buf; for (size_t i = 0; i < n; i++) { names[i] = p; lens[i] = strlen(p); p += lens[i] + 1; }
  struct timespec a, b; uint32_t x = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (size_t i = 0; i < n; i++) x ^= gf_dm_hashfn(names[i], lens[i]);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%f %u\\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, x);
  return 0;
}
`,
);
execFileSync('gcc', ['-O2', '-o', path.join(dir, 'anchor'), path.join(dir, 'anchor.c'), LIB]);
fs.writeFileSync(path.join(dir, 'names'), names.join('\n') + '\n');

const best = (runs, fn) => Math.min(...Array.from({ length: runs }, fn));
const anchor = best(5, () => Number(execFileSync(path.join(dir, 'anchor'), [path.join(dir, 'names')], { encoding: 'utf8' }).split(' ')[0]));
const hakitRaw = best(5, () => {
  const t = process.hrtime.bigint();
  gluster.hashNames(names, { raw: true });
  return Number(process.hrtime.bigint() - t) / 1e9;
});
const hakitMunged = best(5, () => {
  const t = process.hrtime.bigint();
  gluster.hashNames(names);
  return Number(process.hrtime.bigint() - t) / 1e9;
});
const layout = gluster.newDirectoryLayout('/', gluster.subvolumeNames('v', 'distribute', 12));
const hakitLocate = best(5, () => {
  const t = process.hrtime.bigint();
  gluster.locateMany(layout, names);
  return Number(process.hrtime.bigint() - t) / 1e9;
});
fs.rmSync(dir, { recursive: true, force: true });

const rate = (s) => `${(count / s / 1e6).toFixed(2)} M names/s`;
console.log(`names: ${count}`);
console.log(`anchor libglusterfs gf_dm_hashfn (C loop, names in memory): ${anchor.toFixed(3)} s  ${rate(anchor)}`);
console.log(`hakit hashNames raw (from JS strings, incl. packing):      ${hakitRaw.toFixed(3)} s  ${rate(hakitRaw)}  ratio ${(anchor / hakitRaw).toFixed(2)}`);
console.log(`hakit hashNames with the default rsync munging:            ${hakitMunged.toFixed(3)} s  ${rate(hakitMunged)}  ratio ${(anchor / hakitMunged).toFixed(2)}`);
console.log(`hakit locateMany on a 12-subvolume layout:                 ${hakitLocate.toFixed(3)} s  ${rate(hakitLocate)}  ratio ${(anchor / hakitLocate).toFixed(2)}`);
