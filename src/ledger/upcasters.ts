// Upcasting: old events read in their current shape. The ledger never rewrites an event (its
// bytes and hash are the record); when a payload's schema changes, an upcaster per
// (event_type, schema_version) turns the old payload into the next version's, and chains of
// them bring any old event up to date as it is read or replayed.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { LedgerEvent, SchemaVersion } from '../contract/event.js';
import { toValidationError } from '../contract/validation.js';
import { LedgerUpcastError, LedgerValidationError } from '../errors/errors.js';

/** One step: payloads of `eventType` at schema version `from` become version `to`. */
export interface Upcaster<From = any, To = any> {
  readonly eventType: string;
  /** The schema_version this step reads, `MAJOR.MINOR.PATCH`. */
  readonly from: string;
  /** The schema_version it produces; must be greater than `from`, so a chain always ends. */
  readonly to: string;
  /**
   * The payload at `to`. Must be pure: it receives a copy of the stored payload, and the same
   * event must always give the same result (replays and snapshots depend on it).
   */
  upcast(payload: From, event: LedgerEvent<From>): To;
  /** If given, the produced payload must decode with it (the error names the field). */
  readonly codec?: t.Decoder<unknown, To>;
}

const EVENT_TYPE = /^[a-z][a-z0-9_]*$/;
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

/** -1, 0 or 1 as semantic version `a` is below, equal to or above `b` (both already checked). */
function compareVersions(a: string, b: string): number {
  const x = SEMVER.exec(a)!.slice(1).map(Number);
  const y = SEMVER.exec(b)!.slice(1).map(Number);
  for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

const isJsonObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && [Object.prototype, null].includes(Object.getPrototypeOf(u));

/**
 * The upcasters of a ledger's readers, by (event_type, schema_version). An event whose version
 * has an upcaster is upcast, then again from the version produced, until no step applies.
 * The result is a new event object with the current `schema_version` and payload; `hash`,
 * `previous_hash` and every other field stay those of the stored event (it is a view of it;
 * the stored bytes and the chain are untouched).
 *
 * @example
 * const upcasters = new UpcasterRegistry()
 *   .register({ eventType: 'signal_delta', from: '1.0.0', to: '1.1.0', upcast: (p) => ({ ...p, reason: p.reason ?? 'unspecified' }) })
 *   .register({ eventType: 'signal_delta', from: '1.1.0', to: '2.0.0', upcast: ({ delta, ...p }) => ({ ...p, amount: String(delta) }) });
 * upcasters.upcast(storedV1Event).schema_version === '2.0.0';
 * new ReplayEngine(ledger, { projections: [totalsV2], upcasters });
 */
export class UpcasterRegistry {
  private readonly steps = new Map<string, Upcaster>();

  /** A registry of `upcasters`, checked. */
  static of(upcasters: Iterable<Upcaster>): UpcasterRegistry {
    const r = new UpcasterRegistry();
    for (const u of upcasters) r.register(u);
    return r;
  }

  private static key(eventType: string, version: string): string {
    return `${eventType}@${version}`;
  }

  /** Adds one step; a second step for the same (event_type, from) is refused. */
  register<From, To>(upcaster: Upcaster<From, To>): this {
    const { eventType, from, to } = upcaster;
    if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType)) throw new LedgerValidationError('eventType', 'expected an event type of lowercase letters, digits and underscores', eventType);
    if (typeof from !== 'string' || !SEMVER.test(from)) throw new LedgerValidationError('from', 'expected a semantic version like "1.0.0"', from);
    if (typeof to !== 'string' || !SEMVER.test(to)) throw new LedgerValidationError('to', 'expected a semantic version like "1.1.0"', to);
    if (compareVersions(to, from) <= 0) throw new LedgerValidationError('to', `${eventType}: expected a version above ${from}, so a chain of upcasters always ends`, to);
    if (typeof upcaster.upcast !== 'function') throw new LedgerValidationError('upcast', `${eventType} ${from}: expected a function (payload, event) => payload`, upcaster.upcast);
    const key = UpcasterRegistry.key(eventType, from);
    if (this.steps.has(key)) throw new LedgerValidationError('from', `${eventType} ${from} already has an upcaster (to ${this.steps.get(key)!.to})`, from);
    this.steps.set(key, upcaster);
    return this;
  }

  /** True if events of `eventType` at `version` are upcast. */
  has(eventType: string, version: string): boolean {
    return this.steps.has(UpcasterRegistry.key(eventType, version));
  }

  /** The version an event of `eventType` at `version` ends at once upcast. */
  currentVersion(eventType: string, version: string): string {
    for (let step = this.steps.get(UpcasterRegistry.key(eventType, version)); step; step = this.steps.get(UpcasterRegistry.key(eventType, step.to))) version = step.to;
    return version;
  }

  /** How many upcasting steps are registered. */
  get size(): number {
    return this.steps.size;
  }

  /**
   * `event` in its current shape: the same object if no upcaster applies, else a new event.
   * Throws LedgerUpcastError (naming sequence, type and version) if a step throws or produces
   * something that is not a JSON object or does not decode with its codec.
   */
  upcast<E extends LedgerEvent<any>>(event: E): E {
    let current: LedgerEvent<unknown> = event;
    for (let step = this.steps.get(UpcasterRegistry.key(event.event_type, event.schema_version)); step; step = this.steps.get(UpcasterRegistry.key(current.event_type, current.schema_version))) {
      const fail = (message: string, cause?: unknown) => new LedgerUpcastError(event.sequence, event.event_type, `${step!.from} -> ${step!.to}`, message, cause === undefined ? undefined : { cause });
      let payload: unknown;
      try {
        // A copy: an upcaster that mutates its input cannot reach the stored (or shared) event.
        payload = step.upcast(structuredClone(current.payload), structuredClone(current));
      } catch (e) {
        throw fail(e instanceof Error ? e.message : String(e), e);
      }
      if (!isJsonObject(payload)) throw fail(`expected the upcaster to return a JSON object payload, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`);
      if (step.codec) {
        const decoded = step.codec.decode(payload);
        if (isLeft(decoded)) {
          const error = toValidationError(decoded.left, 'payload');
          throw fail(error.message, error);
        }
      }
      // register() checked `to` against the semantic version pattern.
      current = { ...current, schema_version: step.to as SchemaVersion, payload };
    }
    return current as E;
  }
}
