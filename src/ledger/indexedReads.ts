// Checks for the ledger's index-served reads (issue 13): the options a caller passes, and what
// an event read through an index must satisfy. Indexes are derived data and never trusted:
// every event they name is read from the store and checked here before it is returned.
import { canonicalJson } from '../contract/canonicalJson.js';
import { Actor, EventType, HashString, NonEmptyString, Timestamp, Uuid, type LedgerEvent } from '../contract/event.js';
import { sha256 } from '../contract/hash.js';
import { LedgerCorruptionError, LedgerValidationError } from '../errors/errors.js';
import type { IndexQuery, StreamRange } from './ledgerStore.js';

function checkObject(name: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LedgerValidationError(name, 'expected an options object', value);
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new LedgerValidationError(k, `unknown option (expected ${allowed.join(', ')})`, (value as Record<string, unknown>)[k]);
  }
  return value as Record<string, unknown>;
}

function checkInt(name: string, value: unknown, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)) {
    throw new LedgerValidationError(name, `expected an integer >= ${min}`, value);
  }
}

function checkDirection(value: unknown): void {
  if (value !== undefined && value !== 'forward' && value !== 'backward') throw new LedgerValidationError('direction', `expected 'forward' or 'backward'`, value);
}

/** A stream id is a non-empty string. */
export function checkStreamId(streamId: unknown): asserts streamId is string {
  if (!NonEmptyString.is(streamId)) throw new LedgerValidationError('stream_id', 'expected a non-empty string', streamId);
}

/** A hash in the ledger's format. */
export function checkHash(hash: unknown): asserts hash is string {
  if (!HashString.is(hash)) throw new LedgerValidationError('hash', 'expected sha256:<64 lowercase hex>', hash);
}

/** An event id is a lowercase UUID. */
export function checkEventId(id: unknown): asserts id is string {
  if (!Uuid.is(id)) throw new LedgerValidationError('event_id', 'expected a lowercase UUID', id);
}

/** The options of readStream, checked: versions and limit are non-negative integers. */
export function checkStreamRange(range: unknown): StreamRange {
  const r = checkObject('range', range, ['from', 'to', 'direction', 'limit']);
  checkInt('from', r.from, 0);
  checkInt('to', r.to, 0);
  checkInt('limit', r.limit, 0);
  checkDirection(r.direction);
  return r as StreamRange;
}

const QUERY_FIELDS = ['event_type', 'actor', 'framework_id', 'stream_id_prefix', 'since', 'until', 'limit', 'direction'] as const;

/** A query, checked field by field: a bad field is LedgerValidationError naming it. */
export function checkIndexQuery(query: unknown): IndexQuery {
  const q = checkObject('query', query, QUERY_FIELDS);
  if (q.event_type !== undefined && !EventType.is(q.event_type)) throw new LedgerValidationError('event_type', 'expected an event type of lowercase letters, digits and underscores', q.event_type);
  if (q.actor !== undefined && !Actor.is(q.actor)) throw new LedgerValidationError('actor', 'expected "system" | "operator" | "agent" (provenance.actor)', q.actor);
  for (const f of ['framework_id', 'stream_id_prefix'] as const) {
    if (q[f] !== undefined && (typeof q[f] !== 'string' || q[f] === '')) throw new LedgerValidationError(f, 'expected a non-empty string', q[f]);
  }
  for (const f of ['since', 'until'] as const) {
    if (q[f] !== undefined && !Timestamp.is(q[f])) throw new LedgerValidationError(f, 'expected an ISO-8601 UTC timestamp like "2026-01-01T00:00:00.000Z"', q[f]);
  }
  if (q.since !== undefined && q.until !== undefined && (q.until as string) < (q.since as string)) {
    throw new LedgerValidationError('until', `is before since (${q.since as string})`, q.until);
  }
  checkInt('limit', q.limit, 0);
  checkDirection(q.direction);
  return q as IndexQuery;
}

/** True if `event` satisfies every filter of `q` (what the index claimed of it). */
export function matchesQuery(event: LedgerEvent, q: IndexQuery): boolean {
  return (
    (q.event_type === undefined || event.event_type === q.event_type) &&
    (q.actor === undefined || event.provenance.actor === q.actor) &&
    (q.framework_id === undefined || event.provenance.framework_id === q.framework_id) &&
    (q.stream_id_prefix === undefined || (event.stream_id !== undefined && event.stream_id.startsWith(q.stream_id_prefix))) &&
    (q.since === undefined || event.timestamp >= q.since) &&
    (q.until === undefined || event.timestamp <= q.until)
  );
}

/** The hash an event's content gives (SHA-256 of canonical JSON without `hash`); content that has no canonical form is corruption. */
export function eventHash(event: LedgerEvent, sequence: number): string {
  const { hash: _hash, ...rest } = event;
  try {
    return sha256(canonicalJson(rest));
  } catch (e) {
    throw new LedgerCorruptionError(sequence, `the stored event has no canonical form: ${(e as Error).message}`, { cause: e });
  }
}
