/**
 * `hakit pcs`: pcs's words on a CIB file (-f, like `pcs -f`) or on the live cluster (a minimal
 * patch with an epoch check), plus verify, simulate, status, wait, cleanup and the exporter.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { HakitError } from '../errors';
import * as P from '../pacemaker';
import { UsageError, parseArgs } from './args';
import { type CliIO, type Command, untilStopped } from './command';

const help = `usage: hakit pcs [-f FILE] <pcs command words...>
       hakit pcs [-f FILE] verify
       hakit pcs [-f FILE] simulate [--node-up N]... [--node-down N]... [--op-fail RSC_OP_MS@NODE=RC]... [--json]
       hakit pcs status [--json]
       hakit pcs wait [--timeout SECONDS]
       hakit pcs cleanup [RESOURCE] [--node N]
       hakit pcs exporter [--port P] [--host H]

pcs words supported (as pcs 0.11 spells them):
  property set|unset, resource create|update|meta|delete|group add|clone|promotable|enable|
  disable|move|move-with-constraint|ban|clear|defaults update|op defaults update,
  stonith create|delete|level add, alert create|recipient add, constraint location|colocation|order (add, set, rule)|delete,
  node standby|unstandby|maintenance|unmaintenance

  -f FILE   work on a CIB file offline (like pcs -f); without it, on the live cluster
`;

async function onFile(file: string, words: string[], io: CliIO): Promise<number> {
  if (!existsSync(file)) throw new HakitError('PCMK_NO_FILE', `CIB file ${file} does not exist`, { file });
  const cib = P.Cib.parse(readFileSync(file, 'utf8'));
  cib.checkFeatureSet(await P.installedFeatureSet().catch(() => P.DEFAULT_FEATURE_SET));
  const result = await P.runPcs(cib, words, { metadata: P.metadataResolver() });
  cib.bumpEpoch();
  writeFileSync(file, cib.toXml());
  report(result, io);
  return 0;
}

function report(result: P.PcsResult, io: CliIO): void {
  if (result.created) io.stderr(`created ${result.created}\n`);
  for (const id of result.removed ?? []) io.stderr(`removed ${id}\n`);
}

async function loadCib(file: string | undefined, live: P.LiveCluster): Promise<P.Cib> {
  return file ? P.Cib.parse(readFileSync(file, 'utf8')) : live.readCib();
}

const command: Command = {
  summary: 'Pacemaker: pcs-equivalent operations on a CIB file or the live cluster, verify, simulate, status, exporter',
  help,
  async run(argv, io) {
    let file: string | undefined;
    let rest = [...argv];
    if (rest[0] === '-f') {
      file = rest[1];
      if (!file) throw new UsageError('-f needs a file');
      rest = rest.slice(2);
    }
    const [verb, ...args] = rest;
    if (!verb) throw new UsageError('missing command');
    const live = new P.LiveCluster();
    switch (verb) {
      case 'verify': {
        const r = await P.verify(await loadCib(file, live));
        for (const d of r.diagnostics) io.stdout(`${d.severity}: ${d.message}\n`);
        io.stdout(r.valid ? 'valid\n' : 'invalid\n');
        return r.valid ? 0 : 1;
      }
      case 'simulate': {
        const { options } = parseArgs(args, [
          { name: 'node-up', type: 'string', multiple: true, description: 'node comes up' },
          { name: 'node-down', type: 'string', multiple: true, description: 'node goes down' },
          { name: 'op-fail', type: 'string', multiple: true, description: 'inject an operation result' },
          { name: 'json', type: 'boolean', description: 'print as JSON' },
        ], false);
        const sim = await P.simulate(await loadCib(file, live), { nodesUp: options['node-up'] as string[] | undefined, nodesDown: options['node-down'] as string[] | undefined, opFail: options['op-fail'] as string[] | undefined });
        if (options.json) io.stdout(JSON.stringify({ ...sim, cib: undefined }, null, 2) + '\n');
        else {
          for (const [rsc, nodes] of Object.entries(sim.placement)) io.stdout(`${rsc}: ${nodes.length ? nodes.join(' ') : 'Stopped'}\n`);
          for (const a of sim.actions) io.stdout(`  ${a.action} ${a.resource}${a.node ? ` on ${a.node}` : ''}${a.reason ? ` (${a.reason})` : ''}\n`);
        }
        return 0;
      }
      case 'status': {
        const { options } = parseArgs(args, [{ name: 'json', type: 'boolean', description: 'print as JSON' }], false);
        const s = await live.status();
        if (options.json) io.stdout(JSON.stringify(s, null, 2) + '\n');
        else {
          io.stdout(`DC: ${s.dc ?? 'none'}  quorum: ${s.quorum ? 'yes' : 'no'}\n`);
          for (const n of s.nodes) io.stdout(`node ${n.name}: ${n.online ? 'online' : 'OFFLINE'}${n.standby ? ' standby' : ''}${n.maintenance ? ' maintenance' : ''}${n.unclean ? ' UNCLEAN' : ''}\n`);
          for (const r of s.resources) io.stdout(`  ${r.id} (${r.agent}): ${r.role}${r.nodes.length ? ' on ' + r.nodes.join(' ') : ''}${r.failed ? ' FAILED' : ''}\n`);
          for (const f of s.failures) io.stdout(`failed: ${f.resource} ${f.task} on ${f.node}: ${f.exitStatus} (${f.exitCode}) ${f.exitReason}\n`);
        }
        return 0;
      }
      case 'wait': {
        const { options } = parseArgs(args, [{ name: 'timeout', type: 'int', description: 'seconds' }], false);
        await live.waitForSettle(((options.timeout as number | undefined) ?? 60) * 1000);
        return 0;
      }
      case 'cleanup': {
        const { options, positionals } = parseArgs(args, [{ name: 'node', type: 'string', description: 'node' }]);
        await live.cleanup(positionals[0], options.node as string | undefined);
        return 0;
      }
      case 'exporter': {
        const { options } = parseArgs(args, [
          { name: 'port', type: 'int', description: 'port (default 9664)' },
          { name: 'host', type: 'string', description: 'address (default 127.0.0.1)' },
        ], false);
        const server = await P.serveMetrics(async () => ({ status: await live.status(), cib: (await live.readCib()).model() }), { port: (options.port as number | undefined) ?? 9664, host: options.host as string | undefined });
        io.stderr(`serving metrics on http://${(options.host as string | undefined) ?? '127.0.0.1'}:${server.port}/metrics\n`);
        await untilStopped(io.signal);
        server.close();
        return 0;
      }
      default: {
        if (file) return onFile(file, rest, io);
        const metadata = P.metadataResolver();
        const { result } = await live.apply((cib) => P.runPcs(cib, rest, { metadata }));
        report(result, io);
        return 0;
      }
    }
  },
};
export default command;
