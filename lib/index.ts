/**
 * hakit's public API. Each capability is a namespace (`import { crush } from 'hakit'`); the
 * shared pieces (errors, logging, the addon's build info) are at the top level.
 */
export { HakitError, ArgumentError, isHakitError } from './errors';
export type { ErrorDetails } from './errors';
export { createLogger, silentLogger } from './log';
export type { Logger, LogLevel, LoggerOptions } from './log';
export { buildInfo } from './native';
export type { BuildInfo } from './native';
export * as pacemaker from './pacemaker';
export * as drbd from './drbd';
export * as crush from './crush';
export * as ceph from './ceph';
export * as gluster from './gluster';
export * as lb from './lb';
export * as netlink from './netlink';
export * as ipvs from './ipvs';
export * as vrrp from './vrrp';
