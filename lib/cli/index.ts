/**
 * The `hakit` command. Each subcommand is a module loaded on demand, so `hakit crush` does not
 * pay for the load balancer. Exit status: 0 ok, 1 bad input or failure, 2 bad usage.
 */
import { HakitError } from '../errors';
import { UsageError } from './args';
import type { CliIO, Command } from './command';

type Loader = () => Promise<Command>;

// Add a capability's command here: name -> lazy module (require keeps it CommonJS and lazy).
const commands: Record<string, Loader> = {
  vrrp: async () => (require('./vrrp') as typeof import('./vrrp')).default,
  version: async () => (require('./version') as typeof import('./version')).default,
  pcs: async () => (require('./pcs') as typeof import('./pcs')).default,
  ocf: async () => (require('./ocf') as typeof import('./ocf')).default,
  drbd: async () => (require('./drbd') as typeof import('./drbd')).default,
  crush: async () => (require('./crush') as typeof import('./crush')).default,
  osdmap: async () => (require('./osdmap') as typeof import('./osdmap')).default,
  gluster: async () => (require('./gluster') as typeof import('./gluster')).default,
  ceph: async () => (require('./ceph') as typeof import('./ceph')).default,
  lb: async () => (require('./lb') as typeof import('./lb')).default,
  ipvsadm: async () => (require('./ipvsadm') as typeof import('./ipvsadm')).default,
  lvs: async () => (require('./lvs') as typeof import('./lvs')).default,
};

export function commandNames(): string[] {
  return Object.keys(commands).sort();
}

async function mainHelp(): Promise<string> {
  const lines = ['usage: hakit <command> [options]', '', 'commands:'];
  const names = commandNames();
  const width = Math.max(...names.map((name) => name.length));
  for (const name of names) lines.push(`  ${name.padEnd(width)}  ${(await commands[name]!()).summary}`);
  lines.push('', "Run 'hakit <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const help = await mainHelp();
    if (name === undefined) {
      io.stderr(help);
      return 2;
    }
    io.stdout(help);
    return 0;
  }
  const loader = commands[name];
  if (!loader) {
    io.stderr(`hakit: unknown command '${name}'\n${await mainHelp()}`);
    return 2;
  }
  const command = await loader();
  // ipvsadm's -h is its own help flag and is handled by that command.
  if (rest.includes('--help') || (rest.includes('-h') && name !== 'ipvsadm')) {
    io.stdout(command.help.endsWith('\n') ? command.help : command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return report(name, error, io);
  }
}

export function report(name: string, error: unknown, io: CliIO): number {
  if (error instanceof UsageError) {
    io.stderr(`hakit ${name}: ${error.message}\nRun 'hakit ${name} --help' for usage.\n`);
    return 2;
  }
  if (error instanceof HakitError) {
    io.stderr(`hakit ${name}: ${error.message} [${error.code}]\n`);
    return 1;
  }
  io.stderr(`hakit ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** Runs the CLI in this process with real stdio and signals. */
export async function runProcess(argv = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const io: CliIO = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    signal: controller.signal,
    env: process.env,
    cwd: process.cwd(),
  };
  const status = await main(argv, io);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.exitCode = status;
}
