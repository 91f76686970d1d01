/**
 * `hakit crush compile|decompile|test|compare`: crushtool's jobs with crushtool's output.
 *   compile   -i TEXT -o BIN           (crushtool -c TEXT -o BIN)
 *   decompile -i BIN [-o TEXT]         (crushtool -d BIN [-o TEXT])
 *   test      [-i MAP] --rule R ...    (crushtool -i MAP --test ...; without -i: the bundled example map)
 *   compare   -i MAP --compare OTHER   (crushtool -i MAP --compare OTHER), --movement adds data movement
 * MAP may be text or binary. Exit 2 on bad usage, 1 on a bad map.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HakitError } from '../errors';
import * as crush from '../crush';
import { exampleMapDescription, exampleMapText } from '../crush/example';
import { type OptionSpec, formatOptions, parseArgs, UsageError } from './args';
import type { CliIO, Command } from './command';

const mapOpt: OptionSpec = { name: 'infn', aliases: ['-i'], type: 'string', valueName: 'MAP', description: 'input map (text or binary)' };
const outOpt: OptionSpec = { name: 'outfn', aliases: ['-o'], type: 'string', valueName: 'FILE', description: 'output file' };

/** crushtool's tunables-adjustment stage, on compile, decompile and test. */
const tunableSpecs: OptionSpec[] = crush.tunableOptions.map(({ option, max }) => ({
  name: option,
  type: 'int',
  valueName: 'N',
  description: `set ${option.slice(4).replace(/-/g, ' ')} (0..${max}; negative: unchanged)`,
}));

