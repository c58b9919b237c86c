// The explorer API's input checks and error answers, shared by its route files: a bad parameter
// is a 400 naming it and the value, a ledger error keeps its stable code.
import { isLedgerError, LedgerNotFoundError, LedgerValidationError } from '../errors/errors.js';
import type { ApiError } from './apiTypes.js';

/** An answer other than 200 that is not a ledger error (no checkpoint, no projections…). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A decimal integer ≥ min given as text, or LedgerValidationError naming `field`. */
export function parseInteger(field: string, value: unknown, min: number): number {
  if (typeof value !== 'string' || !/^(0|[1-9]\d*)$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new LedgerValidationError(field, `expected an integer ≥ ${min}`, value);
  }
  return Number(value);
}

/** Refuses any query parameter not in `known`: nothing a caller passes is silently ignored. */
export function checkKnown(q: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(q)) if (!known.includes(k)) throw new LedgerValidationError(`query.${k}`, `unknown parameter (expected ${known.join(', ')})`, q[k]);
}

/** The status and body of the answer to `e`. */
export function errorBody(e: unknown): { status: number; error: ApiError } {
  if (e instanceof HttpError) return { status: e.status, error: { error: { code: e.code, message: e.message } } };
  if (e instanceof LedgerValidationError) return { status: 400, error: { error: { code: e.code, message: e.message, field: e.path } } };
  if (e instanceof LedgerNotFoundError) return { status: 404, error: { error: { code: e.code, message: e.message } } };
  if (isLedgerError(e)) return { status: 500, error: { error: { code: e.code, message: e.message } } };
  const status = typeof (e as { statusCode?: unknown }).statusCode === 'number' ? (e as { statusCode: number }).statusCode : 500;
  return { status, error: { error: { code: 'INTERNAL', message: (e as Error).message ?? String(e) } } };
}
