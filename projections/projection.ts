// The contract a consumer supplies: a named, versioned, pure fold of ledger events into a
// JSON state. State is JSON so that a snapshot can carry it; `version` says when an old
// snapshot of it can no longer be trusted (a changed fold is rebuilt from genesis).
import type { LedgerEvent } from '../src/contract/event.js';
import { ProjectionDefinitionError } from './projectionErrors.js';

/**
 * A projection: `apply` folds one event into the state and returns the next state. It must be
 * pure and must not mutate `state` (return a new value, or the same value when nothing
 * changes): a failed event must leave the previous state intact, and snapshots must be a
 * function of the events alone.
 *
 * @example
 * const count: Projection<number> = {
 *   name: 'event_count', version: 1, initial: 0,
 *   apply: (n) => n + 1,
 * };
 * count.apply(count.initial, someEvent) === 1;
 */
export interface Projection<S = unknown, E extends LedgerEvent<any> = LedgerEvent> {
  /** Unique among the projections of one runner; the key of its state in snapshots and output. */
  readonly name: string;
  /** A positive integer; bump it whenever `apply` or the state's shape changes. */
  readonly version: number;
  /** The state before any event (a JSON value). */
  readonly initial: S;
  /** The next state after `event`; pure, and must not mutate `state`. */
  apply(state: S, event: E): S;
}

/** A projection of any state and event type, as runners and registries hold them. */
export type AnyProjection = Projection<any, any>;

/** The state type of a projection. */
export type StateOf<P> = P extends Projection<infer S, any> ? S : never;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** Throws ProjectionDefinitionError naming the field if `p` is not a valid projection. */
export function checkProjection(p: unknown): asserts p is AnyProjection {
  if (typeof p !== 'object' || p === null) throw new ProjectionDefinitionError('', 'expected a projection object { name, version, initial, apply }', p);
  const q = p as Record<string, unknown>;
  if (typeof q.name !== 'string' || !NAME.test(q.name)) {
    throw new ProjectionDefinitionError('name', 'expected 1-200 characters of letters, digits, _ . : - (starting with a letter or digit)', q.name);
  }
  if (typeof q.version !== 'number' || !Number.isSafeInteger(q.version) || q.version < 1) {
    throw new ProjectionDefinitionError('version', `projection "${q.name}": expected a positive integer`, q.version);
  }
  if (!('initial' in q) || q.initial === undefined) throw new ProjectionDefinitionError('initial', `projection "${q.name}": expected a JSON value`, q.initial);
  if (typeof q.apply !== 'function') throw new ProjectionDefinitionError('apply', `projection "${q.name}": expected a function (state, event) => state`, q.apply);
}

/**
 * Checks a projection and returns it unchanged; lets TypeScript infer the state and event
 * types from `initial` and `apply`.
 *
 * @example
 * const sessions = defineProjection({
 *   name: 'open_sessions', version: 1, initial: [] as string[],
 *   apply: (open, e) => e.event_type === 'session_start' ? [...open, String(e.payload.session_id)] : open,
 * });
 */
export function defineProjection<S, E extends LedgerEvent<any> = LedgerEvent>(projection: Projection<S, E>): Projection<S, E> {
  checkProjection(projection);
  return projection;
}
