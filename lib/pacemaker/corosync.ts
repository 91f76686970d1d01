/**
 * corosync.conf (corosync.conf(5)): parse and generate, and votequorum's arithmetic
 * (votequorum(5): expected votes, quorum = floor(expected/2)+1, two_node, wait_for_all,
 * last_man_standing, auto_tie_breaker). Syntax pitfall the parser enforces as corosync does:
 * an opening brace ends its line ("Extra characters after opening bracket").
 */
import { HakitError } from '../errors';

export class CorosyncConfError extends HakitError {
  constructor(message: string, details: { line: number; section?: string }) {
    super('COROSYNC_CONF', `corosync.conf line ${details.line}: ${message}`, details);
    this.name = 'CorosyncConfError';
  }
}

export interface ConfSection {
  name: string;
  /** Keys and sub-sections in file order. */
  items: Array<{ key: string; value: string } | ConfSection>;
}

export function isSection(item: ConfSection['items'][number]): item is ConfSection {
  return (item as ConfSection).items !== undefined;
}

/** Parses the file into its section tree (top level is a section named ''). */
export function parseCorosyncConfTree(text: string): ConfSection {
  const root: ConfSection = { name: '', items: [] };
  const stack = [root];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const top = stack[stack.length - 1]!;
    const open = trimmed.indexOf('{');
    if (open >= 0) {
      if (trimmed.slice(open + 1).trim() !== '') throw new CorosyncConfError('Extra characters after opening bracket', { line, section: top.name });
      const name = trimmed.slice(0, open).trim();
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new CorosyncConfError(`bad section name '${name}'`, { line, section: top.name });
      const section: ConfSection = { name, items: [] };
      top.items.push(section);
      stack.push(section);
      return;
    }
    if (trimmed.startsWith('}')) {
      if (trimmed !== '}') throw new CorosyncConfError('Extra characters after closing bracket', { line, section: top.name });
      if (stack.length === 1) throw new CorosyncConfError('Unexpected closing brace', { line });
      stack.pop();
      return;
    }
    const colon = trimmed.indexOf(':');
    if (colon <= 0) throw new CorosyncConfError(`expected 'key: value', got '${trimmed}'`, { line, section: top.name });
    const key = trimmed.slice(0, colon).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new CorosyncConfError(`bad key '${key}'`, { line, section: top.name });
    top.items.push({ key, value: trimmed.slice(colon + 1).trim() });
  });
  if (stack.length > 1) throw new CorosyncConfError(`section '${stack[stack.length - 1]!.name}' is not closed`, { line: text.split('\n').length, section: stack[stack.length - 1]!.name });
  return root;
}

export function serializeCorosyncConfTree(root: ConfSection): string {
  const out: string[] = [];
  const emit = (section: ConfSection, depth: number) => {
    for (const item of section.items) {
      const pad = '    '.repeat(depth);
      if (isSection(item)) {
        out.push(`${pad}${item.name} {`);
        emit(item, depth + 1);
        out.push(`${pad}}`);
        if (depth === 0) out.push('');
      } else out.push(`${pad}${item.key}: ${item.value}`);
    }
  };
  emit(root, 0);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

export interface CorosyncNode {
  nodeid: number;
  name?: string;
  /** ring0_addr, ring1_addr ... in link order. */
  addrs: string[];
  votes?: number;
}

export interface QuorumOptions {
  provider: string;
  expectedVotes?: number;
  twoNode?: boolean;
  waitForAll?: boolean;
  lastManStanding?: boolean;
  lastManStandingWindow?: number;
  autoTieBreaker?: boolean;
  /** lowest | highest | a list of node ids. */
  autoTieBreakerNode?: string;
}

export interface CorosyncConfig {
  clusterName: string;
  transport: string;
  totem: Record<string, string>;
  nodes: CorosyncNode[];
  quorum: QuorumOptions;
  logging: Record<string, string>;
  /** Every other top-level section, kept as parsed. */
  other: ConfSection[];
}

const bool = (v: string | undefined) => (v === undefined ? undefined : v === '1' || v === 'yes' || v === 'on' || v === 'true');
const int = (v: string | undefined, line = 0, what = ''): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CorosyncConfError(`${what} must be a non-negative integer, got '${v}'`, { line });
  return Number(v);
};

function flat(section: ConfSection | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of section?.items ?? []) if (!isSection(item)) out[item.key] = item.value;
  return out;
}

