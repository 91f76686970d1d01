/**
 * crushtool -c: text map -> CrushMap, following Ceph 16's CrushCompiler (parse_crush,
 * parse_bucket, parse_rule, parse_choose_args) and CrushWrapper (populate_classes,
 * device_class_clone, finalize) so the encoded result equals crushtool's bytes. Every error
 * names line:column.
 */
import { makeBucket } from './builder';
import { CrushParseError, type Token, TokenStream, fixedWeight, tokenize } from './tokens';
import { ALG, type Bucket, type ChooseArg, type CrushMap, emptyMap, OP, RULE_TYPE, type Rule, type Step, sortedKeys } from './types';

const MAX_DEVICE_WEIGHT = 100 * 0x10000;
const MAX_BUCKET_WEIGHT = 65535 * 0x10000;

const TUNABLES: Record<string, keyof CrushMap['tunables']> = {
  choose_local_tries: 'chooseLocalTries',
  choose_local_fallback_tries: 'chooseLocalFallbackTries',
  choose_total_tries: 'chooseTotalTries',
  chooseleaf_descend_once: 'chooseleafDescendOnce',
  chooseleaf_vary_r: 'chooseleafVaryR',
  chooseleaf_stable: 'chooseleafStable',
  straw_calc_version: 'strawCalcVersion',
  allowed_bucket_algs: 'allowedBucketAlgs',
};
const TUNABLE_BITS: Record<string, number> = { chooseleafVaryR: 8, strawCalcVersion: 8, chooseleafStable: 8 };

const SET_STEPS: Record<string, number> = {
  set_choose_tries: OP.setChooseTries,
  set_chooseleaf_tries: OP.setChooseleafTries,
  set_choose_local_tries: OP.setChooseLocalTries,
  set_choose_local_fallback_tries: OP.setChooseLocalFallbackTries,
  set_chooseleaf_vary_r: OP.setChooseleafVaryR,
  set_chooseleaf_stable: OP.setChooseleafStable,
};

// Parsed statements, positions kept for errors.
interface BucketItemSyntax {
  name: Token;
  weight?: { value: number; token: Token };
  pos?: { value: number; token: Token };
}
interface BucketSyntax {
  kind: 'bucket';
  typeName: Token;
  name: Token;
  ids: Array<{ id: number; token: Token; className?: Token }>;
  alg?: Token;
  hash?: { value: number; token: Token };
  items: BucketItemSyntax[];
  leadingIds: number[];
}
interface StepSyntax {
  word: Token;
  args: Token[];
  ints: number[];
}
interface RuleSyntax {
  kind: 'rule';
  start: Token;
  name?: Token;
  id: { value: number; token: Token };
  type: Token;
  minSize: number;
  maxSize: number;
  steps: StepSyntax[];
}
interface ChooseArgSyntax {
  bucketId: { value: number; token: Token };
  weightSet?: Array<Array<{ value: number; token: Token }>>;
  weightSetToken?: Token;
  ids?: Array<{ value: number; token: Token }>;
  idsToken?: Token;
}
type Statement =
  | { kind: 'tunable'; name: Token; value: number }
  | { kind: 'device'; id: number; idToken: Token; name: Token; className?: Token }
  | { kind: 'type'; id: number; name: Token }
  | BucketSyntax
  | RuleSyntax
  | { kind: 'choose_args'; index: number; token: Token; args: ChooseArgSyntax[] };

function parseStatements(s: TokenStream): Statement[] {
  const out: Statement[] = [];
  while (s.peek()) {
    const head = s.peek()!;
    switch (head.text) {
      case 'tunable': {
        s.next('tunable');
        const name = s.name('a tunable name');
        out.push({ kind: 'tunable', name, value: s.int('a tunable value').value });
        break;
      }
      case 'device': {
        s.next('device');
        const id = s.int('a device id');
        if (id.value < 0) s.fail('device ids must not be negative', id.token);
        const name = s.name('a device name');
        const className = s.accept('class') ? s.name('a device class') : undefined;
        out.push({ kind: 'device', id: id.value, idToken: id.token, name, className });
        break;
      }
      case 'type': {
        s.next('type');
        const id = s.int('a type id');
        if (id.value < 0) s.fail('type ids must not be negative', id.token);
        out.push({ kind: 'type', id: id.value, name: s.name('a type name') });
        break;
      }
      case 'rule':
        out.push(parseRule(s));
        break;
      case 'choose_args':
        out.push(parseChooseArgs(s));
        break;
      default:
        out.push(parseBucket(s));
    }
  }
  return out;
}

