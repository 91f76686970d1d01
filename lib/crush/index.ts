/**
 * CRUSH, bit-exact with Ceph 16: maps in crushtool's text and binary forms, a native mapper
 * with batch APIs, object -> PG -> OSD placement, crushtool/osdmaptool-compatible reports,
 * utilization and data-movement analysis.
 */
export * from './types';
export { decodeMap, encodeMap, CrushDecodeError } from './binary';
export { compileText } from './compile';
export { CrushParseError } from './tokens';
export { decompileMap, fixedPoint } from './decompile';
export { parseMap, compile, decompile, isBinaryMap } from './io';
export { CompiledCrushMap, BatchResult } from './compiled';
export type { BatchOptions, ChooseArgsSelection } from './compiled';
export { runTest, reweightFixed, maximumAffectedByRule } from './tester';
export type { TestOptions } from './tester';
export { PoolPlacement, strHash, stableMod, pgMask, objectHash, objectToPg, pgToPps, formatPgid, findRule } from './placement';
export type { Pool, OsdState, PgMapping } from './placement';
export { testMapObject, testMapPg, testMapPgs } from './osdmaptool';
export { cG as formatG, cFixed as formatFixed } from './format';
export { utilization, compareMaps, comparePools } from './analysis';
export type { UtilizationReport, MovementReport } from './analysis';
export { exampleMapText, exampleMapDescription } from './example';
export { overrideTunables, tunableOptions } from './tunables';
export type { TunableOverrides } from './tunables';
