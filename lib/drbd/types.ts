/** Public types of a replicated volume, and the shape of the native engine behind it. */
import type { Logger } from '../log';
import type { Policies } from './handshake';

export type Role = 'Primary' | 'Secondary' | 'Unknown';
export type DiskState = 'Diskless' | 'Attaching' | 'Failed' | 'Negotiating' | 'Inconsistent' | 'Outdated' | 'DUnknown' | 'Consistent' | 'UpToDate';
export type ConnectionState = 'StandAlone' | 'Disconnecting' | 'Unconnected' | 'Timeout' | 'BrokenPipe' | 'NetworkFailure' | 'ProtocolError' | 'TearDown' | 'Connecting' | 'Connected';
export type ReplicationState = 'Off' | 'Established' | 'StartingSyncS' | 'StartingSyncT' | 'WFBitMapS' | 'WFBitMapT' | 'SyncSource' | 'SyncTarget' | 'VerifyS' | 'VerifyT' | 'PausedSyncS' | 'PausedSyncT';
export type Protocol = 'A' | 'B' | 'C';

export interface Address {
  host: string;
  port: number;
}

export interface NetOptions {
  protocol?: Protocol;
  /** Only 'sha256' / 'hmac(sha256)' is supported (HMAC-SHA256 challenge-response). */
  cramHmacAlg?: string;
  sharedSecret?: string;
  /** DRBD units: ping-int seconds, ping-timeout and timeout tenths of a second, connect-int seconds. */
  pingInt?: number;
  pingTimeout?: number;
  timeout?: number;
  connectInt?: number;
  koCount?: number;
  /** Bytes of shipped-but-unsent data before writers wait (back-pressure). */
  maxBuffers?: number;
  dataIntegrityAlg?: string;
  csumsAlg?: string;
  verifyAlg?: string;
  afterSb0pri?: Policies['after0pri'];
  afterSb1pri?: Policies['after1pri'];
  afterSb2pri?: Policies['after2pri'];
  /** 'resource-and-stonith': a Primary that loses its peer freezes I/O until resumeIo() or reconnect. */
  fencing?: 'dont-care' | 'resource-only' | 'resource-and-stonith';
}

export interface DiskOptions {
  /** Resync rate limit in bytes per second (0: unlimited). */
  resyncRate?: number;
  alExtents?: number;
  direct?: boolean;
  dsync?: boolean;
}

export interface VolumeOptions {
  resource: string;
  /** This node's name (`on NAME`), and the peer's. */
  node: string;
  peer: string;
  /** Backing file, or null for a diskless node. */
  disk: string | null;
  metaDisk?: string;
  address: Address;
  peerAddress: Address;
  net?: NetOptions;
  diskOptions?: DiskOptions;
  logger?: Logger;
}

export interface Status {
  resource: string;
  node: string;
  role: Role;
  disk: DiskState;
  size: number;
  connection: ConnectionState;
  replication: ReplicationState;
  peer: { node: string; role: Role; disk: DiskState };
  outOfSyncBytes: number;
  suspended: boolean;
  resync?: { done: number; total: number };
  uuids: { current: string; bitmap: string; history: [string, string] };
  protocol: Protocol;
}

export interface NativeEvent {
  kind: string;
  id: number;
  status: number;
  a: number;
  b: number;
  text?: string;
  data?: Buffer;
}
export interface NativeEngine {
  submit(op: number, id: number, offset: number, length: number, data?: Uint8Array): void;
  control(name: string, value?: number, data?: Uint8Array, id?: number): void;
  info(): { listenPort: number; dirtyBlocks: number; totalBlocks: number; alReplayed: number; sentBytes: number };
  close(): void;
}
export interface DrbdNative {
  /** Events in order; a number is the id of a request that completed without error or data. */
  Engine: new (config: Record<string, unknown>, callback: (events: Array<NativeEvent | number>) => void) => NativeEngine;
}
