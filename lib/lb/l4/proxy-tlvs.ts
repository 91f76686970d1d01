/**
 * What a listener puts in the PROXY v2 header it sends to servers, beyond the addresses: TLVs
 * forwarded from a trusted client's own header, fixed TLVs from the configuration, a generated
 * unique id (HAProxy `proxy-v2-options unique-id`) and a CRC32C (`proxy-v2-options crc32c`).
 */
import { randomUUID } from 'node:crypto';
import { ArgumentError, check } from '../../errors';
import { PP2_TYPE, type ProxyTlv } from '../proxy-protocol';

export interface ProxyV2Options {
  /** TLVs of the client's header passed on: 'all', or these types (CRC32C and NOOP never: they are per header). */
  forwardTlvs?: 'all' | number[];
  /** TLVs always added (after forwarded ones). */
  tlvs?: ProxyTlv[];
  /** Send PP2_TYPE_UNIQUE_ID: the client's if it sent one and it is forwarded, else a new UUID. */
  uniqueId?: boolean;
  /** Append a CRC32C TLV over the header. */
  crc32c?: boolean;
}

export function checkProxyV2Options(o: ProxyV2Options | undefined): ProxyV2Options | undefined {
  if (o === undefined) return undefined;
  if (o === null || typeof o !== 'object') throw new ArgumentError('proxyV2 must be an object', { argument: 'proxyV2' });
  if (o.forwardTlvs !== undefined && o.forwardTlvs !== 'all') {
    if (!Array.isArray(o.forwardTlvs)) throw new ArgumentError("proxyV2.forwardTlvs must be 'all' or a list of TLV types", { argument: 'proxyV2.forwardTlvs' });
    for (const t of o.forwardTlvs) check.integer('proxyV2.forwardTlvs[]', t, 0, 255);
  }
  let total = 0;
  for (const t of o.tlvs ?? []) {
    check.integer('proxyV2.tlvs[].type', t.type, 0, 255);
    check.bytes('proxyV2.tlvs[].value', t.value);
    total += 3 + t.value.length;
  }
  if (total > 60000) throw new ArgumentError('proxyV2.tlvs are too long for one header', { argument: 'proxyV2.tlvs' });
  return { ...o, tlvs: o.tlvs ? [...o.tlvs] : undefined };
}

/** The TLVs for one connection's header to its server; `received` are the client's (if any), `generated` an id made for an earlier attempt. */
export function serverTlvs(o: ProxyV2Options | undefined, received: ProxyTlv[] | undefined, generated?: Buffer): { tlvs: ProxyTlv[]; uniqueId?: Buffer } {
  if (!o) return { tlvs: [] };
  const forward = o.forwardTlvs;
  const tlvs: ProxyTlv[] = [];
  if (forward && received) {
    for (const t of received) {
      if (t.type === PP2_TYPE.CRC32C || t.type === PP2_TYPE.NOOP) continue;
      if (forward === 'all' || forward.includes(t.type)) tlvs.push(t);
    }
  }
  if (o.tlvs) tlvs.push(...o.tlvs);
  let uniqueId = tlvs.find((t) => t.type === PP2_TYPE.UNIQUE_ID)?.value as Buffer | undefined;
  if (o.uniqueId && !uniqueId) {
    uniqueId = generated ?? Buffer.from(randomUUID(), 'latin1'); // the same on every retry
    tlvs.push({ type: PP2_TYPE.UNIQUE_ID, value: uniqueId });
  }
  return { tlvs, ...(uniqueId ? { uniqueId: Buffer.from(uniqueId) } : {}) };
}
