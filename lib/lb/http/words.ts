/**
 * HAProxy's configuration-line tokenizer: words split on blanks, "double" and 'single' quotes
 * group, backslash escapes the next character (\n, \r, \t as in HAProxy outside single
 * quotes). Throws a plain Error with a message; callers wrap it with the config path.
 */
const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) {
        const next = line[++i]!;
        current += escapes[next] ?? next;
      }
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      const next = line[++i]!;
      current += escapes[next] ?? next;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

/** "5s", "250ms", "1m", "2h", "1d" or a bare number of milliseconds (HAProxy's default unit). */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') throw new Error(`expected a duration like "5s", got ${JSON.stringify(value)}`);
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`expected a duration like "5s", got ${JSON.stringify(value)}`);
  const unit = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

/** "host:port", "[v6]:port", ":port" (all addresses), "*:port". */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`expected address:port, got ${JSON.stringify(text)}`);
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port out of range in ${JSON.stringify(text)}`);
  let host = match[1] ?? match[2] ?? '';
  if (host === '' || host === '*') host = '0.0.0.0';
  return { host, port };
}
