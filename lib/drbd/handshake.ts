/**
 * The connection handshake's decision: from both nodes' generation identifiers, roles and
 * dirty-bitmap weights, who becomes SyncSource, who SyncTarget, whether it is a full sync, and
 * what a split brain resolves to under the after-sb-* policies. Both nodes evaluate the same
 * pure function on the same two reports (each from its side), so they agree without another
 * round trip; a report whose mirror decision disagrees is a disconnect. Rules follow DRBD's
 * drbd_uuid_compare() and drbd_asb_recover_*p() (drbd_receiver.c) in spirit; see docs/drbd.md.
 */
import { UUID_JUST_CREATED } from './meta';

export type After0pri = 'disconnect' | 'discard-younger-primary' | 'discard-older-primary' | 'discard-zero-changes' | 'discard-least-changes' | 'discard-local' | 'discard-remote' | `discard-node-${string}`;
export type After1pri = 'disconnect' | 'consensus' | 'discard-secondary' | 'violently-as0p' | 'call-pri-lost-after-sb';
export type After2pri = 'disconnect' | 'violently-as0p' | 'call-pri-lost-after-sb';

export const AFTER_0PRI_FIXED = ['disconnect', 'discard-younger-primary', 'discard-older-primary', 'discard-zero-changes', 'discard-least-changes', 'discard-local', 'discard-remote'] as const;
export const AFTER_1PRI = ['disconnect', 'consensus', 'discard-secondary', 'violently-as0p', 'call-pri-lost-after-sb'] as const;
export const AFTER_2PRI = ['disconnect', 'violently-as0p', 'call-pri-lost-after-sb'] as const;

export interface Policies {
  after0pri: After0pri;
  after1pri: After1pri;
  after2pri: After2pri;
}

export interface Report {
  name: string;
  role: 'Primary' | 'Secondary';
  disk: string;
  current: bigint;
  bitmap: bigint;
  history: [bigint, bigint];
  /** Dirty bitmap weight (blocks changed since the bitmap UUID). */
  dirty: number;
  crashedPrimary: boolean;
  discardMyData: boolean;
  primarySince: number;
  size: number;
  policies: Policies;
}

export type Action = 'none' | 'source' | 'target' | 'disconnect';

export interface Decision {
  action: Action;
  full: boolean;
  splitBrain: boolean;
  reason: string;
  /** call-pri-lost-after-sb: this node is a Primary that lost the split brain. */
  priLost?: boolean;
}

const decision = (action: Action, reason: string, extra: Partial<Decision> = {}): Decision => ({ action, full: false, splitBrain: false, reason, ...extra });

/** UUID comparison (positive: self is source; negative: target; 0 none; 100 split brain; -1000 unrelated). */
export function compareUuids(self: Report, peer: Report): { result: number; rule: string } {
  const diskless = (r: Report) => r.disk === 'Diskless';
  if (diskless(self) || diskless(peer)) return { result: 0, rule: 'diskless' };
  if (self.current === UUID_JUST_CREATED && peer.current === UUID_JUST_CREATED) return { result: 0, rule: 'both just created' };
  if (self.current === UUID_JUST_CREATED) return { result: -2, rule: 'self just created: full sync' };
  if (peer.current === UUID_JUST_CREATED) return { result: 2, rule: 'peer just created: full sync' };
  if (self.current === peer.current) {
    // An interrupted resync: the Inconsistent side stays the target.
    if (self.disk === 'Inconsistent' && peer.disk !== 'Inconsistent') return { result: -1, rule: 'same current UUID, this disk Inconsistent: resume as SyncTarget' };
    if (peer.disk === 'Inconsistent' && self.disk !== 'Inconsistent') return { result: 1, rule: 'same current UUID, peer disk Inconsistent: resume as SyncSource' };
    if (self.dirty === 0 && peer.dirty === 0) return { result: 0, rule: 'same current UUID, nothing out of sync' };
    // Same data generation but blocks out of sync (a lost link, a crashed primary, verify).
    const rank = (r: Report) => (r.role === 'Primary' ? 2 : 0) + (r.crashedPrimary ? 1 : 0);
    if (rank(self) !== rank(peer)) return { result: rank(self) > rank(peer) ? 1 : -1, rule: 'same current UUID: primary / crashed primary is source' };
    return { result: self.name < peer.name ? 1 : -1, rule: 'same current UUID: lower node name is source' };
  }
  if (peer.bitmap !== 0n && peer.bitmap === self.current) return { result: -1, rule: "peer's bitmap UUID is our current: SyncTarget" };
  if (self.bitmap !== 0n && self.bitmap === peer.current) return { result: 1, rule: "our bitmap UUID is the peer's current: SyncSource" };
  if (peer.history.includes(self.current) && self.current !== 0n) return { result: -2, rule: "our current UUID is in the peer's history: full sync as target" };
  if (self.history.includes(peer.current) && peer.current !== 0n) return { result: 2, rule: "peer's current UUID is in our history: full sync as source" };
  if (self.bitmap !== 0n && self.bitmap === peer.bitmap) return { result: 100, rule: 'split brain: both changed since the common bitmap UUID' };
  const selfAll = [self.bitmap, ...self.history].filter((u) => u !== 0n);
  const peerAll = [peer.bitmap, ...peer.history].filter((u) => u !== 0n);
  if (selfAll.some((u) => peerAll.includes(u))) return { result: 100, rule: 'split brain: common ancestor in history' };
  return { result: -1000, rule: 'unrelated data' };
}

