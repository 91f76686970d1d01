/**
 * ipvsadm -c: the connection table from /proc/net/ip_vs_conn (written by the kernel's
 * ip_vs_conn_seq_show), printed the way ipvsadm's print_conn does.
 */
import { formatAddress } from '../address';
import { addrPort, FMT, Names } from './format';

interface Row {
  protocol: string;
  family: [4 | 6, 4 | 6, 4 | 6];
  addresses: [string, string, string];
  ports: [number, number, number];
  state: string;
  expires: number;
  peData: string;
}

function parseAddress(text: string): [4 | 6, string] {
  if (text.includes(':')) {
    const bytes = Buffer.from(text.replace(/:/g, ''), 'hex');
    return [6, formatAddress(6, bytes)];
  }
  const value = parseInt(text, 16) >>> 0;
  return [4, [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join('.')];
}

export function parseConnections(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const [cf, ca] = parseAddress(f[1]!);
    const [vf, va] = parseAddress(f[3]!);
    const [df, da] = parseAddress(f[5]!);
    rows.push({
      protocol: f[0]!,
      family: [cf, vf, df],
      addresses: [ca, va, da],
      ports: [parseInt(f[2]!, 16), parseInt(f[4]!, 16), parseInt(f[6]!, 16)],
      state: f[7]!,
      expires: Number(f[8]),
      peData: f[10] ?? '',
    });
  }
  return rows;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export async function listConnections(format: number, procText: string, names: (addresses: string[]) => Promise<Names>): Promise<string> {
  const rows = parseConnections(procText);
  const lookup = await names(rows.flatMap((r) => r.addresses));
  let out = 'IPVS connection entries\n';
  out += format & FMT.PERSISTENTCONN ? 'pro expire state       source             virtual            destination        pe name pe_data\n' : 'pro expire state       source             virtual            destination\n';
  for (const r of rows) {
    const protocol = r.protocol.toLowerCase();
    const [c, v, d] = [0, 1, 2].map((i) => addrPort(r.family[i]!, r.addresses[i]!, r.ports[i]!, protocol, format, lookup));
    const expire = `${String(Math.floor(r.expires / 60)).padStart(2, '0')}:${String(r.expires % 60).padStart(2, '0')}`;
    if (format & FMT.PERSISTENTCONN) out += `${pad(r.protocol, 3)} ${pad(expire, 6)} ${pad(r.state, 11)} ${pad(c!, 18)} ${pad(v!, 18)} ${pad(d!, 18)} ${r.peData}\n`;
    else out += `${pad(r.protocol, 3)} ${pad(expire, 6)} ${pad(r.state, 11)} ${pad(c!, 18)} ${pad(v!, 18)} ${d}\n`;
  }
  return out;
}
