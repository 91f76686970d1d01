/**
 * Every error hakit raises on purpose is a HakitError: a message for people, a stable `code`
 * for programs, and `details` naming where the problem is (file:line:col, byte offset,
 * attribute path, ...).
 */
export interface ErrorDetails {
  [key: string]: unknown;
}

export class HakitError extends Error {
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HakitError';
    this.code = code;
    this.details = details;
  }
}

/** Wrong arguments to an API call: the caller's bug, caught before anything happens. */
export class ArgumentError extends HakitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_INVALID_ARG', message, details);
    this.name = 'ArgumentError';
  }
}

export function isHakitError(value: unknown): value is HakitError {
  return value instanceof HakitError;
}

/** Checks used by API entry points before anything reaches native code. */
export const check = {
  integer(name: string, value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ArgumentError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`, { argument: name });
    }
    return value;
  },
  number(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ArgumentError(`${name} must be a finite number, got ${describe(value)}`, { argument: name });
    }
    return value;
  },
  string(name: string, value: unknown): string {
    if (typeof value !== 'string') throw new ArgumentError(`${name} must be a string, got ${describe(value)}`, { argument: name });
    return value;
  },
  bytes(name: string, value: unknown): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new ArgumentError(`${name} must be a Buffer or Uint8Array, got ${describe(value)}`, { argument: name });
    return value;
  },
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw new ArgumentError(`${name} must be one of ${allowed.join(', ')}, got ${describe(value)}`, { argument: name });
    }
    return value as T;
  },
};

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