/** 0pri recovery: 1 = self keeps its data (source), -1 = self discards (target), 0 = no decision. */
function recover0p(self: Report, peer: Report, policy: After0pri): number {
  switch (policy) {
    case 'discard-younger-primary':
    case 'discard-older-primary': {
      if (self.primarySince !== peer.primarySince) {
        const selfYounger = self.primarySince > peer.primarySince;
        return (policy === 'discard-younger-primary') === selfYounger ? -1 : 1;
      }
      return recover0p(self, peer, 'discard-least-changes');
    }
    case 'discard-zero-changes':
      if (self.dirty === 0 && peer.dirty === 0) return self.name < peer.name ? 1 : -1;
      if (self.dirty === 0) return -1;
      if (peer.dirty === 0) return 1;
      return 0;
    case 'discard-least-changes':
      if (self.dirty !== peer.dirty) return self.dirty < peer.dirty ? -1 : 1;
      return self.name < peer.name ? 1 : -1;
    case 'discard-local':
      return -1;
    case 'discard-remote':
      return 1;
    case 'disconnect':
      return 0;
    default: {
      const victim = policy.slice('discard-node-'.length);
      if (victim === self.name) return -1;
      if (victim === peer.name) return 1;
      return 0;
    }
  }
}

function resolveSplitBrain(self: Report, peer: Report): Decision {
  if (self.discardMyData && peer.discardMyData) return decision('disconnect', 'both nodes asked to --discard-my-data', { splitBrain: true });
  if (self.discardMyData) return decision('target', 'split brain resolved by --discard-my-data (this node)', { splitBrain: true });
  if (peer.discardMyData) return decision('source', 'split brain resolved by --discard-my-data (peer)', { splitBrain: true });
  const primaries = (self.role === 'Primary' ? 1 : 0) + (peer.role === 'Primary' ? 1 : 0);
  const p = self.policies;
  let verdict = 0;
  let how = '';
  if (primaries === 0) {
    verdict = recover0p(self, peer, p.after0pri);
    how = `after-sb-0pri ${p.after0pri}`;
  } else if (primaries === 1) {
    const selfPrimary = self.role === 'Primary';
    how = `after-sb-1pri ${p.after1pri}`;
    switch (p.after1pri) {
      case 'disconnect': verdict = 0; break;
      case 'discard-secondary': verdict = selfPrimary ? 1 : -1; break;
      case 'consensus': {
        const zero = recover0p(self, peer, p.after0pri);
        // Only accepted when the 0pri policy would discard the secondary anyway.
        verdict = zero !== 0 && (zero === 1) === selfPrimary ? zero : 0;
        break;
      }
      case 'violently-as0p':
      case 'call-pri-lost-after-sb': {
        verdict = recover0p(self, peer, p.after0pri);
        if (verdict !== 0 && (verdict === -1) === selfPrimary) {
          // The Primary would have to become SyncTarget: hakit never syncs into a Primary.
          return decision('disconnect', `${how}: the Primary lost the split brain`, { splitBrain: true, priLost: selfPrimary });
        }
        break;
      }
    }
  } else {
    how = `after-sb-2pri ${p.after2pri}`;
    if (p.after2pri !== 'disconnect') {
      const verdict2 = recover0p(self, peer, p.after0pri);
      return decision('disconnect', `${how}: a Primary would have to discard its data`, { splitBrain: true, priLost: verdict2 === -1 && p.after2pri === 'call-pri-lost-after-sb' });
    }
  }
  if (verdict === 0) return decision('disconnect', `split brain, ${how}: no automatic resolution`, { splitBrain: true });
  return decision(verdict > 0 ? 'source' : 'target', `split brain resolved by ${how}`, { splitBrain: true });
}

