/**
 * crushtool -d: CrushMap -> text, byte for byte as Ceph 16's CrushCompiler::decompile prints
 * it (tunables that differ from legacy, devices, types, buckets children-first skipping
 * shadow buckets, rules with class takes, choose_args). Weights print as printf("%.3f") of a
 * float, with C's round-half-even on exact ties.
 */
import { cFixed } from './format';
import { algName, ALG, type CrushMap, legacyTunables, OP, RULE_TYPE, sortedKeys } from './types';

/** printf("%.3f", (float)v / (float)0x10000) for an int v. */
export function fixedPoint(v: number): string {
  return cFixed(Math.fround(v | 0) / 65536, 3);
}

const VALID_NAME = /^[A-Za-z0-9_.-]+$/;

export function decompileMap(map: CrushMap): string {
  const out: string[] = ['# begin crush map\n'];
  const t = map.tunables;
  const legacy = legacyTunables();
  const tun: Array<[string, number, number]> = [
    ['choose_local_tries', t.chooseLocalTries, legacy.chooseLocalTries],
    ['choose_local_fallback_tries', t.chooseLocalFallbackTries, legacy.chooseLocalFallbackTries],
    ['choose_total_tries', t.chooseTotalTries, legacy.chooseTotalTries],
    ['chooseleaf_descend_once', t.chooseleafDescendOnce, legacy.chooseleafDescendOnce],
    ['chooseleaf_vary_r', t.chooseleafVaryR, legacy.chooseleafVaryR],
    ['chooseleaf_stable', t.chooseleafStable, legacy.chooseleafStable],
    ['straw_calc_version', t.strawCalcVersion, legacy.strawCalcVersion],
    ['allowed_bucket_algs', t.allowedBucketAlgs, legacy.allowedBucketAlgs],
  ];
  for (const [name, value, def] of tun) if (value !== def) out.push(`tunable ${name} ${value}\n`);

  out.push('\n# devices\n');
  for (let i = 0; i < map.maxDevices; i++) {
    const name = map.names.get(i);
    if (name === undefined) continue;
    const cls = map.classMap.has(i) ? map.classNames.get(map.classMap.get(i)!) : undefined;
    out.push(`device ${i} ${name}${cls !== undefined ? ` class ${cls}` : ''}\n`);
  }

  out.push('\n# types\n');
  let n = map.typeNames.size;
  for (let i = 0; n > 0 && i <= 0x7fffffff; i++) {
    const name = map.typeNames.get(i);
    if (name === undefined) {
      if (i === 0) out.push('type 0 osd\n');
      if (i > Math.max(...map.typeNames.keys())) break;
      continue;
    }
    n--;
    out.push(`type ${i} ${name}\n`);
  }

  const typeName = (type: number) => map.typeNames.get(type) ?? (type === 0 ? 'device' : `type${type}`);
  const itemName = (id: number) => map.names.get(id) ?? (id >= 0 ? `device${id}` : `bucket${-1 - id}`);

  out.push('\n# buckets\n');
  const state = new Map<number, 'busy' | 'done'>();
  const visit = (id: number): void => {
    const b = id < 0 ? map.buckets[-1 - id] : null;
    if (!b || state.get(id) === 'done') return;
    if (state.get(id) === 'busy') throw new Error(`bucket ${id} contains itself`);
    state.set(id, 'busy');
    for (const item of b.items) visit(item);
    state.set(id, 'done');
    const name = map.names.get(id);
    if (name !== undefined && !VALID_NAME.test(name)) return;
    out.push(`${typeName(b.type)} ${itemName(id)} {\n`);
    out.push(`\tid ${id}\t\t# do not change unnecessarily\n`);
    const classes = map.classBuckets.get(id);
    if (classes) for (const c of sortedKeys(classes)) out.push(`\tid ${classes.get(c)} class ${map.classNames.get(c)}\t\t# do not change unnecessarily\n`);
    out.push(`\t# weight ${fixedPoint(b.weight)}\n`);
    let alg = `\talg ${algName(b.alg)}`;
    const dopos = b.alg === ALG.uniform || b.alg === ALG.tree;
    if (b.alg === ALG.uniform) alg += `\t# do not change bucket size (${b.items.length}) unnecessarily`;
    else if (b.alg === ALG.list) alg += '\t# add new items at the end; do not change order unnecessarily';
    else if (b.alg === ALG.tree) alg += '\t# do not change pos for existing items unnecessarily';
    out.push(`${alg}\n`);
    out.push(`\thash ${b.hash}\t# ${b.hash === 0 ? 'rjenkins1' : 'unknown'}\n`);
    b.items.forEach((item, j) => {
      out.push(`\titem ${itemName(item)} weight ${fixedPoint(b.itemWeights[j]!)}${dopos ? ` pos ${j}` : ''}\n`);
    });
    out.push('}\n');
  };
  for (let i = 0; i < map.buckets.length; i++) visit(-1 - i);

  out.push('\n# rules\n');
  for (const rule of map.rules) {
    if (!rule) continue;
    const name = map.ruleNames.get(rule.id);
    out.push(`rule ${name ?? ''} {\n\tid ${rule.id}\n`);
    out.push(rule.type === RULE_TYPE.replicated ? '\ttype replicated\n' : rule.type === RULE_TYPE.erasure ? '\ttype erasure\n' : `\ttype ${rule.type}\n`);
    out.push(`\tmin_size ${rule.minSize}\n\tmax_size ${rule.maxSize}\n`);
    for (const s of rule.steps) {
      switch (s.op) {
        case OP.noop:
          out.push('\tstep noop\n');
          break;
        case OP.take: {
          const original = shadowOrigin(map, s.arg1);
          out.push(`\tstep take ${original ? `${itemName(original.id)} class ${original.className}` : itemName(s.arg1)}\n`);
          break;
        }
        case OP.emit:
          out.push('\tstep emit\n');
          break;
        case OP.setChooseTries:
          out.push(`\tstep set_choose_tries ${s.arg1}\n`);
          break;
        case OP.setChooseLocalTries:
          out.push(`\tstep set_choose_local_tries ${s.arg1}\n`);
          break;
        case OP.setChooseLocalFallbackTries:
          out.push(`\tstep set_choose_local_fallback_tries ${s.arg1}\n`);
          break;
        case OP.setChooseleafTries:
          out.push(`\tstep set_chooseleaf_tries ${s.arg1}\n`);
          break;
        case OP.setChooseleafVaryR:
          out.push(`\tstep set_chooseleaf_vary_r ${s.arg1}\n`);
          break;
        case OP.setChooseleafStable:
          out.push(`\tstep set_chooseleaf_stable ${s.arg1}\n`);
          break;
        case OP.chooseFirstn:
        case OP.chooseIndep:
        case OP.chooseleafFirstn:
        case OP.chooseleafIndep: {
          const leaf = s.op === OP.chooseleafFirstn || s.op === OP.chooseleafIndep;
          const firstn = s.op === OP.chooseFirstn || s.op === OP.chooseleafFirstn;
          out.push(`\tstep ${leaf ? 'chooseleaf' : 'choose'} ${firstn ? 'firstn' : 'indep'} ${s.arg1} type ${typeName(s.arg2)}\n`);
          break;
        }
      }
    }
    out.push('}\n');
  }

  if (map.chooseArgs.length) {
    out.push('\n# choose_args\n');
    for (const ca of map.chooseArgs) {
      out.push(`choose_args ${BigInt.asUintN(64, ca.index)} {\n`);
      for (const a of [...ca.args].sort((x, y) => x.bucketIndex - y.bucketIndex)) {
        if (!a.weightSet.length && !a.ids.length) continue;
        out.push(`  {\n    bucket_id ${-1 - a.bucketIndex}\n`);
        if (a.weightSet.length) {
          out.push('    weight_set [\n');
          for (const ws of a.weightSet) out.push(`      [ ${ws.map((w) => fixedPoint(w) + ' ').join('')}]\n`);
          out.push('    ]\n');
        }
        if (a.ids.length) out.push(`    ids [ ${a.ids.map((id) => `${id} `).join('')}]\n`);
        out.push('  }\n');
      }
      out.push('}\n');
    }
  }
  out.push('\n# end crush map\n');
  return out.join('');
}

/** CrushWrapper::split_id_class: a shadow bucket `name~class` -> its original and class. */
function shadowOrigin(map: CrushMap, id: number): { id: number; className: string } | undefined {
  const name = map.names.get(id);
  if (name === undefined) return undefined;
  const tilde = name.indexOf('~');
  if (tilde < 0) return undefined;
  const base = name.slice(0, tilde);
  const className = name.slice(tilde + 1);
  for (const [k, v] of map.names) if (v === base) return { id: k, className };
  return undefined;
}
