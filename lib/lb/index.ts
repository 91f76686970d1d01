/**
 * Load-balancer core: servers and pools, every scheduler, health checks, the native L4 TCP
 * proxy, PROXY protocol and the runtime API. The L7 HTTP proxy builds on the same Pool.
 */
export { Server, MAX_WEIGHT } from './server';
export type { AdminState, HealthState, ServerState, ServerOptions, ServerCounters, ServerSnapshot, Outcome } from './server';
export { Pool } from './pool';
export type { PoolOptions, PoolEvents, StateChange } from './pool';
export { hash32, fmix32, nextPrime, isPrime, xorshift32 } from './hash';
export type { HashKey } from './hash';
export * from './schedulers';
export * from './health';
export * from './l4';
export { encodeProxyV1, encodeProxyV2, parseProxyHeader, decodeProxyTlvs, crc32c, AddressSet, PP2_TYPE } from './proxy-protocol';
export type { ProxyAddresses, ProxyTlv, ProxyTlvInfo, ParsedProxyHeader, ProxyParseResult } from './proxy-protocol';
export * from './runtime';
export * as http from './http';
