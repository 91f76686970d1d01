/**
 * Header handling for a proxy (RFC 9110 §7.6.1): hop-by-hop fields (Connection, the fields it
 * names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade, Trailer) are not
 * forwarded; X-Forwarded-For / -Proto and Forwarded (RFC 7239) are appended. Headers travel as
 * Node's flat raw arrays [name, value, name, value...] so case and order survive.
 */
import { isIPv6 } from 'node:net';

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer']);
const hopByHopLength: boolean[] = [];
for (const name of hopByHop) hopByHopLength[name.length] = true;

/** Lowercased tokens of every Connection header (names of more hop-by-hop fields). */
export function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) {
        const t = token.trim().toLowerCase();
        if (t) (tokens ??= new Set()).add(t);
      }
    }
  }
  return tokens;
}

/**
 * End-to-end headers of `raw`. With `upgrade`, Connection: upgrade and Upgrade are kept (the
 * handshake must reach the server) and the rest of the hop-by-hop set is still dropped.
 */
export function endToEnd(raw: readonly string[], upgrade = false): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Without Connection-named fields only the hop-by-hop lengths need a look (most headers are skipped).
    if (named === undefined && !hopByHopLength[name.length]) {
      out.push(name, raw[i + 1]!);
      continue;
    }
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || named?.has(lower)) {
      if (upgrade && lower === 'upgrade') out.push(name, raw[i + 1]!);
      continue;
    }
    out.push(name, raw[i + 1]!);
  }
  if (upgrade) out.push('Connection', 'upgrade');
  return out;
}

/** Values of a header (case-insensitive) in a raw array. */
export function headerValues(raw: readonly string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === lowerName) out.push(raw[i + 1]!);
  return out;
}

export function deleteHeader(raw: string[], lowerName: string): void {
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === lowerName) raw.splice(i, 2);
}

export function setHeader(raw: string[], name: string, value: string): void {
  deleteHeader(raw, name.toLowerCase());
  raw.push(name, value);
}

/** Client address as headers want it: IPv4-mapped IPv6 shown as IPv4. */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return '';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}

/** Appends X-Forwarded-For, sets X-Forwarded-Proto, appends a Forwarded element. */
export function addForwarded(raw: string[], client: string, proto: 'http' | 'https', host: string | undefined): void {
  const xff = headerValues(raw, 'x-forwarded-for');
  deleteHeader(raw, 'x-forwarded-for');
  raw.push('X-Forwarded-For', xff.length ? `${xff.join(', ')}, ${client}` : client);
  setHeader(raw, 'X-Forwarded-Proto', proto);
  const node = isIPv6(client) ? `"[${client}]"` : client;
  let element = `for=${node};proto=${proto}`;
  if (host) element += `;host=${/^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : JSON.stringify(host)}`;
  const forwarded = headerValues(raw, 'forwarded');
  deleteHeader(raw, 'forwarded');
  raw.push('Forwarded', forwarded.length ? `${forwarded.join(', ')}, ${element}` : element);
}

/** The value of cookie `name` in the request's Cookie headers. */
export function cookieValue(raw: readonly string[], name: string): string | undefined {
  for (const header of headerValues(raw, 'cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** Removes cookie `name` from the Cookie headers (HAProxy `indirect`). */
export function stripCookie(raw: string[], name: string): void {
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() !== 'cookie') continue;
    const kept = raw[i + 1]!.split(';').filter((part) => {
      const eq = part.indexOf('=');
      return !(eq > 0 && part.slice(0, eq).trim() === name);
    });
    if (kept.length === 0) raw.splice(i, 2);
    else raw[i + 1] = kept.map((part) => part.trim()).join('; ');
  }
}