function parseBucket(s: TokenStream): BucketSyntax {
  const typeName = s.name('a bucket type, or one of tunable, device, type, rule, choose_args');
  const name = s.name('a bucket name');
  s.expect('{');
  const b: BucketSyntax = { kind: 'bucket', typeName, name, ids: [], items: [], leadingIds: [] };
  let leading = true;
  for (;;) {
    const t = s.next("a bucket line or '}'");
    if (t.text === '}') break;
    if (t.text !== 'id') leading = false;
    switch (t.text) {
      case 'id': {
        const id = s.int('a bucket id');
        const className = s.accept('class') ? s.name('a device class') : undefined;
        if (id.value >= 0) s.fail('bucket ids must be negative', id.token);
        b.ids.push({ id: id.value, token: id.token, className });
        if (leading) b.leadingIds.push(id.value);
        break;
      }
      case 'alg':
        b.alg = s.name('a bucket algorithm');
        break;
      case 'hash': {
        const h = s.next('a hash');
        b.hash = { value: h.text === 'rjenkins1' ? 0 : /^[-+]?\d+$/.test(h.text) ? Number(h.text) | 0 : s.fail(`unknown hash '${h.text}'`, h), token: h };
        break;
      }
      case 'item': {
        const item: BucketItemSyntax = { name: s.name('an item name') };
        for (;;) {
          if (s.accept('weight')) item.weight = s.real('an item weight');
          else if (s.accept('pos')) {
            item.pos = s.int('an item position');
            if (item.pos.value < 0) s.fail('item positions must not be negative', item.pos.token);
          } else break;
        }
        b.items.push(item);
        break;
      }
      default:
        s.fail(`unexpected '${t.text}' in bucket '${name.text}' (expected id, alg, hash, item or '}')`, t);
    }
  }
  return b;
}

function parseRule(s: TokenStream): RuleSyntax {
  const start = s.next('rule');
  const name = s.peek()?.text === '{' ? undefined : s.name('a rule name');
  s.expect('{');
  const idWord = s.next("'id'");
  if (idWord.text !== 'id' && idWord.text !== 'ruleset') s.fail(`expected 'id', got '${idWord.text}'`, idWord);
  const id = s.int('a rule id');
  if (id.value < 0) s.fail('rule ids must not be negative', id.token);
  s.expect('type');
  const type = s.next('replicated or erasure');
  if (type.text !== 'replicated' && type.text !== 'erasure') s.fail(`rule type must be replicated or erasure, got '${type.text}'`, type);
  s.expect('min_size');
  const minSize = s.int('min_size').value;
  s.expect('max_size');
  const maxSize = s.int('max_size').value;
  const steps: StepSyntax[] = [];
  for (;;) {
    const t = s.next("'step' or '}'");
    if (t.text === '}') break;
    if (t.text !== 'step') s.fail(`expected 'step' or '}', got '${t.text}'`, t);
    const word = s.next('a step');
    if (word.text === 'take') {
      const item = s.name('an item to take');
      const args = [item];
      if (s.accept('class')) args.push(s.name('a device class'));
      steps.push({ word, args, ints: [] });
    } else if (word.text === 'emit' || word.text === 'noop') {
      steps.push({ word, args: [], ints: [] });
    } else if (word.text in SET_STEPS) {
      steps.push({ word, args: [], ints: [s.int(`a value for ${word.text}`).value] });
    } else if (word.text === 'choose' || word.text === 'chooseleaf') {
      const mode = s.next('firstn or indep');
      if (mode.text !== 'firstn' && mode.text !== 'indep') s.fail(`expected firstn or indep, got '${mode.text}'`, mode);
      const n = s.int('a replica count');
      s.expect('type');
      const typeName = s.name('a type name');
      steps.push({ word, args: [mode, typeName], ints: [n.value] });
    } else {
      s.fail(`unknown step '${word.text}'`, word);
    }
  }
  return { kind: 'rule', start, name, id, type, minSize, maxSize, steps };
}

