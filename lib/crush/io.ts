/** Reading and writing maps in either form: binary (magic 0x00010000) or crushtool text. */
import { decodeMap, encodeMap } from './binary';
import { compileText } from './compile';
import { decompileMap } from './decompile';
import type { CrushMap } from './types';

export function isBinaryMap(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && bytes[3] === 0;
}

/** Parses a map given as text, or as bytes holding either a binary or a text map. */
export function parseMap(input: string | Uint8Array, options: { file?: string } = {}): CrushMap {
  if (typeof input === 'string') return compileText(input, options);
  if (isBinaryMap(input)) return decodeMap(input);
  return compileText(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'), options);
}

/** crushtool -c: text -> the binary map crushtool writes. */
export function compile(text: string, options: { file?: string } = {}): Buffer {
  return encodeMap(compileText(text, options));
}

/** crushtool -d: binary map -> text, as crushtool prints it. */
export function decompile(bytes: Uint8Array): string {
  return decompileMap(decodeMap(bytes));
}
