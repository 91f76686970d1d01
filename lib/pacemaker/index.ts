/**
 * Pacemaker and Corosync orchestration: a typed CIB with pcs-equivalent operations (offline on
 * a file, or live through cibadmin), the real scheduler's what-if (crm_simulate), crm_verify
 * diagnostics, crm_mon status with change events, corosync.conf, OCF and fence agent runners.
 */
export * from './xml';
export * from './model';
export * from './cib';
export * from './resources';
export * from './constraints';
export * from './pcs';
export * from './ocf';
export * from './tools';
export * from './corosync';
export * from './status';
export * from './live';
export * from './exporter';
export * from './agents';
export * from './fencing';
