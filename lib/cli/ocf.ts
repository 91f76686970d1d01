/**
 * `hakit ocf`: install hakit's own OCF agents, run any OCF or fence agent action the way
 * Pacemaker's executor does, print an agent's parsed meta-data.
 */
import { resolve } from 'path';
import * as P from '../pacemaker';
import { UsageError, parseArgs } from './args';
import type { Command } from './command';

const help = `usage: hakit ocf install [--ocf-root DIR] [--hakit CMD]
       hakit ocf run AGENT ACTION [name=value...] [--instance ID] [--timeout MS] [--ocf-root DIR]
       hakit ocf meta-data AGENT [--ocf-root DIR]

  AGENT is ocf:PROVIDER:TYPE or stonith:fence_NAME. install writes ocf:hakit:{service,lb,vrrp,volume}
  into OCF_ROOT/resource.d/hakit (default /usr/lib/ocf); --hakit is the command the agents run
  (default: this hakit). run exits with the agent's exit code and prints its OCF meaning.
`;

const command: Command = {
  summary: "OCF: install hakit's resource agents, run OCF/fence agent actions, show meta-data",
  help,
  async run(argv, io) {
    const [verb, ...rest] = argv;
    const { options, positionals } = parseArgs(rest, [
      { name: 'ocf-root', type: 'string', description: 'OCF root' },
      { name: 'hakit', type: 'string', description: 'hakit command for the agents' },
      { name: 'instance', type: 'string', description: 'OCF_RESOURCE_INSTANCE' },
      { name: 'timeout', type: 'int', description: 'action timeout in ms' },
      { name: 'json', type: 'boolean', description: 'print as JSON' },
    ]);
    const ocfRoot = options['ocf-root'] as string | undefined;
    switch (verb) {
      case 'install': {
        const hakit = (options.hakit as string | undefined) ?? `${process.execPath} ${resolve(__dirname, '..', '..', 'bin', 'hakit.js')}`;
        for (const file of P.installAgents({ ocfRoot, hakit })) io.stdout(`${file}\n`);
        return 0;
      }
      case 'meta-data':
      case 'run': {
        const agent = positionals[0];
        if (!agent) throw new UsageError('missing AGENT');
        const name = P.parseAgentName(agent);
        if (verb === 'meta-data') {
          const md = await P.localMetadata(name, { ocfRoot });
          if (!md) throw new P.CibError('PCMK_UNKNOWN_AGENT', `agent ${agent} is not installed`, { agent });
          io.stdout(JSON.stringify(md, null, 2) + '\n');
          return 0;
        }
        const action = positionals[1];
        if (!action) throw new UsageError('missing ACTION');
        const params: Record<string, string> = {};
        for (const kv of positionals.slice(2)) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new UsageError(`expected name=value, got '${kv}'`);
          params[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        if (name.standard === 'stonith') {
          const r = await P.runFenceAgent(name.agent, action as P.FenceAction, { args: params, timeoutMs: options.timeout as number | undefined });
          io.stdout(r.stdout);
          io.stderr(`${action}: exit ${r.exitCode}${r.powerState ? ` (power ${r.powerState})` : ''}${r.timedOut ? ' (timed out)' : ''}\n`);
          return r.exitCode ?? 1;
        }
        if (name.standard !== 'ocf') throw new UsageError('only ocf: and stonith: agents can be run');
        const r = await P.runOcfAction({ provider: name.provider!, agent: name.agent }, action, { ocfRoot, params, instance: options.instance as string | undefined, timeoutMs: options.timeout as number | undefined });
        io.stdout(r.stdout);
        if (options.json) io.stdout(JSON.stringify({ ...r, stdout: undefined }) + '\n');
        io.stderr(`${action}: ${r.status} (${r.exitCode ?? 'none'}): ${r.meaning}${P.exitReason(r) ? ` — ${P.exitReason(r)}` : ''}\n`);
        return r.exitCode ?? 1;
      }
      default:
        throw new UsageError(verb ? `unknown ocf command '${verb}'` : 'missing command (install, run, meta-data)');
    }
  },
};
export default command;