export function parseCorosyncConf(text: string): CorosyncConfig {
  const tree = parseCorosyncConfTree(text);
  const sections = tree.items.filter(isSection);
  const find = (name: string) => sections.find((s) => s.name === name);
  const totem = flat(find('totem'));
  const nodes: CorosyncNode[] = (find('nodelist')?.items.filter(isSection) ?? [])
    .filter((s) => s.name === 'node')
    .map((s) => {
      const v = flat(s);
      const addrs: string[] = [];
      for (let i = 0; v[`ring${i}_addr`] !== undefined; i++) addrs.push(v[`ring${i}_addr`]!);
      const nodeid = int(v.nodeid, 0, 'nodeid');
      if (nodeid === undefined) throw new CorosyncConfError(`node ${v.name ?? addrs[0] ?? '?'} has no nodeid`, { line: 0, section: 'nodelist' });
      return { nodeid, name: v.name, addrs, votes: int(v.quorum_votes, 0, 'quorum_votes') };
    });
  const q = flat(find('quorum'));
  return {
    clusterName: totem.cluster_name ?? '',
    transport: totem.transport ?? 'knet',
    totem,
    nodes,
    quorum: {
      provider: q.provider ?? '',
      expectedVotes: int(q.expected_votes, 0, 'expected_votes'),
      twoNode: bool(q.two_node),
      waitForAll: bool(q.wait_for_all),
      lastManStanding: bool(q.last_man_standing),
      lastManStandingWindow: int(q.last_man_standing_window, 0, 'last_man_standing_window'),
      autoTieBreaker: bool(q.auto_tie_breaker),
      autoTieBreakerNode: q.auto_tie_breaker_node,
    },
    logging: flat(find('logging')),
    other: sections.filter((s) => !['totem', 'nodelist', 'quorum', 'logging'].includes(s.name)),
  };
}

export function generateCorosyncConf(config: Partial<CorosyncConfig> & { clusterName: string; nodes: CorosyncNode[] }): string {
  if (!config.nodes.length) throw new HakitError('COROSYNC_CONF', 'a nodelist needs at least one node', {});
  const ids = new Set<number>();
  for (const n of config.nodes) {
    if (!Number.isInteger(n.nodeid) || n.nodeid < 1) throw new HakitError('COROSYNC_CONF', `node ${n.name ?? '?'}: nodeid must be a positive integer`, { node: n.name });
    if (ids.has(n.nodeid)) throw new HakitError('COROSYNC_CONF', `duplicate nodeid ${n.nodeid}`, { nodeid: n.nodeid });
    ids.add(n.nodeid);
    if (!n.addrs.length) throw new HakitError('COROSYNC_CONF', `node ${n.name ?? n.nodeid} has no address`, { node: n.name });
  }
  const kv = (record: Record<string, string | undefined>) => Object.entries(record).filter(([, v]) => v !== undefined).map(([key, value]) => ({ key, value: value! }));
  const totem: Record<string, string | undefined> = { version: '2', cluster_name: config.clusterName, transport: config.transport ?? 'knet', crypto_cipher: 'none', crypto_hash: 'none', ...config.totem };
  const q = config.quorum ?? { provider: 'corosync_votequorum' };
  const b = (v: boolean | undefined) => (v === undefined ? undefined : v ? '1' : '0');
  const root: ConfSection = {
    name: '',
    items: [
      { name: 'totem', items: kv(totem) },
      {
        name: 'nodelist',
        items: config.nodes.map((n) => ({
          name: 'node',
          items: [...n.addrs.map((a, i) => ({ key: `ring${i}_addr`, value: a })), ...kv({ name: n.name, nodeid: String(n.nodeid), quorum_votes: n.votes === undefined ? undefined : String(n.votes) })],
        })),
      },
      {
        name: 'quorum',
        items: kv({
          provider: q.provider || 'corosync_votequorum',
          expected_votes: q.expectedVotes === undefined ? undefined : String(q.expectedVotes),
          two_node: b(q.twoNode),
          wait_for_all: b(q.waitForAll),
          last_man_standing: b(q.lastManStanding),
          last_man_standing_window: q.lastManStandingWindow === undefined ? undefined : String(q.lastManStandingWindow),
          auto_tie_breaker: b(q.autoTieBreaker),
          auto_tie_breaker_node: q.autoTieBreakerNode,
        }),
      },
      { name: 'logging', items: kv({ to_stderr: 'yes', to_syslog: 'no', ...config.logging }) },
      ...(config.other ?? []),
    ],
  };
  return serializeCorosyncConfTree(root);
}

