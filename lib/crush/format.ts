/**
 * C's printf number formatting, exactly: "%.Nf" and "%g" (what iostreams print for float and
 * double at the default precision 6), rounding the exact binary value half-to-even as glibc
 * does. JavaScript's toFixed/toPrecision round exact ties away from zero, which differs.
 */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) return { m, e: -1074 };
  m |= 1n << 52n;
  return { m, e: exp - 1075 };
}

/** |x| * 10^digits rounded half-to-even, as a non-negative bigint. */
function scaledRound(x: number, digits: number): bigint {
  const { m, e } = decompose(Math.abs(x));
  let num = m;
  let den = 1n;
  if (digits >= 0) num *= 10n ** BigInt(digits);
  else den *= 10n ** BigInt(-digits);
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** printf("%.<digits>f", x). */
export function cFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const q = scaledRound(x, digits).toString().padStart(digits + 1, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return digits > 0 ? `${sign}${q.slice(0, q.length - digits)}.${q.slice(q.length - digits)}` : `${sign}${q}`;
}

/** printf("%g", x) with the given precision (iostream default: 6). */
export function cG(x: number, precision = 6): string {
  // 0.0/0.0 on x86 yields the default NaN, which has its sign bit set: glibc prints "-nan".
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '-nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = precision === 0 ? 1 : precision;
  let exp = Math.floor(Math.log10(Math.abs(x)));
  let q = scaledRound(x, p - 1 - exp);
  if (q >= 10n ** BigInt(p)) {
    exp += 1;
    q = scaledRound(x, p - 1 - exp);
  } else if (q < 10n ** BigInt(p - 1)) {
    exp -= 1;
    q = scaledRound(x, p - 1 - exp);
  }
  const sign = x < 0 ? '-' : '';
  const digits = q.toString();
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) {
    const mant = strip(digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits);
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  const decimals = p - 1 - exp;
  const padded = digits.padStart(decimals + 1, '0');
  const text = decimals > 0 ? `${padded.slice(0, padded.length - decimals)}.${padded.slice(padded.length - decimals)}` : padded;
  return sign + strip(text);
}
