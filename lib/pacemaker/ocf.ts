/**
 * Running resource agents the way Pacemaker's executor does (OCF 1.1 spec, resource-agent-api;
 * pacemaker lib/services/services_ocf.c): OCF_ROOT, OCF_RA_VERSION_*, OCF_RESOURCE_INSTANCE,
 * OCF_RESOURCE_TYPE/PROVIDER, OCF_RESKEY_<param>, OCF_RESKEY_CRM_meta_<meta>, a timeout with
 * SIGTERM then SIGKILL; and fence agents (fence-agents' stdin protocol: key=value lines).
 */
import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { HakitError } from '../errors';
import { parseXml, attr, childElements, firstChild, type XmlElement } from './xml';

export const DEFAULT_OCF_ROOT = '/usr/lib/ocf';

/** OCF exit codes (OCF 1.1 §"Exit codes"; 190/191 are Pacemaker's degraded states). */
export const OCF_EXIT = {
  0: { name: 'OCF_SUCCESS', meaning: 'success' },
  1: { name: 'OCF_ERR_GENERIC', meaning: 'generic error (soft: recover on the same node)' },
  2: { name: 'OCF_ERR_ARGS', meaning: 'invalid arguments (hard: do not retry on this node)' },
  3: { name: 'OCF_ERR_UNIMPLEMENTED', meaning: 'action not implemented (hard)' },
  4: { name: 'OCF_ERR_PERM', meaning: 'insufficient privileges (hard)' },
  5: { name: 'OCF_ERR_INSTALLED', meaning: 'required software not installed (hard)' },
  6: { name: 'OCF_ERR_CONFIGURED', meaning: 'configuration invalid (fatal: not retried anywhere)' },
  7: { name: 'OCF_NOT_RUNNING', meaning: 'resource is cleanly stopped' },
  8: { name: 'OCF_RUNNING_PROMOTED', meaning: 'resource is running in the promoted role' },
  9: { name: 'OCF_FAILED_PROMOTED', meaning: 'resource failed in the promoted role' },
  190: { name: 'OCF_DEGRADED', meaning: 'running but degraded' },
  191: { name: 'OCF_DEGRADED_PROMOTED', meaning: 'promoted but degraded' },
} as const;

export type OcfAction = 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify' | 'reload' | 'reload-agent' | 'migrate_to' | 'migrate_from' | 'meta-data' | 'validate-all' | 'status';

