/**
 * A live cluster through the real tools: the CIB read with `cibadmin -Q`, edits applied as a
 * minimal diff (`crm_diff` → `cibadmin --patch`, whose version header makes the CIB manager
 * refuse a patch made against an older epoch: two writers never clobber each other), settling
 * as `crm_resource --wait`, status with change events from `crm_mon --output-as=xml`.
 */
import { EventEmitter } from 'events';
import { HakitError } from '../errors';
import { Cib, CibError } from './cib';
import { resourceClear, resourceMove } from './constraints';
import { diffStatus, parseCrmMon, type ClusterStatus, type StatusEvent } from './status';
import { runTool, withTwoFiles, type ToolResult } from './tools';
import { parseXml, walk } from './xml';

export interface LiveOptions {
  /** argv prefix for every tool, e.g. ['nsenter', '-t', PID, '-n', '-m', '--'] for a node in namespaces. */
  prefix?: string[];
  env?: NodeJS.ProcessEnv;
  /** Default per-tool timeout. */
  timeoutMs?: number;
}

export class LiveCluster {
  readonly prefix: string[];
  private readonly env?: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(options: LiveOptions = {}) {
    this.prefix = options.prefix ?? [];
    this.env = options.env;
    this.timeoutMs = options.timeoutMs ?? 60000;
  }

  async tool(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
    const [cmd, ...rest] = this.prefix.length ? [...this.prefix, file] : [file];
    return runTool(cmd!, [...rest, ...args], { env: this.env, input: options.input, timeoutMs: options.timeoutMs ?? this.timeoutMs });
  }

  private async must(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.tool(file, args, options);
    if (r.code !== 0) throw toolError(file, args, r);
    return r.stdout;
  }

  /** The whole CIB (configuration and status) as the cluster holds it now. */
  async readCib(): Promise<Cib> {
    return Cib.parse(await this.must('cibadmin', ['--query']));
  }

