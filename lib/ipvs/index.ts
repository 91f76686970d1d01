/**
 * IPVS (the kernel's L4 load balancer) over generic netlink: a typed client with apply(), the
 * attribute schemas of linux/ip_vs.h, and ipvsadm-compatible formatting.
 */
export { Ipvs } from './client';
export type { Operation, ServiceWithDestinations } from './client';
export { plan } from './apply';
export { VirtualServer, runCheck } from './virtual-server';
export { parseLvsConfig, loadLvsConfig, lvsFromStatements } from './keepalived';
export type { LvsConfig, LvsVirtualServer, LvsDiagnostic } from './keepalived';
export type { VirtualServerOptions, RealServer, HealthCheck } from './virtual-server';
export type { ApplyOptions, ApplyResult } from './apply';
export * from './types';
export * as schema from './schema';
export { serviceAttrs, serviceKeyAttrs, destAttrs, destKeyAttrs, decodeService, decodeDestination, serviceId, destinationId, keyOf } from './codec';
export { formatAddress, addressBytes, canonicalAddress } from './address';