function parseChooseArgs(s: TokenStream): Statement {
  s.next('choose_args');
  const index = s.int('a choose_args index');
  s.expect('{');
  const args: ChooseArgSyntax[] = [];
  for (;;) {
    const t = s.next("'{' or '}'");
    if (t.text === '}') break;
    if (t.text !== '{') s.fail(`expected '{' or '}', got '${t.text}'`, t);
    s.expect('bucket_id');
    const arg: ChooseArgSyntax = { bucketId: s.int('a bucket id') };
    for (;;) {
      const u = s.next("weight_set, ids or '}'");
      if (u.text === '}') break;
      if (u.text === 'weight_set') {
        arg.weightSetToken = u;
        arg.weightSet = [];
        s.expect('[');
        while (!s.accept(']')) {
          s.expect('[');
          const row: Array<{ value: number; token: Token }> = [];
          while (!s.accept(']')) row.push(s.real('a weight'));
          arg.weightSet.push(row);
        }
      } else if (u.text === 'ids') {
        arg.idsToken = u;
        arg.ids = [];
        s.expect('[');
        while (!s.accept(']')) arg.ids.push(s.int('an id'));
      } else {
        s.fail(`expected weight_set, ids or '}', got '${u.text}'`, u);
      }
    }
    args.push(arg);
  }
  return { kind: 'choose_args', index: index.value, token: index.token, args };
}

/** CrushCompiler::adjust_bucket_item_place, including its in-place swaps of stale positions. */
function adjustBucketOrder(statements: Statement[], s: TokenStream): void {
  const names: string[] = [];
  const position = new Map<string, number>();
  const items = new Map<string, Set<string>>();
  statements.forEach((st, i) => {
    if (st.kind !== 'bucket') return;
    names.push(st.name.text);
    position.set(st.name.text, i);
    items.set(st.name.text, new Set(st.items.map((it) => it.name.text)));
  });
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (items.get(names[i]!)!.has(names[j]!)) {
        if (items.get(names[j]!)!.has(names[i]!)) {
          const st = statements[position.get(names[i]!)!] as BucketSyntax;
          s.fail(`bucket '${names[i]}' and bucket '${names[j]}' are included each other`, st.name);
        }
        const a = position.get(names[i]!)!;
        const b = position.get(names[j]!)!;
        [statements[a], statements[b]] = [statements[b]!, statements[a]!];
      }
    }
  }
}

class Compiler {
  readonly map = emptyMap();
  private itemId = new Map<string, number>();
  private idItem = new Map<number, string>();
  private itemWeight = new Map<number, number>();
  private typeId = new Map<string, number>();
  private ruleId = new Map<string, number>();
  private classBucketText = new Map<number, Map<number, number>>();

  constructor(private s: TokenStream) {}

  fail(message: string, token?: Token): never {
    return this.s.fail(message, token);
  }

  classId(name: string): number {
    for (const [id, n] of this.map.classNames) if (n === name) return id;
    const ids = sortedKeys(this.map.classNames);
    const id = ids.length ? ids[ids.length - 1]! + 1 : 0;
    this.map.classNames.set(id, name);
    return id;
  }

  addBucketAt(b: Bucket): void {
    const pos = -1 - b.id;
    if (pos >= this.map.buckets.length) {
      let size = this.map.buckets.length;
      while (pos >= size) size = size ? size * 2 : 8;
      while (this.map.buckets.length < size) this.map.buckets.push(null);
    }
    this.map.buckets[pos] = b;
  }

  run(statements: Statement[]): CrushMap {
    for (const st of statements) {
      if (st.kind === 'bucket') for (const id of st.leadingIds) this.idItem.set(id, '');
    }
    adjustBucketOrder(statements, this.s);
    let sawRule = false;
    for (const st of statements) {
      switch (st.kind) {
        case 'tunable': {
          const key = TUNABLES[st.name.text] ?? this.fail(`tunable ${st.name.text} not recognized`, st.name);
          const bits = TUNABLE_BITS[key];
          this.map.tunables[key] = bits ? st.value & 0xff : st.value >>> 0;
          break;
        }
        case 'device':
          this.device(st);
          break;
        case 'type':
          this.typeId.set(st.name.text, st.id);
          this.map.typeNames.set(st.id, st.name.text);
          break;
        case 'bucket':
          if (sawRule) this.fail('buckets must be defined before rules', st.typeName);
          this.bucket(st);
          break;
        case 'rule':
          if (!sawRule) {
            sawRule = true;
            this.populateClasses();
          }
          this.rule(st);
          break;
        case 'choose_args':
          this.chooseArgs(st);
          break;
      }
    }
    this.finalize();
    return this.map;
  }

