/**
 * cephx keys and keyring files, as ceph-authtool writes and reads them.
 *
 * A key is base64 of CryptoKey's encoding (src/auth/Crypto.cc): u16 type (1 = AES), utime
 * created (u32 seconds, u32 nanoseconds), u16 secret length, secret (16 bytes), little-endian.
 * A keyring is an INI-like file: `[entity]` sections with `key = ...` and `caps SERVICE = "..."`.
 */
import { randomBytes } from 'node:crypto';
import { ArgumentError, HakitError, check } from '../errors';

export const CEPH_CRYPTO_AES = 1;
const SECRET_LENGTH = 16;

export interface CephKey {
  type: number;
  created: Date;
  secret: Buffer;
}

export interface KeyringEntry {
  /** `client.admin`, `mon.`, `osd.0`, ... */
  entity: string;
  key: string;
  /** Service -> capability string, e.g. { mon: 'allow *' }. */
  caps: Record<string, string>;
  /** Other settings in the section (auid, ...), kept as text. */
  extra?: Record<string, string>;
}

/** A fresh random AES key, like `ceph-authtool --gen-key`. */
export function generateKey(options: { created?: Date; secret?: Uint8Array } = {}): string {
  const secret = options.secret === undefined ? randomBytes(SECRET_LENGTH) : Buffer.from(check.bytes('secret', options.secret));
  if (secret.length !== SECRET_LENGTH) throw new ArgumentError(`secret must be ${SECRET_LENGTH} bytes`, { argument: 'secret' });
  const created = options.created ?? new Date();
  if (!(created instanceof Date) || Number.isNaN(created.getTime())) throw new ArgumentError('created must be a valid Date', { argument: 'created' });
  const ms = created.getTime();
  const out = Buffer.alloc(2 + 8 + 2 + SECRET_LENGTH);
  out.writeUInt16LE(CEPH_CRYPTO_AES, 0);
  out.writeUInt32LE(Math.floor(ms / 1000) >>> 0, 2);
  out.writeUInt32LE((ms % 1000) * 1_000_000, 6);
  out.writeUInt16LE(SECRET_LENGTH, 10);
  secret.copy(out, 12);
  return out.toString('base64');
}

/** Decodes and checks a base64 key. */
export function parseKey(key: string): CephKey {
  check.string('key', key);
  const text = key.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new HakitError('CEPH_BAD_KEY', 'key is not base64', {});
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 12) throw new HakitError('CEPH_BAD_KEY', `key is ${bytes.length} bytes, too short`, { length: bytes.length });
  const type = bytes.readUInt16LE(0);
  const length = bytes.readUInt16LE(10);
  if (type !== CEPH_CRYPTO_AES) throw new HakitError('CEPH_BAD_KEY', `unsupported key type ${type} (only AES, 1)`, { type });
  if (length !== SECRET_LENGTH || bytes.length !== 12 + length) {
    throw new HakitError('CEPH_BAD_KEY', `AES key secret must be ${SECRET_LENGTH} bytes, got ${length} in a ${bytes.length}-byte key`, { length });
  }
  const seconds = bytes.readUInt32LE(2);
  const nanos = bytes.readUInt32LE(6);
  return { type, created: new Date(seconds * 1000 + Math.floor(nanos / 1e6)), secret: bytes.subarray(12) };
}

function unquote(value: string, line: number): string {
  const v = value.trim();
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: unterminated quoted value`, { line });
    return v.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return v;
}

/** Parses keyring text; every problem names its line. */
export function parseKeyring(text: string): KeyringEntry[] {
  check.string('text', text);
  const entries: KeyringEntry[] = [];
  let current: KeyringEntry | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const section = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (section) {
      const entity = section[1]!.trim();
      if (!/^[A-Za-z]+\.[^\s]*$/.test(entity)) throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: bad entity name [${entity}]`, { line });
      if (entries.some((e) => e.entity === entity)) throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: [${entity}] appears twice`, { line });
      current = { entity, key: '', caps: {} };
      entries.push(current);
      return;
    }
    const eq = trimmed.indexOf('=');
    if (eq < 0) throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: expected NAME = VALUE`, { line });
    if (!current) throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: setting outside a [section]`, { line });
    const name = trimmed.slice(0, eq).trim().replace(/[\s_]+/g, ' ');
    const value = unquote(trimmed.slice(eq + 1), line);
    const caps = /^caps (\S+)$/.exec(name);
    if (name === 'key') {
      try {
        parseKey(value);
      } catch (error) {
        throw new HakitError('CEPH_BAD_KEYRING', `line ${line}: ${(error as Error).message}`, { line, entity: current.entity });
      }
      current.key = value;
    } else if (caps) {
      current.caps[caps[1]!] = value;
    } else {
      (current.extra ??= {})[name] = value;
    }
  });
  for (const entry of entries) {
    if (!entry.key) throw new HakitError('CEPH_BAD_KEYRING', `[${entry.entity}] has no key`, { entity: entry.entity });
  }
  return entries;
}

/** Keyring text in ceph-authtool's layout (tab-indented, caps sorted by service). */
export function formatKeyring(entries: readonly KeyringEntry[]): string {
  let out = '';
  for (const entry of entries) {
    check.string('entity', entry.entity);
    if (!/^[A-Za-z]+\.[^\s\]]*$/.test(entry.entity)) throw new ArgumentError(`bad entity name ${JSON.stringify(entry.entity)}`, { argument: 'entity' });
    parseKey(entry.key);
    out += `[${entry.entity}]\n\tkey = ${entry.key}\n`;
    for (const [name, value] of Object.entries(entry.extra ?? {})) out += `\t${name} = ${value}\n`;
    for (const service of Object.keys(entry.caps).sort()) {
      const cap = check.string(`caps.${service}`, entry.caps[service]);
      if (!/^[a-z]+$/.test(service) || cap.includes('\n')) throw new ArgumentError(`bad capability ${service}`, { argument: 'caps' });
      out += `\tcaps ${service} = "${cap.replace(/(["\\])/g, '\\$1')}"\n`;
    }
  }
  return out;
}

/** A new keyring entry with a fresh key. */
export function newEntry(entity: string, caps: Record<string, string> = {}): KeyringEntry {
  return { entity, key: generateKey(), caps: { ...caps } };
}

/** Capabilities as `ceph auth add/get-or-create` take them: ['mon', 'allow r', 'osd', '...']. */
export function capsArgs(caps: Record<string, string>): string[] {
  return Object.keys(caps)
    .sort()
    .flatMap((service) => [service, caps[service]!]);
}