export interface ActionResult {
  action: string;
  exitCode: number | null;
  /** OCF_SUCCESS, OCF_NOT_RUNNING, ... or 'TIMEOUT' / 'SIGNAL' / 'UNKNOWN'. */
  status: string;
  meaning: string;
  ok: boolean;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export function describeExit(code: number | null, timedOut = false): { status: string; meaning: string } {
  if (timedOut) return { status: 'TIMEOUT', meaning: 'the action did not finish within its timeout' };
  if (code === null) return { status: 'SIGNAL', meaning: 'the agent was killed by a signal' };
  const known = (OCF_EXIT as Record<number, { name: string; meaning: string }>)[code];
  return known ? { status: known.name, meaning: known.meaning } : { status: 'UNKNOWN', meaning: `exit code ${code} is not an OCF code (treated as generic error)` };
}

export interface AgentParameter {
  name: string;
  required: boolean;
  unique: boolean;
  type: string;
  default?: string;
  shortdesc?: string;
  longdesc?: string;
  deprecated: boolean;
  reloadable: boolean;
}
export interface AgentAction {
  name: string;
  timeout?: string;
  interval?: string;
  role?: string;
  depth?: string;
  startDelay?: string;
}
export interface AgentMetadata {
  name: string;
  version?: string;
  shortdesc?: string;
  longdesc?: string;
  parameters: AgentParameter[];
  actions: AgentAction[];
}

/** Parses `<resource-agent>` meta-data (OCF resource agents and fence agents alike). */
export function parseMetadata(xml: string): AgentMetadata {
  const root = parseXml(xml).root;
  if (root.name !== 'resource-agent') throw new HakitError('PCMK_BAD_METADATA', `agent meta-data root is <${root.name}>, expected <resource-agent>`, { element: root.name });
  const text = (e: XmlElement | undefined) => (e ? e.children.map((c) => (c.type === 'text' ? c.text : '')).join('').trim() : undefined);
  const parameters = childElements(firstChild(root, 'parameters') ?? root, 'parameter').map((p): AgentParameter => {
    const content = firstChild(p, 'content');
    const flag = (name: string) => ['1', 'true', 'yes'].includes((attr(p, name) ?? '').toLowerCase());
    return {
      name: attr(p, 'name') ?? '',
      required: flag('required'),
      unique: flag('unique') || attr(p, 'unique-group') !== undefined,
      type: (content && attr(content, 'type')) ?? 'string',
      default: content ? attr(content, 'default') : undefined,
      shortdesc: text(firstChild(p, 'shortdesc')),
      longdesc: text(firstChild(p, 'longdesc')),
      deprecated: flag('deprecated') || firstChild(p, 'deprecated') !== undefined,
      reloadable: flag('reloadable'),
    };
  });
  const actions = childElements(firstChild(root, 'actions') ?? root, 'action').map((a): AgentAction => ({
    name: attr(a, 'name') ?? '',
    timeout: attr(a, 'timeout'),
    interval: attr(a, 'interval'),
    role: attr(a, 'role'),
    depth: attr(a, 'depth'),
    startDelay: attr(a, 'start-delay'),
  }));
  return { name: attr(root, 'name') ?? '', version: text(firstChild(root, 'version')), shortdesc: text(firstChild(root, 'shortdesc')), longdesc: text(firstChild(root, 'longdesc')), parameters, actions };
}

/** Pacemaker interval/timeout spec ("20s", "2min", "1h", "500ms", "20") → milliseconds. */
export function parseInterval(spec: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/i.exec(spec);
  if (!m) throw new HakitError('PCMK_BAD_INTERVAL', `invalid interval '${spec}'`, { interval: spec });
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' || unit === 'msec' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'm' || unit === 'min' ? 60000 : 3600000;
  return Math.round(Number(m[1]) * factor);
}

export interface RunOptions {
  ocfRoot?: string;
  /** OCF_RESOURCE_INSTANCE (the resource id). */
  instance?: string;
  params?: Record<string, string>;
  /** Passed as OCF_RESKEY_CRM_meta_<name> (dashes become underscores, as Pacemaker does). */
  meta?: Record<string, string>;
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

export interface AgentRef {
  provider: string;
  agent: string;
}

export function agentPath(ref: AgentRef, ocfRoot = DEFAULT_OCF_ROOT): string {
  return join(ocfRoot, 'resource.d', ref.provider, ref.agent);
}

function runProcess(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, stdin?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean; durationMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
    // The executor kills the whole process group on timeout: agents fork helpers.
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 2000);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

/** Runs one action of an OCF resource agent; never throws for agent failures (see `ok`). */
export async function runOcfAction(ref: AgentRef, action: OcfAction | string, options: RunOptions = {}): Promise<ActionResult> {
  const ocfRoot = options.ocfRoot ?? DEFAULT_OCF_ROOT;
  const file = agentPath(ref, ocfRoot);
  if (!existsSync(file)) throw new HakitError('PCMK_UNKNOWN_AGENT', `unknown resource agent ocf:${ref.provider}:${ref.agent} (no ${file})`, { agent: `ocf:${ref.provider}:${ref.agent}`, path: file });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    OCF_ROOT: ocfRoot,
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: options.instance ?? ref.agent,
    OCF_RESOURCE_TYPE: ref.agent,
    OCF_RESOURCE_PROVIDER: ref.provider,
    OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.params ?? {})) env[`OCF_RESKEY_${name}`] = value;
  for (const [name, value] of Object.entries(options.meta ?? {})) env[`OCF_RESKEY_CRM_meta_${name.replace(/-/g, '_')}`] = value;
  if (action === 'monitor' && options.meta?.interval === undefined) env.OCF_RESKEY_CRM_meta_interval = '0';
  const timeoutMs = options.timeoutMs ?? 20000;
  env.OCF_RESKEY_CRM_meta_timeout = String(timeoutMs);
  const r = await runProcess(file, [action], env, timeoutMs);
  const { status, meaning } = describeExit(r.timedOut ? null : r.code, r.timedOut);
  const ok = !r.timedOut && (r.code === 0 || (action === 'monitor' && (r.code === 7 || r.code === 8)) || (action === 'stop' && r.code === 7));
  return { action, exitCode: r.timedOut ? null : r.code, status, meaning, ok, timedOut: r.timedOut, signal: r.signal, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
}

/** The "ocf-exit-reason:" line an agent printed, if any (what crm_mon shows as exitreason). */
export function exitReason(result: ActionResult): string | undefined {
  const line = result.stderr.split('\n').find((l) => l.startsWith('ocf-exit-reason:'));
  return line?.slice('ocf-exit-reason:'.length).trim();
}

export async function agentMetadata(ref: AgentRef, options: { ocfRoot?: string; timeoutMs?: number } = {}): Promise<AgentMetadata> {
  const result = await runOcfAction(ref, 'meta-data', { ocfRoot: options.ocfRoot, timeoutMs: options.timeoutMs ?? 10000 });
  if (result.exitCode !== 0) throw new HakitError('PCMK_BAD_METADATA', `ocf:${ref.provider}:${ref.agent} meta-data failed: ${result.status}`, { agent: ref.agent, stderr: result.stderr });
  return parseMetadata(result.stdout);
}

// ---- fence agents -----------------------------------------------------------------------

export type FenceAction = 'list' | 'status' | 'monitor' | 'off' | 'on' | 'reboot' | 'metadata' | 'validate-all';

export interface FenceResult {
  action: string;
  exitCode: number | null;
  ok: boolean;
  /** status: 0 = on, 2 = off (fence-agents convention); 1 = error. */
  powerState?: 'on' | 'off' | 'unknown';
  /** list: the "plug,alias" lines parsed. */
  ports?: Array<{ port: string; alias?: string }>;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** fence-agents read options as key=value lines on stdin; "action" selects the operation. */
export async function runFenceAgent(agent: string, action: FenceAction, options: { args?: Record<string, string>; timeoutMs?: number; sbinDir?: string } = {}): Promise<FenceResult> {
  if (!/^fence_[A-Za-z0-9_]+$/.test(agent)) throw new HakitError('PCMK_BAD_AGENT', `invalid fence agent name '${agent}'`, { agent });
  const file = join(options.sbinDir ?? '/usr/sbin', agent);
  if (!existsSync(file)) throw new HakitError('PCMK_UNKNOWN_AGENT', `unknown fence agent ${agent} (no ${file})`, { agent, path: file });
  const lines = [`action=${action}`];
  for (const [k, v] of Object.entries(options.args ?? {})) {
    if (/[\n=]/.test(k) || v.includes('\n')) throw new HakitError('PCMK_BAD_ARG', `fence argument '${k}' must not contain newlines or '='`, { argument: k });
    lines.push(`${k}=${v}`);
  }
  const r = await runProcess(file, [], { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, options.timeoutMs ?? 20000, lines.join('\n') + '\n');
  const result: FenceResult = { action, exitCode: r.timedOut ? null : r.code, ok: !r.timedOut && r.code === 0, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  if (action === 'status' && !r.timedOut) {
    result.powerState = r.code === 0 ? 'on' : r.code === 2 ? 'off' : 'unknown';
    result.ok = r.code === 0 || r.code === 2;
  }
  if (action === 'list' && result.ok) {
    result.ports = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [port, alias] = l.split(',');
        return { port: port!, alias: alias || undefined };
      });
  }
  return result;
}

/**
 * Meta-data of an installed agent by name, or undefined when it is not installed: what
 * `runPcs({ metadata })` uses so that creation fails on unknown agents as pcs does.
 */
export async function localMetadata(name: { standard: string; provider?: string; agent: string }, options: { ocfRoot?: string; sbinDir?: string } = {}): Promise<AgentMetadata | undefined> {
  if (name.standard === 'ocf') {
    if (!existsSync(agentPath({ provider: name.provider!, agent: name.agent }, options.ocfRoot))) return undefined;
    return agentMetadata({ provider: name.provider!, agent: name.agent }, { ...options, timeoutMs: 30000 });
  }
  if (name.standard === 'stonith') {
    if (!/^fence_[A-Za-z0-9_]+$/.test(name.agent) || !existsSync(join(options.sbinDir ?? '/usr/sbin', name.agent))) return undefined;
    const r = await runFenceAgent(name.agent, 'metadata', { sbinDir: options.sbinDir });
    return r.ok ? parseMetadata(r.stdout) : undefined;
  }
  // lsb/systemd/service agents have no OCF meta-data: pcs uses a monitor at 60s.
  return { name: name.agent, parameters: [], actions: [] };
}

/** A `localMetadata` resolver that asks each agent once (meta-data does not change while we run). */
export function metadataResolver(options: { ocfRoot?: string; sbinDir?: string } = {}): (name: { standard: string; provider?: string; agent: string }) => Promise<AgentMetadata | undefined> {
  const cache = new Map<string, Promise<AgentMetadata | undefined>>();
  return (name) => {
    const key = `${name.standard}:${name.provider ?? ''}:${name.agent}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = localMetadata(name, options);
      hit.catch(() => cache.delete(key));
      cache.set(key, hit);
    }
    return hit;
  };
}