  device(st: Extract<Statement, { kind: 'device' }>): void {
    if (this.itemId.has(st.name.text)) this.fail(`item ${st.name.text} defined twice`, st.name);
    this.map.names.set(st.id, st.name.text);
    this.itemId.set(st.name.text, st.id);
    this.idItem.set(st.id, st.name.text);
    if (st.className) this.map.classMap.set(st.id, this.classId(st.className.text));
  }

  bucket(st: BucketSyntax): void {
    const type = this.typeId.get(st.typeName.text);
    if (type === undefined) this.fail(`bucket type '${st.typeName.text}' is not defined`, st.typeName);
    if (this.itemId.has(st.name.text)) this.fail(`bucket or device '${st.name.text}' is already defined`, st.name);
    let id = 0;
    const classIds = new Map<number, number>();
    for (const entry of st.ids) {
      if (entry.className) {
        const cid = this.classId(entry.className.text);
        if (classIds.has(cid)) this.fail(`duplicate device class ${entry.className.text} for bucket ${st.name.text}`, entry.className);
        classIds.set(cid, entry.id);
      } else {
        id = entry.id;
      }
    }
    const alg = st.alg ? (ALG as Record<string, number>)[st.alg.text] : undefined;
    if (st.alg && alg === undefined) this.fail(`unknown bucket alg '${st.alg.text}'`, st.alg);
    if (alg === undefined) this.fail(`bucket '${st.name.text}' has no alg`, st.name);
    const used = new Set<number>();
    for (const it of st.items) {
      if (it.pos === undefined) continue;
      if (used.has(it.pos.value)) this.fail(`item '${it.name.text}' in bucket '${st.name.text}' has explicit pos ${it.pos.value}, which is occupied`, it.pos.token);
      used.add(it.pos.value);
    }
    let size = st.items.length;
    if (used.size) size = Math.max(size, Math.max(...used));
    const items = new Array<number>(size).fill(0);
    const weights = new Array<number>(size).fill(0);
    let curpos = 0;
    let bucketWeight = 0;
    let uniformWeight: number | undefined;
    for (const it of st.items) {
      const itemId = this.itemId.get(it.name.text);
      if (itemId === undefined) this.fail(`item '${it.name.text}' in bucket '${st.name.text}' is not defined`, it.name);
      let weight = this.itemWeight.get(itemId) ?? 0x10000;
      if (it.weight) {
        weight = fixedWeight(it.weight.value);
        if (weight > MAX_DEVICE_WEIGHT && itemId >= 0) this.fail(`device weight limited to ${MAX_DEVICE_WEIGHT / 0x10000}`, it.weight.token);
        if (weight > MAX_BUCKET_WEIGHT && itemId < 0) this.fail(`bucket weight limited to ${MAX_BUCKET_WEIGHT / 0x10000} to prevent overflow`, it.weight.token);
      }
      if (alg === ALG.uniform) {
        if (uniformWeight === undefined) uniformWeight = weight;
        else if (uniformWeight !== weight) this.fail(`item '${it.name.text}' in uniform bucket '${st.name.text}' has weight ${weight / 0x10000} but previous item(s) have weight ${uniformWeight / 0x10000}; uniform bucket items must all have identical weights`, it.name);
      }
      let pos = it.pos?.value ?? -1;
      if (pos >= size) this.fail(`item '${it.name.text}' in bucket '${st.name.text}' has pos ${pos} >= size ${size}`, it.pos?.token);
      if (pos < 0) {
        while (used.has(curpos)) curpos++;
        pos = curpos++;
      }
      items[pos] = itemId;
      weights[pos] = weight;
      if (bucketWeight + weight > 0xffffffff) this.fail('bucket weights overflow; lower the item weights', it.name);
      bucketWeight += weight;
    }
    if (id === 0) for (id = -1; this.idItem.has(id); id--);
    if (classIds.size) this.classBucketText.set(id, classIds);
    this.idItem.set(id, st.name.text);
    this.itemId.set(st.name.text, id);
    this.itemWeight.set(id, bucketWeight);
    if (alg === ALG.uniform && (size === 0 || !uniformWeight)) this.fail(`uniform bucket '${st.name.text}' needs items of non-zero weight`, st.name);
    if (this.map.buckets[-1 - id]) this.fail(`Duplicate bucket id ${id}`, st.name);
    this.addBucketAt(makeBucket(id, alg, st.hash?.value ?? 0, type, items, weights, this.map.tunables.strawCalcVersion));
    this.map.names.set(id, st.name.text);
  }

