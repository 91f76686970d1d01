/**
 * osdmaptool's test output for one pool (Ceph 16 tools/osdmaptool.cc): --test-map-object,
 * --test-map-pg and --test-map-pgs[-dump] with its per-OSD table and summary.
 */
import { cG } from './format';
import { formatOsdList, formatPgid, objectToPg, type PgMapping, type PoolPlacement } from './placement';
import { ITEM_NONE } from './types';

export function testMapObject(placement: PoolPlacement, name: string): string {
  const pg = objectToPg(placement.pool, name);
  const m = placement.pgToOsds(pg.ps);
  return ` object '${name}' -> ${formatPgid(pg.pool, pg.ps)} -> ${formatOsdList(m.acting)}\n`;
}

export function testMapPg(placement: PoolPlacement, ps: number, text: string): string {
  const m = placement.pgToOsds(ps);
  const p = (list: number[], primary: number) => `${formatOsdList(list)}, p${primary}`;
  return ` parsed '${text}' -> ${m.pgid}\n${m.pgid} raw (${p(m.raw, m.raw.find((o) => o !== ITEM_NONE) ?? -1)}) up (${p(m.up, m.upPrimary)}) acting (${p(m.acting, m.actingPrimary)})\n`;
}

/** CrushWrapper::get_item_weight: the weight in the first bucket (by index) holding the item. */
function crushItemWeight(placement: PoolPlacement, id: number): number {
  for (const b of placement.compiled.map.buckets) {
    if (!b) continue;
    if (b.id === id) return b.weight;
    const i = b.items.indexOf(id);
    if (i >= 0) return b.itemWeights[i]! | 0;
  }
  return -2; // -ENOENT
}

/** --test-map-pgs (dump: also every PG line). */
export function testMapPgs(placement: PoolPlacement, options: { dump?: boolean; threads?: number } = {}): string {
  const out: string[] = [];
  const n = placement.maxOsd;
  const count = new Array<number>(n).fill(0);
  const first = new Array<number>(n).fill(0);
  const primaryCount = new Array<number>(n).fill(0);
  const size = new Map<number, number>();
  let maxSize = 0;
  out.push(`pool ${placement.pool.id} pg_num ${placement.pool.pgNum}\n`);
  const pgs: PgMapping[] = placement.allPgs({ threads: options.threads });
  for (const m of pgs) {
    const osds = m.acting;
    size.set(osds.length, (size.get(osds.length) ?? 0) + 1);
    if (maxSize < osds.length) maxSize = osds.length;
    if (options.dump) out.push(`${m.pgid}\t${formatOsdList(osds)}\t${m.actingPrimary}\n`);
    for (const o of osds) if (o !== ITEM_NONE) count[o]!++;
    if (osds.length && osds[0] !== ITEM_NONE) first[osds[0]!]!++;
    if (m.actingPrimary >= 0) primaryCount[m.actingPrimary]!++;
  }
  out.push('#osd\tcount\tfirst\tprimary\tc wt\twt\n');
  let total = 0;
  let inCount = 0;
  let minOsd = -1;
  let maxOsd = -1;
  const counted: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!placement.isIn(i)) continue;
    const cw = crushItemWeight(placement, i);
    if (cw <= 0) continue;
    inCount++;
    counted.push(i);
    out.push(`osd.${i}\t${count[i]}\t${first[i]}\t${primaryCount[i]}\t${cG(Math.fround(Math.fround(cw) / 65536))}\t${cG(Math.fround(placement.weights[i]! / 65536))}\n`);
    total += count[i]!;
    if (count[i] && (minOsd < 0 || count[i]! < count[minOsd]!)) minOsd = i;
    if (count[i] && (maxOsd < 0 || count[i]! > count[maxOsd]!)) maxOsd = i;
  }
  const avg = inCount ? Math.floor(total / inCount) : 0;
  let dev = 0;
  for (const i of counted) dev += (avg - count[i]!) * (avg - count[i]!);
  dev = Math.sqrt(dev / inCount);
  const edev = Math.sqrt((total / inCount) * (1.0 - 1.0 / inCount));
  out.push(` in ${inCount}\n`);
  out.push(` avg ${avg} stddev ${cG(dev)} (${cG(dev / avg)}x) (expected ${cG(edev)} ${cG(edev / avg)}x))\n`);
  if (minOsd >= 0) out.push(` min osd.${minOsd} ${count[minOsd]}\n`);
  if (maxOsd >= 0) out.push(` max osd.${maxOsd} ${count[maxOsd]}\n`);
  for (let i = 0; i <= maxSize; i++) if (size.get(i)) out.push(`size ${i}\t${size.get(i)}\n`);
  return out.join('');
}
