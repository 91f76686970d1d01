/** The one place that loads the addon: a prebuild from prebuilds/ if one fits, else build/. */
import path from 'node:path';
import { HakitError } from './errors';

// node-gyp-build ships no types; its whole API is this one function.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { path(dir: string): string };

export const packageRoot = path.join(__dirname, '..');

let addon: Record<string, unknown> | undefined;

/** The loaded addon; loaded on first use so TypeScript-only capabilities work without it. */
export function native(): Record<string, unknown> {
  if (addon === undefined) {
    try {
      // HAKIT_ADDON points at another build of the same addon (the sanitizer run uses it).
      const override = process.env.HAKIT_ADDON;
      addon = (override ? require(override) : nodeGypBuild(packageRoot)) as Record<string, unknown>;
    } catch (cause) {
      throw new HakitError('NATIVE_LOAD', `hakit's native addon could not be loaded: ${(cause as Error).message}`, {}, { cause });
    }
  }
  return addon;
}

/** Where the addon is (or would be) loaded from. */
export function nativePath(): string {
  return process.env.HAKIT_ADDON || nodeGypBuild.path(packageRoot);
}

/** One capability's native exports, typed by the caller. */
export function nativeModule<T>(name: string): T {
  const module = native()[name];
  if (module === undefined) throw new HakitError('NATIVE_MISSING', `the native addon has no '${name}' module; rebuild it (npm run build)`);
  return module as T;
}

export interface BuildInfo {
  napiVersion: number;
  compiler: string;
  sanitizers: boolean;
}

export function buildInfo(): BuildInfo {
  return (native().buildInfo as () => BuildInfo)();
}
