/**
 * `hakit vrrp`: VRRP from a keepalived.conf.
 *   hakit vrrp --config FILE [--control SOCK]   run (SIGHUP reloads, SIGTERM stops gracefully)
 *   hakit vrrp check --config FILE              validate like `keepalived -t`
 *   hakit vrrp status [--control SOCK]          each instance's state, master, priority, counters (JSON)
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HakitError } from '../errors';
import { createLogger, type LogLevel } from '../log';
import { loadConfig, type VrrpConfig } from '../vrrp/config';
import { VrrpRouter } from '../vrrp/router';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args';
import { type CliIO, type Command, logLevelOf, logLevelSpec, untilStopped } from './command';

const DEFAULT_CONTROL = '/run/hakit/vrrp.sock';

const specs: OptionSpec[] = [
  { name: 'config', aliases: ['-f', '--use-file'], type: 'string', valueName: 'FILE', description: 'keepalived.conf to run (VRRP part)' },
  { name: 'control', type: 'string', valueName: 'SOCK', description: `control socket for 'status' (default ${DEFAULT_CONTROL})` },
  logLevelSpec,
];

const help = `usage: hakit vrrp --config FILE [--control SOCK] [--log-level LEVEL]
       hakit vrrp check --config FILE
       hakit vrrp status [--control SOCK]

Runs the vrrp_instance, vrrp_script and vrrp_sync_group parts of a keepalived.conf.
SIGHUP reloads the file (instances that did not change keep their state); SIGTERM sends
priority 0 from every master and removes the virtual addresses.

${formatOptions(specs)}
`;

function printDiagnostics(config: VrrpConfig, io: CliIO): void {
  for (const w of config.warnings) io.stderr(`hakit vrrp: warning: ${w.file}:${w.line}: ${w.message}\n`);
}

async function status(control: string, io: CliIO): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(control);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', (error) => reject(new HakitError('VRRP_NOT_RUNNING', `no hakit vrrp answers on ${control}: ${error.message}`, { control })));
  });
  io.stdout(JSON.stringify(JSON.parse(text), null, 2) + '\n');
  return 0;
}

async function serve(file: string, control: string, level: LogLevel, io: CliIO): Promise<number> {
  const log = createLogger({ level, write: (line) => io.stderr(line), fields: { component: 'vrrp' } });
  let config = loadConfig(file);
  printDiagnostics(config, io);
  const router = new VrrpRouter(config, { log });
  router.on('error', (error) => log.error('vrrp error', { error }));
  await router.start();
  fs.mkdirSync(path.dirname(control), { recursive: true });
  try { fs.unlinkSync(control); } catch { /* not there */ }
  const server = net.createServer((socket) => socket.end(JSON.stringify(router.status())));
  await new Promise<void>((resolve, reject) => server.listen(control, resolve).once('error', reject));
  log.info('hakit vrrp running', { config: file, control, instances: config.instances.map((i) => i.name) });
  const onHup = () => {
    try {
      const next = loadConfig(file);
      printDiagnostics(next, io);
      config = next;
      router.reload(next).then(() => log.info('configuration reloaded', { config: file }), (error) => log.error('reload failed', { error }));
    } catch (error) {
      log.error('reload refused: the configuration has errors; keeping the running one', { error });
    }
  };
  process.on('SIGHUP', onHup);
  await untilStopped(io.signal);
  process.off('SIGHUP', onHup);
  await router.stop();
  server.close();
  try { fs.unlinkSync(control); } catch { /* gone */ }
  log.info('hakit vrrp stopped');
  return 0;
}

const command: Command = {
  summary: 'VRRP virtual addresses from a keepalived.conf (run, check, status)',
  help,
  async run(argv, io) {
    const { options, positionals } = parseArgs(argv, specs);
    const sub = positionals[0] ?? 'run';
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const control = (options.control as string | undefined) ?? DEFAULT_CONTROL;
    const level = logLevelOf(options);
    if (sub === 'status') return status(control, io);
    const file = options.config as string | undefined;
    if (sub === 'check') {
      if (!file) throw new UsageError('check needs --config FILE');
      const config = loadConfig(path.resolve(io.cwd, file));
      printDiagnostics(config, io);
      io.stdout(`${file}: ${config.instances.length} instance(s), ${config.scripts.length} script(s), ${config.groups.length} sync group(s): OK\n`);
      return 0;
    }
    if (sub !== 'run') throw new UsageError(`unknown subcommand '${sub}' (run, check, status)`);
    if (!file) throw new UsageError('--config FILE is required');
    return serve(path.resolve(io.cwd, file), control, level, io);
  },
};
export default command;
