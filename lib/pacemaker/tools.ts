/**
 * The real Pacemaker tools, wrapped: crm_verify (diagnostics), crm_simulate (the scheduler's
 * what-if, --output-as=xml), the installed feature set, and files handed to them.
 */
import { execFile } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { HakitError } from '../errors';
import { Cib } from './cib';
import { attr, childElements, firstChild, parseXml, type XmlElement } from './xml';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
        reject(new HakitError('PCMK_TOOL_MISSING', `${file} could not run: ${error.message}`, { tool: file }));
        return;
      }
      if (error && error.killed) {
        reject(new HakitError('PCMK_TIMEOUT', `${file} ${args.join(' ')} timed out`, { tool: file, args }));
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** "Supporting v3.16.1" from `pacemakerd --features`. */
export async function installedFeatureSet(): Promise<string> {
  const r = await runTool('pacemakerd', ['--features']);
  const m = /Supporting v(\d+(?:\.\d+)*)/.exec(r.stdout);
  if (!m) throw new HakitError('PCMK_TOOL_FAILED', 'pacemakerd --features did not print a feature set', { stdout: r.stdout });
  return m[1]!;
}

/** Writes the CIB to a private temp file for the duration of fn. */
export async function withCibFile<T>(cib: Cib | string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hakit-cib-'));
  const path = join(dir, 'cib.xml');
  writeFileSync(path, typeof cib === 'string' ? cib : cib.toXml());
  try {
    return await fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Diagnostic {
  severity: 'error' | 'warning' | 'notice';
  /** The Pacemaker function that reported it, e.g. unpack_resources. */
  source?: string;
  message: string;
  /** Resource/constraint/node id the message names, when it names one. */
  element?: string;
}

export interface VerifyResult {
  valid: boolean;
  exitCode: number;
  diagnostics: Diagnostic[];
}

/** Parses crm_verify -V text: "(function) \terror: message". */
export function parseVerifyOutput(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\((\w+)\)\s+)?(error|warning|notice):\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const message = m[3]!.trim();
    const named = /(?:resource|constraint|node|Resource|Constraint|id|ID)\s+'?"?([A-Za-z_][\w.:-]*)'?"?/.exec(message);
    out.push({ severity: m[2] as Diagnostic['severity'], source: m[1], message, element: named?.[1] });
  }
  return out;
}

/** crm_verify -x FILE -V: valid or not, with every diagnostic typed. */
export async function verify(cib: Cib | string): Promise<VerifyResult> {
  return withCibFile(cib, async (path) => {
    const r = await runTool('crm_verify', ['-x', path, '-V']);
    const diagnostics = parseVerifyOutput(r.stderr + '\n' + r.stdout);
    return { valid: r.code === 0 && !diagnostics.some((d) => d.severity === 'error'), exitCode: r.code, diagnostics };
  });
}

export interface SimulateOptions {
  nodesUp?: string[];
  nodesDown?: string[];
  /** Nodes that fail (fenced when stonith is on). */
  nodesFail?: string[];
  /** Injected operation results: "rsc_op_interval@node=rc", e.g. web_monitor_10000@n1=7. */
  opFail?: string[];
  /** Treat the cluster as quorate (crm_simulate -q). Default true. */
  quorum?: boolean;
  /** Run the transition against the simulated cluster (-S); default true. */
  run?: boolean;
}

export interface Placement {
  resource: string;
  role: string;
  nodes: string[];
  agent?: string;
  failed: boolean;
}
export interface AllocationScore {
  resource: string;
  node: string;
  score: string;
  /** As a number: INFINITY = 1e6. */
  value: number;
  source: string;
}
export interface SimAction {
  resource: string;
  action: string;
  node?: string;
  intervalMs?: number;
  reason?: string;
  blocked?: boolean;
}
export interface SimulationResult {
  before: Placement[];
  after: Placement[];
  scores: AllocationScore[];
  /** Resource-level decisions: start/stop/move/promote ... (crm_simulate's "actions"). */
  actions: SimAction[];
  /** Every executor operation of the transition, in order. */
  transition: SimAction[];
  /** Where each resource ends up: id -> node list (empty when stopped). */
  placement: Record<string, string[]>;
  nodesOnline: string[];
  /** The CIB after the simulated transition (crm_simulate -O): feed it to the next what-if. */
  cib?: string;
}

function placements(section: XmlElement | undefined): Placement[] {
  const out: Placement[] = [];
  if (!section) return out;
  const resources = firstChild(section, 'resources');
  const visit = (element: XmlElement) => {
    for (const child of childElements(element)) {
      if (child.name === 'resource') {
        out.push({ resource: attr(child, 'id')!, role: attr(child, 'role') ?? 'Unknown', nodes: childElements(child, 'node').map((n) => attr(n, 'name')!), agent: attr(child, 'resource_agent'), failed: attr(child, 'failed') === 'true' });
      } else visit(child);
    }
  };
  if (resources) visit(resources);
  return out;
}

export function scoreNumber(score: string): number {
  const s = score.toUpperCase();
  if (s === 'INFINITY' || s === '+INFINITY') return 1_000_000;
  if (s === '-INFINITY') return -1_000_000;
  return Number(s);
}

export function parseSimulation(xml: string): SimulationResult {
  const root = parseXml(xml).root;
  const status = firstChild(root, 'status');
  if (status && attr(status, 'code') !== '0') throw new HakitError('PCMK_SIMULATE', `crm_simulate failed: ${attr(status, 'message')}`, { code: attr(status, 'code') });
  const before = placements(firstChild(root, 'cluster_status'));
  const revised = firstChild(root, 'revised_cluster_status');
  const after = revised ? placements(revised) : before;
  const scores = childElements(firstChild(root, 'allocations') ?? root, 'node_weight').map((w) => ({ resource: attr(w, 'id')!, node: attr(w, 'node')!, score: attr(w, 'score')!, value: scoreNumber(attr(w, 'score')!), source: attr(w, 'function') ?? '' }));
  const action = (a: XmlElement): SimAction => ({
    resource: attr(a, 'resource')!,
    action: attr(a, 'action') ?? attr(a, 'op')!,
    node: attr(a, 'node'),
    intervalMs: attr(a, 'interval') ? Number(attr(a, 'interval')) : undefined,
    reason: attr(a, 'reason'),
    blocked: attr(a, 'blocked') === 'true' ? true : undefined,
  });
  const actions = childElements(firstChild(root, 'actions') ?? root, 'rsc_action').map(action);
  const transition = childElements(firstChild(root, 'transition') ?? root, 'rsc_action').map(action);
  const placement: Record<string, string[]> = {};
  for (const p of after) placement[p.resource] = ['Stopped', 'Unknown'].includes(p.role) ? [] : p.nodes;
  const nodesOnline = revised ? childElements(firstChild(revised, 'nodes') ?? revised, 'node').filter((n) => attr(n, 'online') === 'true').map((n) => attr(n, 'name')!) : [];
  return { before, after, scores, actions, transition, placement, nodesOnline };
}

/** Runs the real scheduler on the CIB: "what happens if n2 dies?". */
export async function simulate(cib: Cib | string, options: SimulateOptions = {}): Promise<SimulationResult> {
  const args: string[] = [];
  for (const n of options.nodesUp ?? []) args.push('--node-up', n);
  for (const n of options.nodesDown ?? []) args.push('--node-down', n);
  for (const n of options.nodesFail ?? []) args.push('--node-fail', n);
  for (const o of options.opFail ?? []) args.push('--op-inject', o);
  if (options.quorum !== false) args.push('--quorum', 'true');
  if (options.run !== false) args.push('-S');
  args.push('-s', '--output-as=xml');
  return withCibFile(cib, async (path) => {
    const out = path.replace(/cib\.xml$/, 'out.xml');
    const r = await runTool('crm_simulate', ['-x', path, '-O', out, ...args]);
    if (!r.stdout.includes('<pacemaker-result')) throw new HakitError('PCMK_SIMULATE', `crm_simulate failed (${r.code}): ${r.stderr.trim()}`, { stderr: r.stderr });
    const result = parseSimulation(r.stdout);
    if (existsSync(out)) result.cib = readFileSync(out, 'utf8');
    return result;
  });
}

/** Two private temp files (old/new CIB) for crm_diff. */
export async function withTwoFiles<T>(a: string, b: string, fn: (pathA: string, pathB: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hakit-cib-'));
  writeFileSync(join(dir, 'old.xml'), a);
  writeFileSync(join(dir, 'new.xml'), b);
  try {
    return await fn(join(dir, 'old.xml'), join(dir, 'new.xml'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