  /** CrushWrapper::populate_classes: a shadow tree per (non-shadow root, class). */
  populateClasses(): void {
    const usedIds = new Set<number>();
    for (const m of this.classBucketText.values()) for (const v of m.values()) usedIds.add(v);
    const children = new Set<number>();
    for (const b of this.map.buckets) if (b) for (const item of b.items) if (item < 0) children.add(item);
    const roots = this.map.buckets.filter((b): b is Bucket => !!b && !children.has(b.id)).map((b) => b.id).sort((a, b) => a - b);
    // Ceph 16 cannot clone a uniform bucket (an empty uniform bucket is invalid) and ends up
    // with no shadow trees at all for such a map.
    if (this.map.buckets.some((b) => b && b.alg === ALG.uniform)) return;
    for (const root of roots) for (const cls of sortedKeys(this.map.classNames)) this.cloneForClass(root, cls, usedIds);
  }

  cloneForClass(originalId: number, cls: number, usedIds: Set<number>): number {
    const copyName = `${this.map.names.get(originalId)}~${this.map.classNames.get(cls)}`;
    for (const [id, n] of this.map.names) if (n === copyName) return id;
    const original = this.map.buckets[-1 - originalId]!;
    const items: number[] = [];
    const weights: number[] = [];
    original.items.forEach((item, i) => {
      if (item >= 0) {
        if (this.map.classMap.get(item) === cls) {
          items.push(item);
          weights.push(original.itemWeights[i]!);
        }
      } else {
        const child = this.cloneForClass(item, cls, usedIds);
        items.push(child);
        weights.push(this.map.buckets[-1 - child]!.weight);
      }
    });
    let bno = this.classBucketText.get(originalId)?.get(cls);
    if (bno === undefined) {
      bno = -1;
      while ((-1 - bno < this.map.buckets.length && this.map.buckets[-1 - bno]) || usedIds.has(bno)) bno--;
    }
    this.addBucketAt(makeBucket(bno, original.alg, original.hash, original.type, items, weights, this.map.tunables.strawCalcVersion));
    this.map.classMap.set(bno, cls);
    this.map.names.set(bno, copyName);
    let inner = this.map.classBuckets.get(originalId);
    if (!inner) this.map.classBuckets.set(originalId, (inner = new Map()));
    inner.set(cls, bno);
    return bno;
  }