  /**
   * Reads the CIB, lets `edit` change it, and sends the difference as one patch. The patch
   * carries the version it was made from: if another writer changed the CIB meanwhile, the
   * CIB manager refuses it and this retries up to `retries` times on a fresh copy, then throws
   * PCMK_CIB_CONFLICT.
   */
  async apply<T>(edit: (cib: Cib) => T | Promise<T>, options: { retries?: number } = {}): Promise<{ result: T; patched: boolean }> {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const current = await this.readCib();
      const before = current.toXml();
      const result = await edit(current);
      if (current.toXml() === before) return { result, patched: false };
      // The patch goes from (epoch E, n) to (E+1, 0): the CIB manager applies it only on top of
      // the version it was made from.
      current.bumpEpoch();
      const after = current.toXml();
      try {
        await this.patch(before, after);
        return { result, patched: true };
      } catch (error) {
        if (error instanceof HakitError && error.code === 'PCMK_CIB_CONFLICT' && attempt < retries) continue;
        throw error;
      }
    }
  }

  /** Sends new-vs-old as a patch; fails with PCMK_CIB_CONFLICT when the live CIB moved on. */
  async patch(beforeXml: string, afterXml: string): Promise<void> {
    await withTwoFiles(beforeXml, afterXml, async (oldPath, newPath) => {
      const diff = await this.tool('crm_diff', ['--original', oldPath, '--new', newPath]);
      // crm_diff exits 1 when the files differ (and prints the patch), 0 when they are equal.
      if (diff.code === 0) return;
      if (diff.code !== 1 || !diff.stdout.includes('<diff')) throw toolError('crm_diff', [], diff);
      const r = await this.tool('cibadmin', ['--patch', '--xml-pipe'], { input: diff.stdout });
      if (r.code !== 0) {
        // pcmk_rc_old_data / diff application failures: the CIB is newer than what we edited.
        if (/older|Update does not conform|Application of an update diff failed|apply_diff|version/i.test(r.stderr) || r.code === 103 || r.code === 205) {
          throw new CibError('PCMK_CIB_CONFLICT', `the CIB changed since it was read (another writer): ${r.stderr.trim()}`, { stderr: r.stderr, exitCode: r.code });
        }
        throw toolError('cibadmin', ['--patch'], r);
      }
    });
  }

  /** Replaces the configuration section; the CIB refuses it when `cib`'s epoch is older than the live one. */
  async replace(cib: Cib): Promise<void> {
    const r = await this.tool('cibadmin', ['--replace', '--xml-pipe'], { input: cib.toXml() });
    if (r.code !== 0) {
      if (/older|Update was older/i.test(r.stderr) || r.code === 103 || r.code === 205) throw new CibError('PCMK_CIB_CONFLICT', `replace refused: the live CIB is newer: ${r.stderr.trim()}`, { stderr: r.stderr, exitCode: r.code });
      throw toolError('cibadmin', ['--replace'], r);
    }
  }

  async status(): Promise<ClusterStatus> {
    const r = await this.tool('crm_mon', ['-1', '--output-as=xml', '--include=all']);
    if (!r.stdout.includes('<pacemaker-result')) throw toolError('crm_mon', [], r);
    return parseCrmMon(r.stdout);
  }

  /** crm_resource --wait: until the cluster has no pending actions, or PCMK_TIMEOUT. */
  async waitForSettle(timeoutMs = 60000): Promise<void> {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const r = await this.tool('crm_resource', ['--wait', `--timeout=${seconds}s`], { timeoutMs: timeoutMs + 10000 });
    if (r.code === 124 || /timed out|Timer expired/i.test(r.stderr)) throw new HakitError('PCMK_TIMEOUT', `cluster did not settle within ${timeoutMs} ms`, { stderr: r.stderr });
    if (r.code !== 0) throw toolError('crm_resource', ['--wait'], r);
  }

  /**
   * `pcs resource move` (pcs 0.11 semantics): a cli-prefer constraint, wait until the cluster
   * settles with the resource on `node`, then remove that constraint again so nothing is left
   * behind (stickiness keeps the resource there). With `keepConstraint` it stays, expiring
   * after `lifetime` if given. Throws PCMK_MOVE_FAILED if the resource did not get there.
   */
  async move(resource: string, node: string, options: { lifetime?: string; keepConstraint?: boolean; timeoutMs?: number } = {}): Promise<{ constraint?: string }> {
    const { result: id } = await this.apply((cib) => resourceMove(cib, resource, node, { lifetime: options.lifetime }));
    await this.waitForSettle(options.timeoutMs ?? 60000);
    const where = await this.locate(resource);
    if (options.keepConstraint) {
      if (!where.includes(node)) throw new HakitError('PCMK_MOVE_FAILED', `${resource} did not move to ${node} (runs on ${where.join(', ') || 'no node'})`, { resource, node, where, constraint: id });
      return { constraint: id };
    }
    await this.apply((cib) => resourceClear(cib, resource, node));
    if (!where.includes(node)) throw new HakitError('PCMK_MOVE_FAILED', `${resource} did not move to ${node} (runs on ${where.join(', ') || 'no node'}); the move constraint was removed`, { resource, node, where });
    await this.waitForSettle(options.timeoutMs ?? 60000);
    return {};
  }

  /** `pcs resource cleanup [RSC] [--node N]`: forget failures so the cluster re-probes. */
  async cleanup(resource?: string, node?: string): Promise<void> {
    const args = ['--cleanup'];
    if (resource) args.push('--resource', resource);
    if (node) args.push('--node', node);
    await this.must('crm_resource', args);
  }

  /** Where a resource runs now (crm_resource --locate). */
  async locate(resource: string): Promise<string[]> {
    const out = await this.must('crm_resource', ['--resource', resource, '--locate', '--output-as=xml']);
    const root = parseXml(out).root;
    const nodes: string[] = [];
    for (const { element } of walk(root)) if (element.name === 'node') nodes.push(element.children.map((c) => (c.type === 'text' ? c.text : '')).join('').trim());
    return nodes.filter(Boolean);
  }

  /** Waits until `predicate(status)` holds, polling crm_mon. */
  async waitFor(predicate: (status: ClusterStatus) => boolean, timeoutMs = 60000, pollMs = 500): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterStatus | undefined;
    for (;;) {
      try {
        last = await this.status();
        if (predicate(last)) return last;
      } catch (error) {
        if (!(error instanceof HakitError)) throw error;
      }
      if (Date.now() > deadline) throw new HakitError('PCMK_TIMEOUT', `condition not reached within ${timeoutMs} ms`, { last });
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** An EventEmitter of StatusEvents ('event'), and 'status' snapshots; close() stops it. */
  monitor(intervalMs = 1000): StatusMonitor {
    return new StatusMonitor(this, intervalMs);
  }
}

export class StatusMonitor extends EventEmitter {
  private timer?: NodeJS.Timeout;
  private last?: ClusterStatus;
  private closed = false;
  readonly events: StatusEvent[] = [];

  constructor(private readonly cluster: LiveCluster, private readonly intervalMs: number) {
    super();
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const status = await this.cluster.status();
      for (const event of diffStatus(this.last, status)) {
        this.events.push(event);
        this.emit('event', event);
      }
      this.last = status;
      this.emit('status', status);
    } catch (error) {
      this.emit('poll-error', error);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.poll(), this.intervalMs);
  }

  /** Resolves with the first event matching `match` (seen before or after the call). */
  waitForEvent(match: (event: StatusEvent) => boolean, timeoutMs = 60000): Promise<StatusEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', on);
        reject(new HakitError('PCMK_TIMEOUT', `no matching status event within ${timeoutMs} ms`, { events: this.events }));
      }, timeoutMs);
      const on = (event: StatusEvent) => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.off('event', on);
        resolve(event);
      };
      this.on('event', on);
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function toolError(file: string, args: string[], r: ToolResult): HakitError {
  if (/Protocol not supported/.test(r.stderr)) return new CibError('PCMK_FEATURE_SET', `${file}: the CIB's crm_feature_set is newer than the installed tools ("Protocol not supported")`, { stderr: r.stderr });
  if (/Transport endpoint is not connected|Could not connect|not connected/i.test(r.stderr)) return new HakitError('PCMK_NOT_CONNECTED', `${file}: cluster not reachable: ${r.stderr.trim()}`, { stderr: r.stderr });
  return new HakitError('PCMK_TOOL_FAILED', `${file} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, { tool: file, exitCode: r.code, stderr: r.stderr });
}
