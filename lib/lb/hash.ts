/** Hashing shared by the hash schedulers: fast, seeded, well mixed 32-bit hashes. */

/** A key a hash scheduler maps to a server: client address, URL, header value, cookie... */
export type HashKey = string | number | Uint8Array;

// murmur3's 32-bit finaliser: full avalanche, so FNV's weak low bits do not leak into `% n`.
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units (or bytes) followed by fmix32. */
export function hash32(key: HashKey, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  if (typeof key === 'string') {
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  } else if (typeof key === 'number') {
    h ^= key | 0;
    h = Math.imul(h, 0x01000193);
    h ^= (key / 0x100000000) | 0;
    h = Math.imul(h, 0x01000193);
  } else {
    for (let i = 0; i < key.length; i++) {
      h ^= key[i]!;
      h = Math.imul(h, 0x01000193);
    }
  }
  return fmix32(h);
}

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Smallest prime strictly greater than n. */
export function nextPrime(n: number): number {
  let p = Math.floor(n) + 1;
  while (!isPrime(p)) p++;
  return p;
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** xorshift32: deterministic, seedable randomness for power-of-two-choices and jitter. */
export function xorshift32(seed = 0x9e3779b9): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}
