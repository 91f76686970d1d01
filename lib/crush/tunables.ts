/**
 * crushtool's tunables-adjustment stage (`--set-choose-total-tries N` and the like, applied after
 * the map is read and before it is tested or written). As in crushtool, a negative value means
 * "not given"; the ranges are the widths of the fields in the binary map (crush.h: the tries
 * and descend_once are __u32, vary_r and stable __u8).
 */
import { HakitError } from '../errors';
import type { CrushMap, Tunables } from './types';

export type TunableOverrides = Partial<Pick<Tunables, 'chooseLocalTries' | 'chooseLocalFallbackTries' | 'chooseTotalTries' | 'chooseleafDescendOnce' | 'chooseleafVaryR' | 'chooseleafStable'>>;

/** crushtool option name → tunable and its largest value. */
export const tunableOptions: ReadonlyArray<{ option: string; tunable: keyof TunableOverrides; max: number }> = [
  { option: 'set-choose-local-tries', tunable: 'chooseLocalTries', max: 0xffffffff },
  { option: 'set-choose-local-fallback-tries', tunable: 'chooseLocalFallbackTries', max: 0xffffffff },
  { option: 'set-choose-total-tries', tunable: 'chooseTotalTries', max: 0xffffffff },
  { option: 'set-chooseleaf-descend-once', tunable: 'chooseleafDescendOnce', max: 0xffffffff },
  { option: 'set-chooseleaf-vary-r', tunable: 'chooseleafVaryR', max: 0xff },
  { option: 'set-chooseleaf-stable', tunable: 'chooseleafStable', max: 0xff },
];

/** Sets the given tunables on the map; returns whether any was given (crushtool's "modified"). */
export function overrideTunables(map: CrushMap, overrides: TunableOverrides): boolean {
  let modified = false;
  for (const { option, tunable, max } of tunableOptions) {
    const value = overrides[tunable];
    if (value === undefined || value < 0) continue;
    if (!Number.isInteger(value) || value > max) {
      throw new HakitError('CRUSH_BAD_TUNABLE', `--${option} must be an integer in 0..${max}, got ${value}`, { option, value });
    }
    map.tunables[tunable] = value;
    modified = true;
  }
  return modified;
}