/** Applies the --set-* options to the map; returns whether any was given. */
function adjustTunables(map: crush.CrushMap, options: Record<string, unknown>): boolean {
  const overrides: crush.TunableOverrides = {};
  for (const { option, tunable } of crush.tunableOptions) {
    if (options[option] !== undefined) overrides[tunable] = options[option] as number;
  }
  try {
    return crush.overrideTunables(map, overrides);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const modifiedMessage = "crushtool successfully built or modified map.  Use '-o <file>' to write it out.\n";

const testSpecs: OptionSpec[] = [
  mapOpt,
  { name: 'rule', aliases: ['-r'], type: 'int', valueName: 'R', description: 'rule id to test (default: every rule)' },
  { name: 'num-rep', type: 'int', valueName: 'N', description: 'result size (default: each of the rule min_size..max_size)' },
  { name: 'min-x', type: 'int', valueName: 'A', description: 'first x (default 0)' },
  { name: 'max-x', type: 'int', valueName: 'B', description: 'last x (default 1023)' },
  { name: 'x', type: 'int', valueName: 'X', description: 'test a single x' },
  { name: 'weight', type: 'string', arity: 2, multiple: true, valueName: 'OSD W', description: 'reweight a device (0..1)' },
  { name: 'pool-id', type: 'int', valueName: 'P', description: 'hash x with the pool id first' },
  { name: 'show-mappings', type: 'boolean', description: 'print every mapping' },
  { name: 'show-statistics', type: 'boolean', description: 'print result size statistics' },
  { name: 'show-utilization', type: 'boolean', description: 'print per-device use (implies --show-statistics)' },
  { name: 'show-utilization-all', type: 'boolean', description: 'same, including devices with nothing stored' },
  { name: 'show-bad-mappings', type: 'boolean', description: 'print results shorter than N or with holes' },
  { name: 'show-choose-tries', type: 'boolean', description: 'print the histogram of retries per choice' },
  { name: 'output-csv', type: 'boolean', description: "write CrushTester's CSV data files per rule (crushtool --help-output)" },
  { name: 'output-name', type: 'string', valueName: 'NAME', description: 'prefix the CSV files with NAME-' },
  { name: 'batches', type: 'int', valueName: 'N', description: 'split x into N rounds for the batch CSV files (default 1)' },
  { name: 'threads', type: 'int', valueName: 'N', description: 'map over N threads (default 1)' },
];
const testOnlySpecs: OptionSpec[] = [...testSpecs, ...tunableSpecs, { ...outOpt, description: 'write the map if a --set-* option changed it' }];

const help = `usage: hakit crush compile -i TEXT -o BIN [--set-... N]
       hakit crush decompile -i BIN [-o TEXT] [--set-... N]
       hakit crush test [-i MAP] [--set-... N] [-o BIN] [--rule R] [--num-rep N] [--min-x A --max-x B] [--weight OSD W]...
                        [--pool-id P] --show-mappings|--show-statistics|--show-utilization|--show-bad-mappings
       hakit crush compare -i MAP --compare OTHER [test options] [--movement]

Output is what crushtool prints for the same job. MAP may be crushtool text or a binary map
(crushtool -c, ceph osd getcrushmap). Without -i, 'test' uses the bundled example map.

test options:
${formatOptions(testSpecs)}
tunables (compile, decompile, test; crushtool's --set-* options):
${formatOptions(tunableSpecs)}
`;

function readFile(io: CliIO, file: string): Buffer {
  try {
    return fs.readFileSync(path.resolve(io.cwd, file));
  } catch (cause) {
    throw new HakitError('CRUSH_IO', `error reading '${file}': ${(cause as Error).message}`, { file }, { cause });
  }
}

function writeFile(io: CliIO, file: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(path.resolve(io.cwd, file), data);
  } catch (cause) {
    throw new HakitError('CRUSH_IO', `error writing '${file}': ${(cause as Error).message}`, { file }, { cause });
  }
}

function loadMap(io: CliIO, file: string): crush.CompiledCrushMap {
  return new crush.CompiledCrushMap(crush.parseMap(readFile(io, file), { file }));
}

function inputOf(options: Record<string, unknown>, positionals: string[], what: string): string {
  const input = (options.infn as string | undefined) ?? positionals[0];
  if (!input || positionals.length > (options.infn ? 0 : 1)) throw new UsageError(what);
  return input;
}

function testOptions(options: Record<string, unknown>): crush.TestOptions {
  const weights = ((options.weight as Array<[string, string]> | undefined) ?? []).map(([osd, w]) => {
    const id = Number(osd);
    const f = Number(w);
    if (!Number.isInteger(id) || !Number.isFinite(f)) throw new UsageError(`--weight needs OSD (an integer) and W (a number), got '${osd} ${w}'`);
    return [id, f] as [number, number];
  });
  let minX = options['min-x'] as number | undefined;
  let maxX = options['max-x'] as number | undefined;
  if (options.x !== undefined) minX = maxX = options.x as number;
  const numRep = options['num-rep'] as number | undefined;
  if (numRep !== undefined && (numRep < 0 || numRep > 1024)) throw new UsageError('--num-rep must be in 0..1024');
  const threads = (options.threads as number | undefined) ?? 1;
  const batches = (options.batches as number | undefined) ?? 1;
  if (batches < 1 || batches > 1 << 20) throw new UsageError('--batches must be in 1..1048576');
  if (threads < 1 || threads > 64) throw new UsageError('--threads must be in 1..64');
  return {
    rule: options.rule as number | undefined,
    numRep,
    minX,
    maxX,
    weights,
    poolId: options['pool-id'] as number | undefined,
    showMappings: !!options['show-mappings'],
    showStatistics: !!options['show-statistics'],
    showUtilization: !!options['show-utilization'],
    showUtilizationAll: !!options['show-utilization-all'],
    showBadMappings: !!options['show-bad-mappings'],
    showChooseTries: !!options['show-choose-tries'],
    batches,
    threads,
  };
}

async function runCompile(argv: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(argv, [mapOpt, outOpt, ...tunableSpecs]);
  const input = inputOf(options, positionals, 'compile needs one input: -i TEXT');
  const map = crush.compileText(readFile(io, input).toString('utf8'), { file: input });
  adjustTunables(map, options);
  const bytes = crush.encodeMap(map);
  if (options.outfn) writeFile(io, options.outfn as string, bytes);
  else io.stdout(modifiedMessage);
  return 0;
}

async function runDecompile(argv: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(argv, [mapOpt, outOpt, ...tunableSpecs]);
  const input = inputOf(options, positionals, 'decompile needs one input: -i BIN');
  const map = crush.parseMap(readFile(io, input), { file: input });
  const modified = adjustTunables(map, options);
  const text = crush.decompileMap(map);
  // crushtool's output stage runs after decompiling: with a --set-* and -o, the modified binary
  // map replaces the text in that file; without -o the text is followed by the hint.
  if (modified && options.outfn) writeFile(io, options.outfn as string, crush.encodeMap(map));
  else if (options.outfn) writeFile(io, options.outfn as string, text);
  else io.stdout(modified ? text + modifiedMessage : text);
  return 0;
}

async function runTestCommand(argv: string[], io: CliIO): Promise<number> {
  const { options } = parseArgs(argv, testOnlySpecs, false);
  const opts = testOptions(options);
  if (options['output-csv']) {
    const name = options['output-name'] as string | undefined;
    opts.csv = { prefix: name ? `${name}-` : '', write: (file, text) => writeFile(io, file, text) };
  }
  const anyShow = opts.showMappings || opts.showStatistics || opts.showUtilization || opts.showUtilizationAll || opts.showBadMappings || opts.showChooseTries || !!opts.csv;
  let map: crush.CrushMap;
  if (options.infn) {
    map = crush.parseMap(readFile(io, options.infn as string), { file: options.infn as string });
  } else {
    io.stderr(`hakit crush test: no -i given; using the ${exampleMapDescription}${anyShow ? '' : ', with --show-statistics'}\n`);
    map = crush.parseMap(exampleMapText);
    if (!anyShow) opts.showStatistics = true;
  }
  // crushtool's stages: input, tunables, test, output.
  const modified = adjustTunables(map, options);
  const compiled = new crush.CompiledCrushMap(map);
  try {
    if (opts.rule !== undefined && opts.rule < 0) throw new UsageError('--rule must not be negative');
    if (!anyShow && options.infn) io.stderr('WARNING: no output selected; use --output-csv or --show-X\n');
    const chunks: string[] = [];
    let size = 0;
    crush.runTest(compiled, opts, (text) => {
      chunks.push(text);
      size += text.length;
      if (size > 1 << 20) {
        io.stdout(chunks.join(''));
        chunks.length = 0;
        size = 0;
      }
    }, io.stderr);
    if (chunks.length) io.stdout(chunks.join(''));
  } finally {
    compiled.close();
  }
  // As crushtool: the map is written (or the hint printed) only when a --set-* changed it.
  if (modified && options.outfn) writeFile(io, options.outfn as string, crush.encodeMap(map));
  else if (modified) io.stdout(modifiedMessage);
  return 0;
}

async function runCompare(argv: string[], io: CliIO): Promise<number> {
  const specs = [...testSpecs, { name: 'compare', type: 'string', valueName: 'OTHER', description: 'the map to compare with' } as OptionSpec, { name: 'movement', type: 'boolean', description: 'also report data movement per rule' } as OptionSpec];
  const { options, positionals } = parseArgs(argv, specs);
  const first = (options.infn as string | undefined) ?? positionals.shift();
  const second = (options.compare as string | undefined) ?? positionals.shift();
  if (!first || !second || positionals.length) throw new UsageError('compare needs two maps: -i MAP --compare OTHER');
  const opts = testOptions(options);
  const a = loadMap(io, first);
  const b = loadMap(io, second);
  try {
    const ranged = opts.minX !== undefined && opts.maxX !== undefined && opts.minX >= 0 && opts.maxX >= 0;
    const minX = ranged ? opts.minX! : 0;
    const maxX = ranged ? opts.maxX! : 1023;
    const weights = Uint32Array.from(a.defaultWeights());
    for (const [osd, w] of opts.weights ?? []) if (osd >= 0 && osd < weights.length) weights[osd] = crush.reweightFixed(w);
    const rules = opts.rule === undefined ? a.map.rules.map((_, i) => i) : [opts.rule];
    let bad = 0;
    for (const r of rules) {
      const rule = a.map.rules[r];
      if (!rule) continue;
      const minr = opts.numRep ?? rule.minSize;
      const maxr = opts.numRep ?? rule.maxSize;
      let mismatched = 0;
      let moved = 0;
      let replicas = 0;
      for (let nr = minr; nr <= maxr; nr++) {
        if (nr <= 0) continue;
        const m = crush.compareMaps(a, b, { rule: r, numrep: nr, minX, maxX, weights, threads: opts.threads });
        mismatched += m.changed;
        moved += m.movedReplicas;
        replicas += m.replicas;
      }
      const total = Math.max(0, maxr - minr + 1) * (maxX - minX + 1);
      if (mismatched) bad++;
      io.stdout(`rule ${r} had ${mismatched}/${total} mismatched mappings (${crush.formatG(total ? mismatched / total : NaN)})\n`);
      if (options.movement) io.stdout(`rule ${r} moves ${moved}/${replicas} replicas (${crush.formatG(replicas ? moved / replicas : 0)} of the data)\n`);
    }
    if (bad) {
      io.stderr('warning: maps are NOT equivalent\n');
      return 1;
    }
    io.stdout('maps appear equivalent\n');
    return 0;
  } finally {
    a.close();
    b.close();
  }
}

const subcommands: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  compile: runCompile,
  decompile: runDecompile,
  test: runTestCommand,
  compare: runCompare,
};

const command: Command = {
  summary: 'compile, decompile, test and compare CRUSH maps (crushtool-compatible)',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const fn = sub === undefined ? undefined : subcommands[sub];
    if (!fn) throw new UsageError(sub === undefined ? 'missing subcommand: compile, decompile, test or compare' : `unknown subcommand '${sub}'`);
    return fn(rest, io);
  },
};
export default command;
