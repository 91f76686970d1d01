/**
 * Tokens of crushtool's text map: words and the brackets { } [ ], with `#` comments removed,
 * each with its 1-based line and column so that every error can name where it is.
 */
import { HakitError } from '../errors';

export interface Token {
  text: string;
  line: number;
  column: number;
}

export class CrushParseError extends HakitError {
  constructor(message: string, at: { line: number; column: number }, file = '<input>') {
    super('CRUSH_PARSE', `${file}:${at.line}:${at.column}: ${message}`, { file, line: at.line, column: at.column });
    this.name = 'CrushParseError';
  }
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    const re = /[{}[\]]|[^\s{}[\]]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) tokens.push({ text: m[0], line: index + 1, column: m.index + 1 });
  });
  return tokens;
}

export class TokenStream {
  pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly file: string,
    private readonly end: { line: number; column: number },
  ) {}
  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }
  where(token?: Token): { line: number; column: number } {
    return token ?? this.peek() ?? this.end;
  }
  fail(message: string, token?: Token): never {
    throw new CrushParseError(message, this.where(token), this.file);
  }
  next(what: string): Token {
    const t = this.tokens[this.pos];
    if (!t) this.fail(`unexpected end of map, expected ${what}`);
    this.pos++;
    return t;
  }
  expect(text: string): Token {
    const t = this.next(`'${text}'`);
    if (t.text !== text) this.fail(`expected '${text}', got '${t.text}'`, t);
    return t;
  }
  accept(text: string): Token | undefined {
    if (this.peek()?.text === text) return this.next(text);
    return undefined;
  }
  name(what: string): Token {
    const t = this.next(what);
    if (!/^[A-Za-z0-9_.-]+$/.test(t.text) || /^[{}[\]]$/.test(t.text)) this.fail(`expected ${what}, got '${t.text}'`, t);
    return t;
  }
  /** An integer as strtol + (int) read it: clamped to 64 bits, then truncated to 32. */
  int(what: string): { value: number; token: Token } {
    const t = this.next(what);
    if (!/^[-+]?\d+$/.test(t.text)) this.fail(`expected ${what} (an integer), got '${t.text}'`, t);
    return { value: Number(BigInt.asIntN(32, clampLong(BigInt(t.text)))), token: t };
  }
  /** A real as strtof reads it. */
  real(what: string): { value: number; token: Token } {
    const t = this.next(what);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t.text)) this.fail(`expected ${what} (a number), got '${t.text}'`, t);
    return { value: Math.fround(Number(t.text)), token: t };
  }
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
export function clampLong(v: bigint): bigint {
  return v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v;
}

/** (unsigned)(strtof(text) * (float)0x10000): a text weight as 16.16 fixed point. */
export function fixedWeight(value: number): number {
  const scaled = Math.fround(value * 65536);
  if (!(scaled > 0)) return 0;
  return scaled >= 4294967296 ? 0xffffffff : Math.trunc(scaled);
}
