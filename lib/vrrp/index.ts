/**
 * VRRP (RFC 3768 / RFC 5798 / RFC 9568) interoperable with keepalived: the packet codec, the
 * state machine, keepalived.conf, and a router that runs instances with tracking, sync groups
 * and notify hooks.
 */
export * from './addr';
export * from './codec';
export * from './clock';
export * from './counters';
export * from './types';
export { VrrpInstance } from './instance';
export { validateOptions } from './validate';
export type { InstanceStatus, StateChange } from './instance';
export * from './config';
export { parseConfigText, type Statement } from './confparse';
export * from './track';
export { InterfaceTracker, linkUp } from './linkwatch';
export { NftFirewall, type FirewallOptions } from './firewall';
export { FileTracker, fileEffect, parseTrackValue } from './trackfile';
export { RawLink, primaryAddress } from './transport';
export { RouteClient, changeAddressesSync } from './rtnl';
export { VrrpRouter, requireInstance } from './router';
export type { RouterOptions } from './router';
