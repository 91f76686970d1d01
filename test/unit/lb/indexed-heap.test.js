'use strict';
// The intrusive min-heap under the schedulers' server heap and the health checker's due-time
// heap: random pushes, removals and key changes against a plain sorted list.
const test = require('ava');
const { IndexedHeap } = require('../../../dist/lb/indexed-heap');

function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

test('property: peek is always the least item; positions stay true; removed items say -1', (t) => {
  const random = prng(4242);
  const less = (a, b) => a.key < b.key || (a.key === b.key && a.id < b.id);
  for (let round = 0; round < 50; round++) {
    const heap = new IndexedHeap(less);
    const inside = new Set();
    const all = Array.from({ length: 40 }, (_, id) => ({ id, key: 0, pos: -1 }));
    for (let step = 0; step < 400; step++) {
      const item = all[Math.floor(random() * all.length)];
      const op = random();
      if (item.pos < 0 && op < 0.5) {
        item.key = Math.floor(random() * 20);
        heap.push(item);
        inside.add(item);
      } else if (item.pos >= 0 && op < 0.3) {
        heap.remove(item);
        inside.delete(item);
        if (item.pos !== -1) return t.fail('a removed item keeps a position');
      } else if (item.pos >= 0) {
        item.key = Math.floor(random() * 20);
        heap.update(item);
      }
      const sorted = [...inside].sort((a, b) => (less(a, b) ? -1 : 1));
      if (heap.size !== inside.size) return t.fail(`size ${heap.size} != ${inside.size}`);
      if (heap.peek() !== sorted[0]) return t.fail(`round ${round} step ${step}: peek is not the least item`);
      const values = heap.values();
      for (let i = 0; i < values.length; i++) if (values[i].pos !== i) return t.fail('an item does not know its position');
    }
    heap.clear();
    t.true(all.every((item) => item.pos === -1));
  }
  t.pass();
});