  rule(st: RuleSyntax): void {
    const rname = st.name?.text ?? '';
    if (st.name && this.ruleId.has(rname)) this.fail(`rule name '${rname}' already defined`, st.name);
    const ruleno = st.id.value;
    if (this.map.rules[ruleno]) this.fail(`rule ${ruleno} already exists`, st.id.token);
    if (ruleno > 255) this.fail(`unable to add rule id ${ruleno} for rule '${rname}'`, st.id.token);
    const steps: Step[] = [];
    for (const step of st.steps) {
      const w = step.word.text;
      if (w === 'take') {
        const itemTok = step.args[0]!;
        let id = this.itemId.get(itemTok.text);
        if (id === undefined) this.fail(`in rule '${rname}' item '${itemTok.text}' not defined`, itemTok);
        const classTok = step.args[1];
        if (classTok) {
          const cls = [...this.map.classNames].find(([, n]) => n === classTok.text)?.[0];
          if (cls === undefined) this.fail(`in rule '${rname}' device class '${classTok.text}' does not exist`, classTok);
          const inner = this.map.classBuckets.get(id);
          if (!inner) this.fail(`in rule '${rname}' step take ${itemTok.text} has no class information`, itemTok);
          const shadow = inner.get(cls);
          if (shadow === undefined) this.fail(`in rule '${rname}' step take ${itemTok.text} no matching bucket for class ${classTok.text}`, classTok);
          id = shadow;
        }
        steps.push({ op: OP.take, arg1: id, arg2: 0 });
      } else if (w === 'emit') steps.push({ op: OP.emit, arg1: 0, arg2: 0 });
      else if (w === 'noop') steps.push({ op: OP.noop, arg1: 0, arg2: 0 });
      else if (w in SET_STEPS) steps.push({ op: SET_STEPS[w]!, arg1: step.ints[0]!, arg2: 0 });
      else {
        const [mode, typeTok] = step.args as [Token, Token];
        const type = this.typeId.get(typeTok.text);
        if (type === undefined) this.fail(`in rule '${rname}' type '${typeTok.text}' not defined`, typeTok);
        const leaf = w === 'chooseleaf';
        const op = mode.text === 'firstn' ? (leaf ? OP.chooseleafFirstn : OP.chooseFirstn) : leaf ? OP.chooseleafIndep : OP.chooseIndep;
        steps.push({ op, arg1: step.ints[0]!, arg2: type });
      }
    }
    const rule: Rule = { id: ruleno, type: st.type.text === 'erasure' ? RULE_TYPE.erasure : RULE_TYPE.replicated, minSize: st.minSize & 0xff, maxSize: st.maxSize & 0xff, steps };
    while (this.map.rules.length <= ruleno) this.map.rules.push(null);
    this.map.rules[ruleno] = rule;
    if (rname) {
      this.map.ruleNames.set(ruleno, rname);
      this.ruleId.set(rname, ruleno);
    }
  }

  chooseArgs(st: Extract<Statement, { kind: 'choose_args' }>): void {
    const index = BigInt(st.index);
    if (this.map.chooseArgs.some((c) => c.index === index)) this.fail(`${st.index} duplicated`, st.token);
    const args = new Map<number, ChooseArg>();
    for (const a of st.args) {
      const bucketId = a.bucketId.value;
      const bucket = bucketId < 0 ? this.map.buckets[-1 - bucketId] : undefined;
      if (bucketId >= 0 || -1 - bucketId >= this.map.buckets.length) this.fail(`${bucketId} is out of range`, a.bucketId.token);
      if (!bucket) this.fail(`${bucketId} does not exist`, a.bucketId.token);
      const arg = args.get(-1 - bucketId) ?? { bucketIndex: -1 - bucketId, weightSet: [], ids: [] };
      if (a.weightSet) {
        arg.weightSet = a.weightSet.map((row) => {
          if (row.length !== bucket.items.length) this.fail(`${bucketId} needs exactly ${bucket.items.length} weights but got ${row.length}`, row[0]?.token ?? a.weightSetToken);
          return row.map((w) => fixedWeight(w.value));
        });
      }
      if (a.ids) {
        if (a.ids.length !== bucket.items.length) this.fail(`${bucketId} needs exactly ${bucket.items.length} ids but got ${a.ids.length}`, a.idsToken);
        arg.ids = a.ids.map((x) => x.value);
      }
      args.set(arg.bucketIndex, arg);
    }
    this.map.chooseArgs.push({ index, args: [...args.values()].sort((x, y) => x.bucketIndex - y.bucketIndex) });
  }

  /** crush_finalize + CrushWrapper::finalize: max_devices covers bucket items and named devices. */
  finalize(): void {
    let max = this.map.maxDevices;
    for (const b of this.map.buckets) if (b) for (const item of b.items) if (item >= max) max = item + 1;
    const named = sortedKeys(this.map.names);
    const last = named[named.length - 1];
    if (last !== undefined && last >= max) max = last + 1;
    this.map.maxDevices = max;
  }
}

export interface CompileOptions {
  /** Name used in error messages (default '<input>'). */
  file?: string;
}

/** Compiles crushtool's text format into a map (crushtool -c). */
export function compileText(text: string, options: CompileOptions = {}): CrushMap {
  const file = options.file ?? '<input>';
  const tokens = tokenize(text);
  const last = tokens[tokens.length - 1];
  // end-of-input errors point just past the last token
  const s = new TokenStream(tokens, file, last ? { line: last.line, column: last.column + last.text.length } : { line: 1, column: 1 });
  const statements = parseStatements(s);
  return new Compiler(s).run(statements);
}

export { CrushParseError };
