/**
 * `hakit ceph map|keyring|pgcalc`:
 *   map     [-c CONF] [-k KEYRING] [-n NAME] POOL OBJECT... | --objects FILE
 *           placement computed locally from the live cluster's osd dump + crush map
 *           (one line per object, as `ceph osd map` prints it)
 *   keyring --gen-key -n ENTITY [--cap SERVICE CAP]...   a keyring like ceph-authtool writes
 *   pgcalc  FILE.json   pg_num per pool as the pg_autoscaler computes it (AutoscaleInput JSON)
 */
import fs from 'node:fs';
import * as ceph from '../ceph';
import { type OptionSpec, formatOptions, parseArgs, UsageError } from './args';
import type { Command } from './command';

const mapSpecs: OptionSpec[] = [
  { name: 'conf', aliases: ['-c'], type: 'string', valueName: 'CONF', description: 'ceph.conf of the cluster' },
  { name: 'keyring', aliases: ['-k'], type: 'string', valueName: 'FILE', description: 'keyring' },
  { name: 'name', aliases: ['-n'], type: 'string', valueName: 'ENTITY', description: 'entity to authenticate as' },
  { name: 'objects', type: 'string', valueName: 'FILE', description: 'object names, one per line' },
  { name: 'namespace', type: 'string', valueName: 'NS', description: 'object namespace' },
  { name: 'json', type: 'boolean', description: 'print JSON lines' },
];
const keyringSpecs: OptionSpec[] = [
  { name: 'gen-key', type: 'boolean', description: 'generate a new key' },
  { name: 'name', aliases: ['-n'], type: 'string', valueName: 'ENTITY', description: 'entity, e.g. client.app' },
  { name: 'cap', type: 'string', arity: 2, multiple: true, valueName: 'SERVICE CAP', description: "capability, e.g. --cap osd 'allow rw pool=data'" },
];

const help = `usage: hakit ceph map [-c CONF] [-k KEYRING] [-n ENTITY] [--namespace NS] [--json] POOL (OBJECT... | --objects FILE)
       hakit ceph keyring --gen-key -n ENTITY [--cap SERVICE CAP]...
       hakit ceph pgcalc FILE.json

map options:
${formatOptions(mapSpecs)}
keyring options:
${formatOptions(keyringSpecs)}
`;

const fmt = (osds: number[]) => `[${osds.join(',')}]`;

const command: Command = {
  summary: 'Ceph: local object placement for a live cluster, keyrings, PG count planning',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'map') {
      const { options, positionals } = parseArgs(rest, mapSpecs);
      const [pool, ...objects] = positionals;
      if (pool === undefined) throw new UsageError('map needs POOL');
      if (options.objects !== undefined) objects.push(...fs.readFileSync(String(options.objects), 'utf8').split('\n').filter(Boolean));
      if (objects.length === 0) throw new UsageError('map needs OBJECT names or --objects FILE');
      const client = new ceph.Ceph({
        ...(options.conf !== undefined ? { conf: String(options.conf) } : {}),
        ...(options.keyring !== undefined ? { keyring: String(options.keyring) } : {}),
        ...(options.name !== undefined ? { name: String(options.name) } : {}),
      });
      const [dump, map] = await Promise.all([client.osdDump(), client.getCrushMap()]);
      const placement = new ceph.ClusterPlacement(dump, map);
      try {
        const namespace = (options.namespace as string | undefined) ?? '';
        const batch = placement.objects(pool, objects, namespace);
        const view = batch.pool;
        let out = '';
        for (let i = 0; i < objects.length; i++) {
          const pg = batch.get(i);
          const raw = `${view.id}.${batch.hashes[i]!.toString(16)}`;
          const name = namespace ? `${namespace}/${objects[i]}` : objects[i];
          if (options.json) out += JSON.stringify({ epoch: placement.epoch, pool: view.name, pool_id: view.id, objname: name, raw_pgid: raw, pgid: pg.pgid, up: pg.up, up_primary: pg.upPrimary, acting: pg.acting, acting_primary: pg.actingPrimary }) + '\n';
          else out += `osdmap e${placement.epoch} pool '${view.name}' (${view.id}) object '${name}' -> pg ${raw} (${pg.pgid}) -> up (${fmt(pg.up)}, p${pg.upPrimary}) acting (${fmt(pg.acting)}, p${pg.actingPrimary})\n`;
          if (out.length > 1 << 20) {
            io.stdout(out);
            out = '';
          }
        }
        io.stdout(out);
      } finally {
        placement.close();
      }
      return 0;
    }
    if (sub === 'keyring') {
      const { options } = parseArgs(rest, keyringSpecs, false);
      if (!options['gen-key']) throw new UsageError('keyring needs --gen-key');
      if (options.name === undefined) throw new UsageError('keyring needs -n ENTITY');
      const caps: Record<string, string> = {};
      for (const pair of (options.cap as string[][] | undefined) ?? []) caps[String(pair[0])] = String(pair[1]);
      io.stdout(ceph.formatKeyring([ceph.newEntry(String(options.name), caps)]));
      return 0;
    }
    if (sub === 'pgcalc') {
      const { positionals } = parseArgs(rest, []);
      if (positionals.length !== 1) throw new UsageError('pgcalc needs one JSON file');
      let input: ceph.AutoscaleInput;
      try {
        input = JSON.parse(fs.readFileSync(positionals[0]!, 'utf8')) as ceph.AutoscaleInput;
      } catch (error) {
        throw new UsageError(`cannot read ${positionals[0]}: ${(error as Error).message}`);
      }
      const rows = ceph.planPgCounts(input);
      io.stdout('POOL\tPG_NUM\tNEW PG_NUM\tRATIO\tTARGET RATIO\tBULK\tADJUST\n');
      for (const r of rows) io.stdout(`${r.poolName}\t${r.pgNumTarget}\t${r.pgNumFinal}\t${r.capacityRatio.toFixed(4)}\t${r.effectiveTargetRatio.toFixed(4)}\t${r.bulk}\t${r.wouldAdjust}\n`);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'missing subcommand (map, keyring, pgcalc)' : `unknown subcommand '${sub}'`);
  },
};
export default command;
