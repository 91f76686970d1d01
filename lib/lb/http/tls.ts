/** TLS termination: one SecureContext per certificate, chosen by SNI (exact name, then wildcard). */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { HakitError } from '../../errors';
import type { BindConfig } from '../config/types';

function pem(value: string): Buffer {
  if (value.startsWith('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new HakitError('LB_BAD_CERT', `cannot read certificate ${value}: ${(error as Error).message}`, { file: value });
  }
}

/** Names a certificate answers for: its DNS subjectAltNames, else its CN. */
export function certificateNames(certPem: Buffer): string[] {
  const cert = new X509Certificate(certPem);
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('DNS:'))
    .map((part) => part.slice(4).toLowerCase());
  if (names.length) return names;
  const cn = /CN=([^\n,]+)/.exec(cert.subject);
  return cn ? [cn[1]!.toLowerCase()] : [];
}

export interface TlsSetup {
  /** Options for https.createServer / server.setSecureContext. */
  options: tls.SecureContextOptions & { ALPNProtocols: string[] };
  SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;
}

export function tlsSetup(ssl: NonNullable<BindConfig['ssl']>): TlsSetup {
  const byName = new Map<string, tls.SecureContext>();
  let first: (tls.SecureContextOptions & { ALPNProtocols: string[] }) | undefined;
  for (const entry of ssl.certs) {
    const cert = pem(entry.cert);
    const key = entry.key === entry.cert ? cert : pem(entry.key);
    let context: tls.SecureContext;
    try {
      context = tls.createSecureContext({ cert, key });
    } catch (error) {
      throw new HakitError('LB_BAD_CERT', `certificate ${entry.cert}: ${(error as Error).message}`, { file: entry.cert });
    }
    first ??= { cert, key, ALPNProtocols: ssl.alpn };
    for (const name of entry.sni ?? certificateNames(cert)) if (!byName.has(name)) byName.set(name, context);
  }
  return {
    options: first!,
    SNICallback(servername, cb) {
      const name = servername.toLowerCase();
      const exact = byName.get(name);
      if (exact) return cb(null, exact);
      const dot = name.indexOf('.');
      const wildcard = dot > 0 ? byName.get('*' + name.slice(dot)) : undefined;
      // undefined: the server's default context (the first certificate).
      cb(null, wildcard);
    },
  };
}
