/**
 * `hakit drbd`: drbdadm's verbs over hakit's replicated volumes, reading resources from
 * drbd.conf syntax. `up` runs the resource in the foreground (the process plays the part of
 * DRBD's kernel module); the other verbs talk to it over its control socket.
 */
import os from 'node:os';
import { HakitError } from '../errors';
import { createLogger } from '../log';
import { parseArgs, UsageError, formatOptions, type OptionSpec } from './args';
import type { Command } from './command';

const specs: OptionSpec[] = [
  { name: 'config', aliases: ['-c', '--config-file'], type: 'string', valueName: 'FILE', description: 'drbd.conf to read (default /etc/drbd.conf)' },
  { name: 'node', type: 'string', valueName: 'NAME', description: "this node's name in 'on NAME' (default: the host name)" },
  { name: 'state-dir', type: 'string', valueName: 'DIR', description: 'where control sockets live (default /run/hakit-drbd)' },
  { name: 'force', type: 'boolean', description: 'primary: promote an Inconsistent disk; create-md: overwrite' },
  { name: 'discard-my-data', type: 'boolean', description: 'connect: resolve a split brain by discarding this node’s data' },
  { name: 'nbd', type: 'string', valueName: 'HOST:PORT', description: 'up: also export the volume over NBD' },
  { name: 'json', type: 'boolean', description: 'status, dump: print JSON' },
];

const verbs = ['dump', 'create-md', 'up', 'down', 'primary', 'secondary', 'connect', 'disconnect', 'status', 'verify', 'invalidate', 'invalidate-remote', 'resize', 'resume-io'];

const help = `usage: hakit drbd [options] VERB [RESOURCE|all]

verbs (drbdadm's): ${verbs.join(', ')}
  up runs the resource in the foreground until 'down' or SIGTERM; the other verbs
  talk to it. create-md and resize work on a resource that is down.

options:
${formatOptions(specs)}
`;

const command: Command = {
  summary: 'DRBD-style replicated volumes with drbdadm verbs (drbd.conf syntax)',
  help,
  async run(argv, io) {
    const { options, positionals } = parseArgs(argv, specs);
    const [verb, resourceArg] = positionals;
    if (!verb) throw new UsageError('missing VERB');
    if (!verbs.includes(verb)) throw new UsageError(`unknown verb '${verb}' (one of ${verbs.join(', ')})`);
    if (positionals.length > 2) throw new UsageError(`unexpected argument '${positionals[2]}'`);
    const drbd = require('../drbd') as typeof import('../drbd');
    const daemon = require('../drbd/daemon') as typeof import('../drbd/daemon');
    const meta = require('../drbd/meta') as typeof import('../drbd/meta');
    const configFile = (options.config as string | undefined) ?? io.env.DRBD_CONFIG ?? '/etc/drbd.conf';
    const config = drbd.readConfig(configFile);
    const node = (options.node as string | undefined) ?? os.hostname();
    const stateDir = (options['state-dir'] as string | undefined) ?? io.env.HAKIT_DRBD_STATE_DIR ?? '/run/hakit-drbd';
    const resources = resourceArg === undefined || resourceArg === 'all' ? config.resources.map((r) => r.name) : [resourceArg];
    if (verb !== 'dump' && resourceArg === undefined) throw new UsageError(`${verb} needs a RESOURCE (or all)`);
    for (const name of resources) {
      if (!config.resources.some((r) => r.name === name)) throw new HakitError('DRBD_NO_RESOURCE', `'${name}' not defined in your config (${configFile})`, { resource: name });
    }
    switch (verb) {
      case 'dump': {
        const chosen = { ...config, resources: config.resources.filter((r) => resources.includes(r.name)) };
        if (options.json) {
          io.stdout(JSON.stringify({ global: chosen.global, common: chosen.common, resources: chosen.resources.map((r) => ({ name: r.name, hosts: r.hosts.map(({ at: _at, ...h }) => h), sections: r.sections, effective: drbd.effectiveSections(config, r) })) }, null, 2) + '\n');
        } else {
          io.stdout(drbd.dumpConfig(chosen));
        }
        return 0;
      }
      case 'create-md':
        for (const name of resources) {
          const vo = drbd.volumeOptions(config, name, node);
          if (!vo.disk) throw new HakitError('DRBD_DISKLESS', `${name} is diskless on ${node}`);
          const layout = await drbd.createMetadata(vo.disk, vo.metaDisk ?? 'internal', { force: options.force === true, alExtents: vo.diskOptions?.alExtents });
          io.stdout(`${name}: meta-data created on ${layout.metaPath} (${layout.internal ? 'internal' : 'external'}), data area ${layout.dataSize} bytes\n`);
        }
        return 0;
      case 'resize':
        for (const name of resources) {
          const vo = drbd.volumeOptions(config, name, node);
          if (!vo.disk) throw new HakitError('DRBD_DISKLESS', `${name} is diskless on ${node}`);
          const up = await daemon.control(stateDir, name, node, 'status').then(() => true, () => false);
          if (up) throw new HakitError('DRBD_RESIZE_ONLINE', `${name} is up: take it down on both nodes, grow both backing files, then resize`);
          const { before, after } = await meta.resizeMetadata(vo.disk, vo.metaDisk ?? 'internal');
          io.stdout(`${name}: ${before} -> ${after.dataSize} bytes${after.dataSize > before ? ' (the new area syncs on the next connect)' : ''}\n`);
        }
        return 0;
      case 'up': {
        if (resources.length !== 1) throw new UsageError('up takes one resource per process');
        const nbd = options.nbd as string | undefined;
        let nbdAddress: { host: string; port: number } | undefined;
        if (nbd !== undefined) {
          const m = /^(.*):(\d+)$/.exec(nbd);
          if (!m) throw new UsageError(`--nbd needs HOST:PORT, got '${nbd}'`);
          nbdAddress = { host: m[1] || '127.0.0.1', port: Number(m[2]) };
        }
        const logger = createLogger({ write: io.stderr, fields: { component: 'drbd' } });
        await daemon.runDaemon({ config, resource: resources[0]!, node, stateDir, logger, signal: io.signal, ...(nbdAddress ? { nbd: nbdAddress } : {}) });
        return 0;
      }
      default: {
        let failed = 0;
        for (const name of resources) {
          const verbOptions = { force: options.force === true, discardMyData: options['discard-my-data'] === true };
          try {
            const result = await daemon.control(stateDir, name, node, verb, verbOptions);
            if (verb === 'status') io.stdout(options.json ? JSON.stringify(result, null, 2) + '\n' : daemon.formatStatus(result as import('../drbd').Status));
            else if (verb === 'verify') io.stdout(`${name}: verify done, ${(result as { outOfSyncBytes: number }).outOfSyncBytes} bytes out of sync\n`);
          } catch (error) {
            if (resources.length === 1) throw error;
            io.stderr(`${name}: ${(error as Error).message}\n`);
            failed++;
          }
        }
        return failed ? 1 : 0;
      }
    }
  },
};
export default command;
