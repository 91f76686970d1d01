/** Reads a configuration file (YAML, or JSON which YAML also reads) and validates it. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { HakitError } from '../../errors';
import type { LbConfig } from './types';
import { validateConfig } from './validate';

export function parseConfigText(text: string, file = '(text)'): LbConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const error = doc.errors[0]!;
    const pos = error.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new HakitError('LB_BAD_CONFIG', `${where}: ${error.message.split('\n')[0]}`, { file, line: pos?.line, col: pos?.col });
  }
  let data: unknown;
  try {
    // toJS resolves aliases: an alias before its anchor, or an alias bomb past the library's
    // maxAliasCount, throws a ReferenceError that must reach the user as a config error.
    data = doc.toJS();
  } catch (error) {
    throw new HakitError('LB_BAD_CONFIG', `${file}: ${(error as Error).message.split('\n')[0]}`, { file });
  }
  try {
    return validateConfig(data);
  } catch (error) {
    if (error instanceof HakitError) throw new HakitError(error.code, `${file}: ${error.message}`, { file, ...error.details });
    throw error;
  }
}

export function loadConfigFile(file: string): LbConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new HakitError('LB_CONFIG_READ', `cannot read ${file}: ${(error as Error).message}`, { file });
  }
  return parseConfigText(text, file);
}
