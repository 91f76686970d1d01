/**
 * no_accept mode (RFC 5798 6.1 Accept_Mode false; keepalived `no_accept`, implied by
 * `vrrp_strict` below priority 255): while an instance is master, packets to its VIPs are not
 * accepted locally. As keepalived 2.2.7 does it (measured with vrrp_strict, see docs/vrrp.md):
 * an nftables table with one address set per family and two base chains at priority filter - 1,
 *   input:  ip daddr @vips drop      output: ip saddr @vips drop
 * and the instance's addresses in the set only while it is MASTER. Driven through Debian's `nft`
 * (nft(8)), one batch per change, queued so changes apply in order.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { HakitError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { canonical, familyOf } from './addr';

export interface FirewallOptions {
  /** nftables table (keepalived's `nftables TABLENAME`); default `hakit`. */
  table?: string;
  /** The nft command (default: systemNft()). */
  nft?: string[];
  log?: Logger;
}

function runNft(argv: string[], script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, [...argv.slice(1), '-f', '-'], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new HakitError(missing ? 'VRRP_NO_NFT' : 'VRRP_NFT', missing ? `no_accept needs nftables: '${argv[0]}' not found (apt-get install nftables)` : `nft failed: ${String(stderr).trim() || error.message}`, { script }));
    });
    child.stdin?.end(script);
  });
}

/**
 * nftables' nft from the system directories first: under npm (PATH with node_modules/.bin) `nft`
 * can be another program (@vercel/nft, a dependency of the test runner, exits 0 on our input).
 */
export function systemNft(): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (fs.existsSync(`${dir}/nft`)) return `${dir}/nft`;
  }
  return 'nft';
}

export class NftFirewall {
  readonly table: string;
  private readonly nft: string[];
  private readonly log: Logger;
  /** Address → how many master instances drop it (two instances may share an eVIP). */
  private readonly held = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private created = false;

  constructor(options: FirewallOptions = {}) {
    this.table = options.table ?? 'hakit';
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(this.table)) throw new HakitError('VRRP_BAD_CONFIG', `nftables table name '${this.table}' is not valid`);
    this.nft = options.nft ?? [systemNft()];
    this.log = options.log ?? silentLogger;
  }

  /** Starts dropping traffic to these addresses (an instance became master). */
  drop(addresses: string[]): Promise<void> {
    const fresh = this.count(addresses, +1);
    return this.enqueue(fresh, 'add');
  }

  /** Stops dropping them (the instance left master). */
  accept(addresses: string[]): Promise<void> {
    const gone = this.count(addresses, -1);
    return this.enqueue(gone, 'delete');
  }

  /** Removes the table (router stop). */
  close(): Promise<void> {
    this.held.clear();
    this.queue = this.queue.then(async () => {
      if (!this.created) return;
      this.created = false;
      await runNft(this.nft, `delete table ip ${this.table}\ndelete table ip6 ${this.table}\n`).catch((error) => this.log.warn('could not remove the nftables table', { error }));
    });
    return this.queue;
  }

  /** The addresses currently dropped (tests, status). */
  dropped(): string[] {
    return [...this.held.keys()];
  }

  private count(addresses: string[], delta: number): string[] {
    const changed: string[] = [];
    for (const raw of addresses) {
      const a = canonical(raw);
      const n = (this.held.get(a) ?? 0) + delta;
      if (n < 0) continue;
      if (n === 0) this.held.delete(a);
      else this.held.set(a, n);
      if ((delta > 0 && n === 1) || (delta < 0 && n === 0)) changed.push(a);
    }
    return changed;
  }

  private enqueue(addresses: string[], op: 'add' | 'delete'): Promise<void> {
    if (addresses.length === 0) return this.queue;
    const change = this.queue.then(async () => {
      let script = '';
      if (!this.created) script += this.tableScript();
      for (const [family, set] of [[4, 'ip'], [6, 'ip6']] as const) {
        const list = addresses.filter((a) => familyOf(a) === family);
        if (list.length) script += `${op} element ${set} ${this.table} vips { ${list.join(', ')} }\n`;
      }
      try {
        await runNft(this.nft, script);
        this.created = true;
      } catch (error) {
        this.log.error(`could not ${op === 'add' ? 'set' : 'remove'} the no_accept drop rule`, { error });
        throw error;
      }
    });
    this.queue = change.catch(() => undefined);  // one failed change does not block the next
    return change;
  }

  /** Both tables from scratch (a table left by a killed run is replaced). */
  private tableScript(): string {
    let s = '';
    for (const [set, type] of [['ip', 'ipv4_addr'], ['ip6', 'ipv6_addr']] as const) {
      const addr = set === 'ip' ? 'ip' : 'ip6';
      s += `table ${set} ${this.table}\ndelete table ${set} ${this.table}\n`;
      s += `table ${set} ${this.table} {\n  set vips { type ${type}; }\n`;
      s += `  chain in { type filter hook input priority filter - 1; policy accept; ${addr} daddr @vips drop; }\n`;
      s += `  chain out { type filter hook output priority filter - 1; policy accept; ${addr} saddr @vips drop; }\n}\n`;
    }
    return s;
  }
}
