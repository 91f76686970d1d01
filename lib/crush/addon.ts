/** The crush part of the native addon, typed. */
import { nativeModule } from '../native';

export interface NativeHandle {
  map(
    rule: number,
    numrep: number,
    mode: number,
    pool: number,
    x0: number,
    xs: Int32Array | null,
    count: number,
    pgpNum: number,
    weights: Uint32Array | null,
    chooseArgs: number,
    out: Int32Array,
    lens: Int32Array,
    threads: number,
    chooseProfile?: Uint32Array | null,
  ): void;
  close(): void;
  info(): { maxDevices: number; maxBuckets: number; maxRules: number; rules: number[] };
}

export interface CrushNative {
  CrushMapHandle: new (bytes: Uint8Array) => NativeHandle;
  strHash(bytes: Uint8Array): number;
  hash2(a: number, b: number): number;
  ln(x: number): number;
  straws(weights: Uint32Array, version: number): Uint32Array;
  hardwareThreads: number;
}

let cached: CrushNative | undefined;
export function crushNative(): CrushNative {
  cached ??= nativeModule<CrushNative>('crush');
  return cached;
}
