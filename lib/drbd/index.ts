/** DRBD-style replicated block volumes: see docs/drbd.md. */
export { Volume } from './volume';
export type { VolumeOptions, NetOptions, DiskOptions, Status, Role, DiskState, ConnectionState, ReplicationState, Protocol, Address } from './volume';
export { createMetadata, layoutFor, readSuperblock, UUID_JUST_CREATED } from './meta';
export type { Layout, Superblock } from './meta';
export { decide, compareUuids } from './handshake';
export type { Report, Decision, Policies } from './handshake';
export { parseConfig, readConfig, volumeOptions, dumpConfig, effectiveSections, parseSize, ConfigError } from './config';
export type { DrbdConfig, ResourceConfig, HostConfig } from './config';
export { NbdServer } from './nbd';
export type { NbdServerOptions } from './nbd';
