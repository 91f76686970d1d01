/**
 * `hakit lb`: the L7 load balancer daemon. With --config it runs a HAProxy-like YAML/JSON file
 * (SIGHUP re-reads it without dropping connections); without, it runs the embedded default with
 * three demo backends on loopback and prints the URLs.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createLogger } from '../log';
import { HakitError } from '../errors';
import { HttpBalancer } from '../lb/http/balancer';
import { type DemoBackend, startDemoBackends, stopDemoBackends } from '../lb/http/demo';
import { loadConfigFile, parseConfigText } from '../lb/config/load';
import { defaultConfigText } from '../lb/config/default';
import type { LbConfig } from '../lb/config/types';
import { StatsServer } from '../lb/stats/server';
import { formatOptions, parseArgs, type OptionSpec } from './args';
import { type Command, untilStopped } from './command';

const specs: OptionSpec[] = [
  { name: 'config', aliases: ['-f'], type: 'string', valueName: 'FILE', description: 'configuration file (YAML or JSON); default: the embedded demo' },
  { name: 'check', aliases: ['-c'], type: 'boolean', description: 'validate the configuration and exit (like haproxy -c)' },
  { name: 'port', type: 'int', valueName: 'N', description: 'embedded default: frontend port (default 8080; 0 = any free port)' },
  { name: 'stats-port', type: 'int', valueName: 'N', description: 'embedded default: stats page port (default 8404; 0 = any free port)' },
  { name: 'print-default', type: 'boolean', description: 'print the embedded default configuration and exit' },
  { name: 'quiet', aliases: ['-q'], type: 'boolean', description: 'no access log on stdout' },
];

const command: Command = {
  summary: 'run the L7 HTTP load balancer (HAProxy model; no config = embedded demo)',
  help: `usage: hakit lb [--config FILE] [options]\n\n${formatOptions(specs)}\n\nSignals: SIGHUP reloads the configuration file; SIGINT/SIGTERM stop.\n`,
  async run(argv, io) {
    const { options } = parseArgs(argv, specs, false);
    const file = options.config as string | undefined;
    const port = (options.port as number | undefined) ?? 8080;
    const statsPort = (options['stats-port'] as number | undefined) ?? 8404;
    const password = randomBytes(6).toString('hex');
    const demoNames = ['demo1', 'demo2', 'demo3'];
    if (options['print-default']) {
      io.stdout(defaultConfigText({ port, statsPort, servers: demoNames.map((name, i) => ({ name, port: 9001 + i })), adminPassword: 'CHANGE-ME' }));
      return 0;
    }
    if (file && options.check) {
      loadConfigFile(file);
      io.stdout(`Configuration file is valid: ${file}\n`);
      return 0;
    }
    const logger = createLogger({ write: io.stderr, fields: { component: 'lb' } });
    let demo: DemoBackend[] = [];
    let config: LbConfig;
    const load = (): LbConfig => {
      if (file) return loadConfigFile(file);
      return parseConfigText(defaultConfigText({ port, statsPort, servers: demo.map((d) => ({ name: d.name, port: d.port })), adminPassword: password }), '(embedded default)');
    };
    if (!file) demo = await startDemoBackends(demoNames);
    let balancer: HttpBalancer | undefined;
    let stats: StatsServer | undefined;
    let logStream: WriteStream | undefined;
    try {
      config = load();
      if (options.check) {
        io.stdout('Configuration is valid: (embedded default)\n');
        return 0;
      }
      const target = options.quiet ? 'off' : config.global.accessLog;
      const writeLog =
        target === 'off' ? undefined
        : target === 'stdout' ? (line: string) => io.stdout(line)
        : target === 'stderr' ? (line: string) => io.stderr(line)
        : ((logStream = createWriteStream(target, { flags: 'a' })), (line: string) => void logStream!.write(line));
      balancer = new HttpBalancer(config, { logger, accessLog: writeLog ? (entry) => writeLog(JSON.stringify(entry) + '\n') : undefined });
      await balancer.start();
      if (config.global.stats) {
        const s = config.global.stats;
        stats = new StatsServer(balancer, { address: s.bind.address, port: s.bind.port, refreshSecs: s.refresh, admin: s.admin });
        const where = await stats.listen();
        io.stdout(`hakit lb: stats page   http://${hostFor(where.address)}:${where.port}/   (metrics: /metrics, JSON: /stats.json)\n`);
        if (s.admin) io.stdout(`hakit lb: stats admin  user ${s.admin.user}, password ${s.admin.password}\n`);
      }
      for (const a of balancer.addresses()) io.stdout(`hakit lb: frontend ${a.frontend} ${a.ssl ? 'https' : 'http'}://${hostFor(a.address)}:${a.port}/\n`);
      for (const d of demo) io.stdout(`hakit lb: demo backend ${d.name} 127.0.0.1:${d.port} pid ${d.pid} (stop it: kill ${d.pid})\n`);
      io.stdout(`hakit lb: ready (pid ${process.pid}; SIGHUP reloads${file ? ` ${file}` : ''})\n`);
    } catch (error) {
      stopDemoBackends(demo);
      await balancer?.close();
      await stats?.close();
      throw error;
    }
    const onHup = () => {
      void (async () => {
        try {
          const next = load();
          await balancer!.reload(next);
          io.stdout(`hakit lb: reloaded${file ? ` ${file}` : ''}\n`);
        } catch (error) {
          // A bad file keeps the running configuration, as HAProxy's reload does.
          io.stderr(`hakit lb: reload failed, keeping the running configuration: ${(error as Error).message}${error instanceof HakitError ? ` [${error.code}]` : ''}\n`);
        }
      })();
    };
    process.on('SIGHUP', onHup);
    await untilStopped(io.signal);
    process.off('SIGHUP', onHup);
    io.stdout('hakit lb: stopping\n');
    await Promise.all([balancer.close(), stats?.close()]);
    logStream?.end();
    stopDemoBackends(demo);
    return 0;
  },
};

function hostFor(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

export default command;