export interface QuorumInput {
  /** Configured nodes with their votes (default 1) and whether they are in our partition. */
  nodes: Array<{ nodeid: number; votes?: number; member: boolean }>;
  quorum: QuorumOptions;
  /** wait_for_all: every node has been seen at once since startup. */
  allNodesSeenOnce?: boolean;
  /** last_man_standing: expected votes lowered to this after the window expired (the state corosync keeps). */
  lastManStandingExpected?: number;
}

export interface QuorumState {
  expectedVotes: number;
  totalVotes: number;
  quorum: number;
  quorate: boolean;
  /** Flags as corosync-quorumtool prints them: Quorate, 2Node, WaitForAll, LastManStanding, AutoTieBreaker. */
  flags: string[];
}

/** votequorum's decision for one partition (votequorum(5), corosync exec/votequorum.c). */
export function quorumState(input: QuorumInput): QuorumState {
  const q = input.quorum;
  const all = input.nodes.reduce((s, n) => s + (n.votes ?? 1), 0);
  const totalVotes = input.nodes.filter((n) => n.member).reduce((s, n) => s + (n.votes ?? 1), 0);
  let expectedVotes = Math.max(q.expectedVotes ?? all, 1);
  if (q.lastManStanding && input.lastManStandingExpected !== undefined) expectedVotes = Math.max(1, input.lastManStandingExpected);
  const twoNode = q.twoNode === true && input.nodes.length === 2;
  const quorum = twoNode ? 1 : Math.floor(expectedVotes / 2) + 1;
  let quorate = totalVotes >= quorum;
  // auto_tie_breaker: an exact half keeps quorum on the side holding the tie-breaker node.
  if (!quorate && q.autoTieBreaker && totalVotes * 2 === expectedVotes) {
    const members = input.nodes.filter((n) => n.member).map((n) => n.nodeid);
    const ids = input.nodes.map((n) => n.nodeid);
    const spec = q.autoTieBreakerNode ?? 'lowest';
    const tieBreakers = spec === 'lowest' ? [Math.min(...ids)] : spec === 'highest' ? [Math.max(...ids)] : spec.split(/\s+/).map(Number);
    const designated = tieBreakers.find((id) => ids.includes(id));
    quorate = designated !== undefined && members.includes(designated);
  }
  const waitForAll = q.waitForAll ?? twoNode;
  if (waitForAll && !input.allNodesSeenOnce) quorate = false;
  const flags: string[] = [];
  if (quorate) flags.push('Quorate');
  if (twoNode) flags.push('2Node');
  if (waitForAll) flags.push('WaitForAll');
  if (q.lastManStanding) flags.push('LastManStanding');
  if (q.autoTieBreaker) flags.push('AutoTieBreaker');
  return { expectedVotes, totalVotes, quorum, quorate, flags };
}

export interface QuorumtoolStatus {
  quorate: boolean;
  expectedVotes: number;
  highestExpected: number;
  totalVotes: number;
  quorum: number;
  flags: string[];
  members: Array<{ nodeid: number; votes: number; name: string }>;
}

/** Parses `corosync-quorumtool -s` (exit 0 quorate, 2 not quorate). */
export function parseQuorumtool(text: string): QuorumtoolStatus {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
    return m?.[1]?.trim();
  };
  const num = (name: string) => {
    const v = field(name);
    if (v === undefined) throw new HakitError('COROSYNC_QUORUMTOOL', `corosync-quorumtool output lacks '${name}'`, { text });
    return Number(v.split(/\s/)[0]);
  };
  const members: QuorumtoolStatus['members'] = [];
  const table = text.split(/Membership information\s*\n-+\s*\n/)[1] ?? '';
  for (const line of table.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (m) members.push({ nodeid: Number(m[1]), votes: Number(m[2]), name: m[3]!.replace(/\s*\(local\)$/, '') });
  }
  return {
    quorate: field('Quorate') === 'Yes',
    expectedVotes: num('Expected votes'),
    highestExpected: num('Highest expected'),
    totalVotes: num('Total votes'),
    quorum: num('Quorum'),
    flags: (field('Flags') ?? '').split(/\s+/).filter(Boolean),
    members,
  };
}
