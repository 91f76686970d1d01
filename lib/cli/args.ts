/**
 * A small declarative option parser for hakit's subcommands. It knows the shapes the tools we
 * mirror use: `--flag`, `--opt value`, `--opt=value`, repeated options, and options that take
 * several values (crushtool's `--weight OSD W`). Bad usage throws UsageError (exit status 2).
 */
import { HakitError } from '../errors';

export class UsageError extends HakitError {
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'boolean' | 'string' | 'int' | 'number';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'num-rep'. */
  name: string;
  /** Other spellings, with their dashes: ['-i', '--infn']. */
  aliases?: string[];
  type: OptionType;
  /** Values taken per occurrence (default 1; booleans take none). */
  arity?: number;
  /** May be given more than once; the result is an array of occurrences. */
  multiple?: boolean;
  description: string;
  /** Shown in help, e.g. 'FILE'. */
  valueName?: string;
}

export type OptionValue = boolean | string | number | Array<string | number> | Array<Array<string | number>>;

export interface ParsedArgs {
  options: Record<string, OptionValue | undefined>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], allowPositionals = true): ParsedArgs {
  const byFlag = new Map<string, OptionSpec>();
  for (const spec of specs) {
    byFlag.set(`--${spec.name}`, spec);
    for (const alias of spec.aliases ?? []) byFlag.set(alias, spec);
  }
  const options: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (!allowPositionals) throw new UsageError(`unexpected argument '${arg}'`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byFlag.get(flag);
    if (!spec) throw new UsageError(`unknown option '${flag}'`);
    if (spec.type === 'boolean') {
      if (eq > 0) throw new UsageError(`option '${flag}' takes no value`);
      options[spec.name] = true;
      continue;
    }
    const arity = spec.arity ?? 1;
    const raw: string[] = [];
    if (eq > 0) raw.push(arg.slice(eq + 1));
    while (raw.length < arity) {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`option '${flag}' needs ${arity === 1 ? 'a value' : `${arity} values`}`);
      raw.push(next);
    }
    const values = raw.map((text) => convert(flag, spec.type, text));
    const occurrence: string | number | Array<string | number> = arity === 1 ? values[0]! : values;
    if (spec.multiple) {
      const list = (options[spec.name] as Array<typeof occurrence> | undefined) ?? [];
      list.push(occurrence);
      options[spec.name] = list as OptionValue;
    } else {
      options[spec.name] = occurrence as OptionValue;
    }
  }
  return { options, positionals };
}

function convert(flag: string, type: OptionType, text: string): string | number {
  if (type === 'string') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`option '${flag}' needs a number, got '${text}'`);
  if (type === 'int' && !Number.isInteger(value)) throw new UsageError(`option '${flag}' needs an integer, got '${text}'`);
  return value;
}

export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((spec) => {
    const names = [`--${spec.name}`, ...(spec.aliases ?? [])].join(', ');
    const value = spec.type === 'boolean' ? '' : ' ' + (spec.valueName ?? spec.type.toUpperCase());
    return [`${names}${value}`, spec.description] as const;
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}
