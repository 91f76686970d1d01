/**
 * The process that holds a resource up (`hakit drbd up`): it opens the Volume, connects, serves
 * the drbdadm verbs on a control socket (`<state-dir>/<resource>.sock`, one JSON request per
 * line) and optionally an NBD export. drbdadm talks to the kernel; hakit's verbs talk to this.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HakitError } from '../errors';
import type { Logger } from '../log';
import type { DrbdConfig } from './config';
import { volumeOptions } from './config';
import { NbdServer } from './nbd';
import { Volume, type Status } from './volume';

export interface DaemonOptions {
  config: DrbdConfig;
  resource: string;
  node: string;
  stateDir: string;
  nbd?: { host: string; port: number };
  logger: Logger;
  signal: AbortSignal;
}

export function socketPath(stateDir: string, resource: string, node: string): string {
  return path.join(stateDir, `${resource}.${node}.sock`);
}

/** Runs until `down` or the signal; resolves when everything is closed. */
export async function runDaemon(o: DaemonOptions): Promise<void> {
  const volume = await Volume.open({ ...volumeOptions(o.config, o.resource, o.node), logger: o.logger });
  fs.mkdirSync(o.stateDir, { recursive: true });
  const sock = socketPath(o.stateDir, o.resource, o.node);
  if (fs.existsSync(sock)) {
    const alive = await new Promise<boolean>((resolve) => {
      const c = net.connect(sock, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (alive) { await volume.close(); throw new HakitError('DRBD_ALREADY_UP', `resource ${o.resource} is already up (${sock})`); }
    fs.rmSync(sock, { force: true });
  }
  let nbd: NbdServer | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const server = net.createServer((client) => {
    let buffered = '';
    client.on('error', () => {});
    client.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        void handle(line).then((response) => client.write(JSON.stringify(response) + '\n'));
      }
    });
  });
  const handle = async (line: string): Promise<unknown> => {
    try {
      const { verb, options = {} } = JSON.parse(line) as { verb: string; options?: Record<string, unknown> };
      return { ok: true, result: await verbs(verb, options) };
    } catch (error) {
      const e = error as HakitError;
      return { ok: false, error: { code: e.code ?? 'DRBD_ERROR', message: e.message } };
    }
  };
  const verbs = async (verb: string, options: Record<string, unknown>): Promise<unknown> => {
    switch (verb) {
      case 'status': return volume.status();
      case 'primary': return volume.primary({ force: options.force === true });
      case 'secondary': return volume.secondary();
      case 'connect': return volume.connect({ discardMyData: options.discardMyData === true });
      case 'disconnect': return volume.disconnect();
      case 'verify': return { outOfSyncBytes: await volume.verify() };
      case 'invalidate': return volume.invalidate();
      case 'invalidate-remote': return volume.invalidateRemote();
      case 'resume-io': return volume.resumeIo();
      case 'down': setImmediate(stop); return undefined;
      case 'resize': throw new HakitError('DRBD_RESIZE_ONLINE', 'resize is done with the resource down on both nodes (hakit drbd resize while down)');
      default: throw new HakitError('DRBD_BAD_VERB', `unknown verb '${verb}'`);
    }
  };
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(sock, () => resolve()); });
  if (o.nbd) {
    nbd = new NbdServer(volume, { name: o.resource, logger: o.logger });
    const address = await nbd.listen(o.nbd.port, o.nbd.host);
    o.logger.info('nbd export listening', { host: address.address, port: address.port });
  }
  volume.connect();
  o.logger.info('resource up', { resource: o.resource, node: o.node, control: sock, listenPort: volume.listenPort });
  o.signal.addEventListener('abort', () => stop(), { once: true });
  await stopped;
  o.logger.info('resource going down', { resource: o.resource });
  if (nbd) await nbd.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(sock, { force: true });
  await volume.close();
}

/** Sends one verb to a running resource's daemon. */
export function control(stateDir: string, resource: string, node: string, verb: string, options: Record<string, unknown> = {}, timeoutMs = 600000): Promise<unknown> {
  const sock = socketPath(stateDir, resource, node);
  return new Promise((resolve, reject) => {
    const client = net.connect(sock);
    let buffered = '';
    const timer = setTimeout(() => { client.destroy(); reject(new HakitError('DRBD_TIMEOUT', `no answer from ${sock}`)); }, timeoutMs);
    client.on('connect', () => client.write(JSON.stringify({ verb, options }) + '\n'));
    client.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      client.end();
      const response = JSON.parse(buffered.slice(0, nl)) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
      if (response.ok) resolve(response.result);
      else reject(new HakitError(response.error!.code, response.error!.message));
    });
    client.on('error', (error) => {
      clearTimeout(timer);
      reject(new HakitError('DRBD_NOT_UP', `resource ${resource} is not up (${sock}: ${(error as NodeJS.ErrnoException).code ?? error.message})`, { socket: sock }));
    });
  });
}

/** drbdadm status text (DRBD 9 layout). */
export function formatStatus(s: Status): string {
  const lines = [`${s.resource} role:${s.role}${s.suspended ? ' suspended:fencing' : ''}`, `  disk:${s.disk}`];
  if (s.connection !== 'Connected') {
    lines.push(`  ${s.peer.node} connection:${s.connection}`);
  } else {
    lines.push(`  ${s.peer.node} role:${s.peer.role}`);
    const parts = [];
    if (s.replication !== 'Established') parts.push(`replication:${s.replication}`);
    parts.push(`peer-disk:${s.peer.disk}`);
    if (s.resync && s.resync.total > 0) parts.push(`done:${((100 * s.resync.done) / s.resync.total).toFixed(2)}`);
    lines.push(`    ${parts.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}
