/**
 * `hakit lvs`: the LVS part of a keepalived.conf (virtual_server blocks) on the kernel's IPVS.
 *   hakit lvs --config FILE     run: program the services, health-check the real servers
 *                               (SIGHUP reloads, SIGTERM removes the services, as keepalived does)
 *   hakit lvs check --config FILE [--json]   validate; --json prints the services it would start with
 */
import path from 'node:path';
import { createLogger, type Logger, type LogLevel } from '../log';
import { Ipvs } from '../ipvs/client';
import { type LvsConfig, loadLvsConfig } from '../ipvs/keepalived';
import { VirtualServer } from '../ipvs/virtual-server';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args';
import { type CliIO, type Command, logLevelOf, logLevelSpec, untilStopped } from './command';

const specs: OptionSpec[] = [
  { name: 'config', aliases: ['-f', '--use-file'], type: 'string', valueName: 'FILE', description: 'keepalived.conf to run (virtual_server part)' },
  { name: 'json', type: 'boolean', description: 'check: print the services and real servers as JSON' },
  logLevelSpec,
];

const help = `usage: hakit lvs --config FILE [--log-level LEVEL]
       hakit lvs check --config FILE [--json]

Runs the virtual_server blocks of a keepalived.conf on the kernel's IPVS: every real server
starts up (keepalived without alpha), TCP_CHECK / HTTP_GET / SSL_GET checks run every
delay_loop, a server is down after retry + 1 failed checks (removed, or weight 0 with
inhibit_on_failure), and the sorry server takes over below the quorum. The VRRP part of the
same file is run by 'hakit vrrp'.

${formatOptions(specs)}
`;

function printDiagnostics(config: LvsConfig, io: CliIO): void {
  for (const w of config.warnings) io.stderr(`hakit lvs: warning: ${w.file}:${w.line}: ${w.message}\n`);
}

/** The running virtual servers of one configuration. */
class Lvs {
  private servers: VirtualServer[] = [];
  constructor(
    private readonly ipvs: Ipvs,
    private readonly log: Logger,
  ) {}

  async start(config: LvsConfig): Promise<void> {
    this.servers = config.virtualServers.map(({ file: _file, line: _line, ...options }) => {
      const vs = new VirtualServer({ ...options, ipvs: this.ipvs, logger: this.log });
      vs.on('error', (error) => this.log.error('virtual server error', { error }));
      return vs;
    });
    // The first round programs every service before checks have had a say (all servers up).
    for (const vs of this.servers) await vs.round();
    for (const vs of this.servers) vs.start();
  }

  /** Stops checking; with remove, deletes the services this configuration made. */
  async stop(remove: boolean): Promise<void> {
    await Promise.all(this.servers.map((vs) => vs.stop()));
    if (remove) for (const vs of this.servers) await this.ipvs.deleteService(vs.desired()).catch((error: unknown) => this.log.warn('service already gone', { error }));
    this.servers = [];
  }

  services(): string[] {
    return this.servers.map((vs) => JSON.stringify(vs.desired()));
  }
}

async function serve(file: string, level: LogLevel, io: CliIO): Promise<number> {
  const log = createLogger({ level, write: (line) => io.stderr(line), fields: { component: 'lvs' } });
  let config = loadLvsConfig(file);
  printDiagnostics(config, io);
  const ipvs = await Ipvs.open();
  const lvs = new Lvs(ipvs, log);
  await lvs.start(config);
  log.info('hakit lvs running', { config: file, virtualServers: config.virtualServers.length });
  let reloading = Promise.resolve();
  const onHup = () => {
    reloading = reloading.then(async () => {
      try {
        const next = loadLvsConfig(file);
        printDiagnostics(next, io);
        const before = new Set(lvs.services());
        await lvs.stop(false);
        config = next;
        await lvs.start(config);
        // Services of the old file that the new one no longer has are removed.
        const keep = new Set(lvs.services().map((s) => keyOf(JSON.parse(s))));
        for (const old of before) {
          const service = JSON.parse(old);
          if (!keep.has(keyOf(service))) await ipvs.deleteService(service).catch(() => undefined);
        }
        log.info('configuration reloaded', { config: file });
      } catch (error) {
        log.error('reload refused: the configuration has errors; keeping the running one', { error });
      }
    });
  };
  process.on('SIGHUP', onHup);
  await untilStopped(io.signal);
  process.off('SIGHUP', onHup);
  await reloading;
  await lvs.stop(true);
  ipvs.close();
  log.info('hakit lvs stopped');
  return 0;
}

function keyOf(service: { fwmark?: number; protocol?: string; address?: string; port?: number }): string {
  return service.fwmark !== undefined ? `fwmark ${service.fwmark}` : `${service.protocol} ${service.address} ${service.port}`;
}

const command: Command = {
  summary: 'IPVS virtual servers from a keepalived.conf (run, check)',
  help,
  async run(argv, io) {
    const { options, positionals } = parseArgs(argv, specs);
    const sub = positionals[0] ?? 'run';
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const level = logLevelOf(options);
    const file = options.config as string | undefined;
    if (!file) throw new UsageError('--config FILE is required');
    if (sub === 'check') {
      const config = loadLvsConfig(path.resolve(io.cwd, file));
      printDiagnostics(config, io);
      if (options.json) io.stdout(JSON.stringify(config.virtualServers.map(({ file: _f, line: _l, ...vs }) => vs), null, 2) + '\n');
      else io.stdout(`${file}: ${config.virtualServers.length} virtual server(s), ${config.virtualServers.reduce((n, v) => n + v.realServers.length, 0)} real server(s): OK\n`);
      return 0;
    }
    if (sub !== 'run') throw new UsageError(`unknown subcommand '${sub}' (run, check)`);
    return serve(path.resolve(io.cwd, file), level, io);
  },
};
export default command;
