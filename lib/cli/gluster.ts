/**
 * `hakit gluster hash|layout|locate|plan`: GlusterFS DHT placement without a mount.
 *   hash   [--raw] [--rsync-regex R] [--extra-regex R] NAME...     the DHT hash of each name
 *   layout --subvolumes A,B,C | --volume V --count N [--kind K] [--path DIR] [--chunks C,..]
 *                                                                 the layout DHT gives a new directory
 *   locate --xattr SUBVOL=0xHEX... NAME...                          which subvolume holds each name
 *   plan   --xattr SUBVOL=0xHEX... --add SUBVOL... | --remove SUBVOL... [--path DIR] NAME...
 *                                                                 what a rebalance moves
 * Exit 2 on bad usage, 1 on bad input.
 */
import * as gluster from '../gluster';
import { type OptionSpec, formatOptions, parseArgs, UsageError } from './args';
import type { Command } from './command';

const regexSpecs: OptionSpec[] = [
  { name: 'raw', type: 'boolean', description: 'hash names as given (no rsync/extra munging)' },
  { name: 'rsync-regex', type: 'string', valueName: 'ERE', description: "cluster.rsync-hash-regex (default ^\\.(.+)\\.[^.]+$; 'none' disables)" },
  { name: 'extra-regex', type: 'string', valueName: 'ERE', description: 'cluster.extra-hash-regex' },
];
const layoutSpecs: OptionSpec[] = [
  { name: 'subvolumes', type: 'string', valueName: 'A,B,..', description: 'DHT subvolume names' },
  { name: 'volume', type: 'string', valueName: 'V', description: 'volume name (with --count)' },
  { name: 'count', type: 'int', valueName: 'N', description: 'number of DHT subvolumes' },
  { name: 'kind', type: 'string', valueName: 'K', description: 'distribute (default), replicate or disperse' },
  { name: 'path', type: 'string', valueName: 'DIR', description: 'directory inside the volume (default /)' },
  { name: 'chunks', type: 'string', valueName: 'C,..', description: 'subvolume sizes in MiB (weighted rebalance)' },
  { name: 'json', type: 'boolean', description: 'print JSON' },
];
const xattrSpec: OptionSpec = { name: 'xattr', type: 'string', multiple: true, valueName: 'SUBVOL=0xHEX', description: "a subvolume's trusted.glusterfs.dht (getfattr -e hex)" };
const planSpecs: OptionSpec[] = [
  xattrSpec,
  { name: 'add', type: 'string', multiple: true, valueName: 'SUBVOL', description: 'subvolume being added' },
  { name: 'remove', type: 'string', multiple: true, valueName: 'SUBVOL', description: 'subvolume being removed' },
  { name: 'path', type: 'string', valueName: 'DIR', description: 'directory inside the volume (default /)' },
  ...regexSpecs,
  { name: 'json', type: 'boolean', description: 'print JSON' },
];

const help = `usage: hakit gluster hash [--raw] [--rsync-regex ERE] [--extra-regex ERE] NAME...
       hakit gluster layout (--subvolumes A,B,.. | --volume V --count N [--kind K]) [--path DIR] [--chunks C,..] [--json]
       hakit gluster locate --xattr SUBVOL=0xHEX... [regex options] NAME...
       hakit gluster plan --xattr SUBVOL=0xHEX... (--add SUBVOL... | --remove SUBVOL...) [--path DIR] NAME...

hash options:
${formatOptions(regexSpecs)}
layout options:
${formatOptions(layoutSpecs)}
locate/plan options:
${formatOptions(planSpecs)}
`;

function hashOptions(options: Record<string, unknown>): gluster.HashOptions {
  return {
    raw: options.raw === true,
    ...(options['rsync-regex'] !== undefined ? { rsyncHashRegex: options['rsync-regex'] as string } : {}),
    ...(options['extra-regex'] !== undefined ? { extraHashRegex: options['extra-regex'] as string } : {}),
  };
}

