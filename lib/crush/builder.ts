/**
 * Building buckets the way Ceph's builder.c does (crush_make_bucket and friends): bucket
 * weight = sum of item weights, list running sums, tree node weights (leaf i at node 2i+1,
 * parents by label arithmetic), straw v1 lengths (computed natively with libm, as Ceph does).
 */
import { crushNative } from './addon';
import { ALG, type Bucket } from './types';

function calcDepth(size: number): number {
  if (size === 0) return 0;
  let depth = 1;
  for (let t = size - 1; t; t >>= 1) depth++;
  return depth;
}

function height(n: number): number {
  let h = 0;
  while ((n & 1) === 0) {
    h++;
    n >>= 1;
  }
  return h;
}

function parent(n: number): number {
  const h = height(n);
  return n & (1 << (h + 1)) ? n - (1 << h) : n + (1 << h);
}

export function treeNodeWeights(weights: number[]): number[] {
  const size = weights.length;
  if (size === 0) return [];
  const depth = calcDepth(size);
  const nodes = new Array<number>(1 << depth).fill(0);
  weights.forEach((w, i) => {
    let node = ((i + 1) << 1) - 1;
    nodes[node] = w;
    for (let j = 1; j < depth; j++) {
      node = parent(node);
      nodes[node] = (nodes[node]! + w) >>> 0;
    }
  });
  return nodes;
}

export function strawLengths(weights: number[], strawCalcVersion: number): number[] {
  return Array.from(crushNative().straws(Uint32Array.from(weights), strawCalcVersion));
}

/** A bucket with everything derived from its items; throws a plain Error on impossible input. */
export function makeBucket(id: number, alg: number, hash: number, type: number, items: number[], weights: number[], strawCalcVersion: number): Bucket {
  const sum = weights.reduce((a, w) => (a + w) >>> 0, 0);
  const b: Bucket = { id, alg, hash, type, weight: sum, items: [...items], itemWeights: [...weights] };
  switch (alg) {
    case ALG.uniform: {
      const w = weights[0] ?? 0;
      b.uniformWeight = w;
      b.weight = Math.imul(items.length, w) >>> 0;
      b.itemWeights = items.map(() => w);
      break;
    }
    case ALG.list: {
      let run = 0;
      b.sumWeights = weights.map((w) => (run = (run + w) >>> 0));
      break;
    }
    case ALG.tree:
      b.nodeWeights = treeNodeWeights(weights);
      break;
    case ALG.straw:
      b.straws = strawLengths(weights, strawCalcVersion);
      break;
    case ALG.straw2:
      break;
    default:
      throw new Error(`unknown bucket alg ${alg}`);
  }
  return b;
}