function decideOneSide(self: Report, peer: Report): Decision {
  if (self.disk !== 'Diskless' && peer.disk !== 'Diskless' && self.size !== peer.size) {
    return decision('disconnect', `backing sizes differ (${self.size} vs ${peer.size} bytes)`);
  }
  if (self.role === 'Primary' && peer.role === 'Primary') return decision('disconnect', 'both nodes are Primary (allow-two-primaries is not supported)', { splitBrain: compareUuids(self, peer).result === 100 });
  const { result, rule } = compareUuids(self, peer);
  if (result === -1000) return decision('disconnect', rule);
  if (result === 100) return resolveSplitBrain(self, peer);
  if (result === 0) return decision('none', rule);
  return decision(result > 0 ? 'source' : 'target', rule, { full: Math.abs(result) === 2 });
}

const mirror: Record<Action, Action> = { none: 'none', source: 'target', target: 'source', disconnect: 'disconnect' };

/** The decision for `self`, checked against the peer's own evaluation (with the peer's policies). */
export function decide(self: Report, peer: Report): Decision {
  const mine = decideOneSide(self, peer);
  const theirs = decideOneSide(peer, self);
  if (mirror[theirs.action] !== mine.action) {
    return decision('disconnect', `the nodes disagree (${mine.reason} / peer: ${theirs.reason}); check that both have the same after-sb-* policies`, { splitBrain: mine.splitBrain || theirs.splitBrain });
  }
  if (mine.action === 'target' && self.role === 'Primary') return decision('disconnect', 'I shall become SyncTarget, but I am Primary', { splitBrain: mine.splitBrain });
  if (mine.action === 'source' && peer.role === 'Primary') return decision('disconnect', 'the peer would become SyncTarget, but it is Primary', { splitBrain: mine.splitBrain });
  return mine;
}

const hex = (u: bigint) => u.toString(16).toUpperCase().padStart(16, '0');

/** The state report as sent over the link (JSON; generation identifiers as 16 hex digits). */
export function encodeReport(r: Report): Buffer {
  return Buffer.from(JSON.stringify({ ...r, current: hex(r.current), bitmap: hex(r.bitmap), history: r.history.map(hex) }));
}

/** The peer's state report, or undefined when it is not a JSON object. */
export function decodeReport(data: Buffer): Report | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const big = (v: unknown) => (typeof v === 'string' && /^[0-9A-F]{16}$/.test(v) ? BigInt('0x' + v) : 0n);
  return {
    name: String(raw.name), role: raw.role === 'Primary' ? 'Primary' : 'Secondary', disk: String(raw.disk),
    current: big(raw.current), bitmap: big(raw.bitmap), history: Array.isArray(raw.history) ? [big(raw.history[0]), big(raw.history[1])] : [0n, 0n],
    dirty: Number(raw.dirty) || 0, crashedPrimary: raw.crashedPrimary === true, discardMyData: raw.discardMyData === true,
    primarySince: Number(raw.primarySince) || 0, size: Number(raw.size) || 0, policies: raw.policies as Policies,
  };
}