function layoutFromXattrs(values: unknown): gluster.Layout {
  const list = (values as string[] | undefined) ?? [];
  if (list.length === 0) throw new UsageError('give each subvolume with --xattr SUBVOL=0xHEX');
  return {
    entries: list.map((spec) => {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new UsageError(`--xattr needs SUBVOL=0xHEX, got '${spec}'`);
      return { subvolume: spec.slice(0, eq), ...gluster.decodeLayoutXattr(spec.slice(eq + 1)) };
    }),
  };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

const command: Command = {
  summary: 'GlusterFS DHT: name hashes, directory layouts, brick of a name, rebalance plans',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'hash') {
      const { options, positionals } = parseArgs(rest, regexSpecs);
      if (positionals.length === 0) throw new UsageError('hash needs at least one NAME');
      const hashes = gluster.hashNames(positionals, hashOptions(options));
      positionals.forEach((name, i) => io.stdout(`${hex(hashes[i]!)}  ${name}\n`));
      return 0;
    }
    if (sub === 'layout') {
      const { options, positionals } = parseArgs(rest, layoutSpecs, false);
      void positionals;
      let names: string[];
      if (options.subvolumes !== undefined) names = String(options.subvolumes).split(',').filter(Boolean);
      else if (options.volume !== undefined && options.count !== undefined) {
        const kind = (options.kind as string | undefined) ?? 'distribute';
        if (!['distribute', 'replicate', 'disperse'].includes(kind)) throw new UsageError(`--kind must be distribute, replicate or disperse`);
        names = gluster.subvolumeNames(String(options.volume), kind as 'distribute', options.count as number);
      } else throw new UsageError('layout needs --subvolumes or --volume with --count');
      const chunks = options.chunks === undefined ? [] : String(options.chunks).split(',').map(Number);
      if (chunks.length > 0 && chunks.length !== names.length) throw new UsageError('--chunks needs one size per subvolume');
      const layout = gluster.newDirectoryLayout(
        (options.path as string | undefined) ?? '/',
        names.map((name, i) => (chunks.length ? { name, chunks: chunks[i] } : name)),
      );
      if (options.json) io.stdout(JSON.stringify(layout, null, 2) + '\n');
      else for (const e of layout.entries) io.stdout(`${e.subvolume}\t${hex(e.start)}-${hex(e.stop)}\t0x${gluster.encodeLayoutXattr(e).toString('hex')}\n`);
      return 0;
    }
    if (sub === 'locate') {
      const { options, positionals } = parseArgs(rest, [xattrSpec, ...regexSpecs]);
      if (positionals.length === 0) throw new UsageError('locate needs at least one NAME');
      const where = gluster.locateMany(layoutFromXattrs(options.xattr), positionals, hashOptions(options));
      positionals.forEach((name, i) => io.stdout(`${where[i] ?? '(hole in the layout)'}\t${name}\n`));
      return 0;
    }
    if (sub === 'plan') {
      const { options, positionals } = parseArgs(rest, planSpecs);
      const before = layoutFromXattrs(options.xattr);
      const add = (options.add as string[] | undefined) ?? [];
      const remove = new Set((options.remove as string[] | undefined) ?? []);
      if (add.length === 0 && remove.size === 0) throw new UsageError('plan needs --add or --remove');
      const subvolumes = [...before.entries.map((e) => e.subvolume), ...add].map((name) => ({ name, decommissioned: remove.has(name) }));
      const after = gluster.fixLayout((options.path as string | undefined) ?? '/', before, subvolumes);
      const plan = gluster.planRebalance(positionals, before, after, hashOptions(options));
      if (options.json) io.stdout(JSON.stringify({ layout: after, ...plan }, null, 2) + '\n');
      else {
        for (const e of after.entries) io.stdout(`layout ${e.subvolume}\t${hex(e.start)}-${hex(e.stop)}\n`);
        for (const m of plan.moves) io.stdout(`move ${m.name}\t${m.from} -> ${m.to}\n`);
        io.stdout(`${plan.movedFiles} of ${plan.totalFiles} names move\n`);
      }
      return 0;
    }
    throw new UsageError(sub === undefined ? 'missing subcommand (hash, layout, locate, plan)' : `unknown subcommand '${sub}'`);
  },
};
export default command;
