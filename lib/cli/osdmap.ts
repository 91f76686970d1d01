/**
 * `hakit osdmap`: osdmaptool's placement tests for one pool, without an osdmap file: the pool
 * and OSD states come from options (a replicated rjenkins hashpspool pool by default, as
 * `osdmaptool --createsimple --with-default-pool` makes it, all OSDs up and in).
 */
import fs from 'node:fs';
import path from 'node:path';
import { HakitError } from '../errors';
import * as crush from '../crush';
import { type OptionSpec, formatOptions, parseArgs, UsageError } from './args';
import type { Command } from './command';

const specs: OptionSpec[] = [
  { name: 'crush', aliases: ['--import-crush'], type: 'string', valueName: 'MAP', description: 'crush map (text or binary)' },
  { name: 'pool-id', aliases: ['--pool'], type: 'int', valueName: 'P', description: 'pool id (default 1)' },
  { name: 'pg-num', aliases: ['--pg_num'], type: 'int', valueName: 'N', description: 'pg_num (required)' },
  { name: 'pgp-num', type: 'int', valueName: 'M', description: 'pgp_num (default pg_num)' },
  { name: 'size', type: 'int', valueName: 'S', description: 'replicas (default 3)' },
  { name: 'rule', type: 'int', valueName: 'R', description: 'crush rule (default 0)' },
  { name: 'pool-type', type: 'string', valueName: 'T', description: 'replicated (default) or erasure' },
  { name: 'no-hashpspool', type: 'boolean', description: 'legacy placement seeds (ps + pool)' },
  { name: 'max-osd', type: 'int', valueName: 'N', description: 'number of OSD ids (default: the map devices)' },
  { name: 'out', aliases: ['--mark-out'], type: 'int', multiple: true, valueName: 'OSD', description: 'mark an OSD out (repeatable)' },
  { name: 'test-map-object', type: 'string', multiple: true, valueName: 'NAME', description: 'print where an object maps (repeatable)' },
  { name: 'test-map-pg', type: 'string', multiple: true, valueName: 'PGID', description: 'print raw/up/acting of a PG' },
  { name: 'test-map-pgs', type: 'boolean', description: 'per-OSD PG counts' },
  { name: 'test-map-pgs-dump', type: 'boolean', description: 'every PG, then the per-OSD counts' },
  { name: 'threads', type: 'int', valueName: 'N', description: 'map over N threads (default 1)' },
];

const command: Command = {
  summary: 'object -> PG -> OSD placement tests (osdmaptool-compatible)',
  help: `usage: hakit osdmap --crush MAP --pg-num N [--pgp-num M] [--pool-id P] [--size S] [--rule R] [--out OSD]...
                    --test-map-object NAME... | --test-map-pg PGID | --test-map-pgs | --test-map-pgs-dump

Prints what osdmaptool prints for the same pool.

${formatOptions(specs)}
`,
  async run(argv, io) {
    const { options } = parseArgs(argv, specs, false);
    const mapFile = options.crush as string | undefined;
    if (!mapFile) throw new UsageError('--crush MAP is required');
    const pgNum = options['pg-num'] as number | undefined;
    if (pgNum === undefined || pgNum < 1) throw new UsageError('--pg-num N (>= 1) is required');
    const pgpNum = (options['pgp-num'] as number | undefined) ?? pgNum;
    if (pgpNum < 1 || pgpNum > pgNum) throw new UsageError('--pgp-num must be in 1..pg-num');
    const size = (options.size as number | undefined) ?? 3;
    if (size < 1 || size > 1024) throw new UsageError('--size must be in 1..1024');
    const poolId = (options['pool-id'] as number | undefined) ?? 1;
    if (poolId < 0) throw new UsageError('--pool-id must not be negative');
    const type = (options['pool-type'] as string | undefined) ?? 'replicated';
    if (type !== 'replicated' && type !== 'erasure') throw new UsageError('--pool-type must be replicated or erasure');
    const objects = (options['test-map-object'] as string[] | undefined) ?? [];
    const pgs = (options['test-map-pg'] as string[] | undefined) ?? [];
    if (!objects.length && !pgs.length && !options['test-map-pgs'] && !options['test-map-pgs-dump']) throw new UsageError('no action: give --test-map-object, --test-map-pg, --test-map-pgs or --test-map-pgs-dump');
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.resolve(io.cwd, mapFile));
    } catch (cause) {
      throw new HakitError('CRUSH_IO', `error reading '${mapFile}': ${(cause as Error).message}`, { file: mapFile }, { cause });
    }
    const compiled = new crush.CompiledCrushMap(crush.parseMap(bytes, { file: mapFile }));
    try {
      const maxOsd = (options['max-osd'] as number | undefined) ?? compiled.map.maxDevices;
      const placement = new crush.PoolPlacement(
        compiled,
        { id: poolId, type, size, crushRule: (options.rule as number | undefined) ?? 0, pgNum, pgpNum, hashpspool: !options['no-hashpspool'] },
        { maxOsd, out: (options.out as number[] | undefined) ?? [] },
      );
      for (const name of objects) io.stdout(crush.testMapObject(placement, name));
      for (const text of pgs) {
        const m = /^(\d+)\.([0-9a-fA-F]+)$/.exec(text);
        if (!m || Number(m[1]) !== poolId) throw new UsageError(`failed to parse pg '${text}' (expected ${poolId}.HEX)`);
        io.stdout(crush.testMapPg(placement, parseInt(m[2]!, 16), text));
      }
      if (options['test-map-pgs'] || options['test-map-pgs-dump']) io.stdout(crush.testMapPgs(placement, { dump: !!options['test-map-pgs-dump'], threads: (options.threads as number | undefined) ?? 1 }));
    } finally {
      compiled.close();
    }
    return 0;
  },
};
export default command;
