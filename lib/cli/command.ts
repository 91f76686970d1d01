/** What every `hakit` subcommand module exports. */
import type { LogLevel } from '../log';
import { type OptionSpec, type ParsedArgs, UsageError } from './args';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves when the command should stop (SIGINT/SIGTERM for daemons). */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** One line for `hakit --help`. */
  summary: string;
  /** Full help text for `hakit NAME --help`. */
  help: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit status. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Resolves when a daemon command should stop (the CLI aborts io.signal on SIGINT/SIGTERM). */
/** `--log-level` of the daemon commands: the option, and its value checked (default info). */
export const logLevelSpec: OptionSpec = { name: 'log-level', type: 'string', valueName: 'LEVEL', description: 'debug, info, warn or error (default info)' };

export function logLevelOf(options: ParsedArgs['options']): LogLevel {
  const level = (options['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`bad --log-level '${level}'`);
  return level as LogLevel;
}

export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
