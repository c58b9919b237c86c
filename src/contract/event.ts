// The base event of seed 003, its io-ts codecs, and the append input callers supply.
import * as t from 'io-ts';
import { HASH_PATTERN } from './hash.js';

// ---- primitives -------------------------------------------------------------------------

const refine = <A>(base: t.Type<A, A, unknown>, name: string, ok: (a: A) => boolean): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(
    name,
    (u): u is A => base.is(u) && ok(u),
    (u, c) => {
      const r = base.validate(u, c);
      return r._tag === 'Right' && !ok(r.right) ? t.failure(u, c, `expected ${name}`) : r;
    },
    t.identity,
  );

export const NonEmptyString = refine(t.string, 'a non-empty string', (s) => s.length > 0);
export const HashString = refine(t.string, 'sha256:<64 lowercase hex>', (s) => HASH_PATTERN.test(s));
export const SchemaVersion = refine(t.string, 'a semantic version like "1.0.0"', (s) => /^\d+\.\d+\.\d+$/.test(s));
export const Timestamp = refine(t.string, 'an ISO-8601 UTC timestamp like "2026-01-01T00:00:00.000Z"', (s) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s),
);
export const Uuid = refine(t.string, 'a lowercase UUID', (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s));
export const Sequence = refine(t.number, 'a non-negative safe integer', (n) => Number.isSafeInteger(n) && n >= 0);
export const EventType = refine(t.string, 'an event type of lowercase letters, digits and underscores', (s) =>
  /^[a-z][a-z0-9_]*$/.test(s),
);

export const Actor = t.keyof({ system: null, operator: null, agent: null }, '"system" | "operator" | "agent"');
export type Actor = t.TypeOf<typeof Actor>;

/**
 * An object with exactly `props`: a field not in `props` is a failure naming it, never dropped
 * (t.strict/t.exact would drop it silently, and a caller's field would vanish from the chain).
 */
export function closedObject<P extends t.Props>(props: P, name: string): t.Type<t.TypeOf<t.TypeC<P>>, t.OutputOf<t.TypeC<P>>, unknown> {
  const open = t.type(props);
  const known = Object.keys(props);
  return new t.Type(
    name,
    (u): u is t.TypeOf<t.TypeC<P>> => open.is(u) && Object.keys(u as object).every((k) => k in props),
    (u, c) => {
      const r = open.validate(u, c);
      if (r._tag === 'Left') return r;
      for (const k of Object.keys(u as object)) {
        if (!Object.prototype.hasOwnProperty.call(props, k)) {
          const value = (u as Record<string, unknown>)[k];
          return t.failure(value, t.appendContext(c, k, t.unknown, value), `unknown field (expected ${known.join(', ')})`);
        }
      }
      return r;
    },
    open.encode,
  );
}

export const Provenance = closedObject({ framework_id: NonEmptyString, pack_id: NonEmptyString, actor: Actor }, 'Provenance');
export type Provenance = t.TypeOf<typeof Provenance>;

/** Payloads are JSON objects; their fields are checked by the event type's payload codec. */
export const PayloadObject = new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
  'a JSON object',
  (u): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) => (typeof u === 'object' && u !== null && !Array.isArray(u) ? t.success(u as Record<string, unknown>) : t.failure(u, c, 'expected a JSON object')),
  t.identity,
);

// ---- the event ----------------------------------------------------------------------------

export const LedgerEventCodec = closedObject(
  {
    event_id: Uuid,
    sequence: Sequence,
    event_type: EventType,
    schema_version: SchemaVersion,
    timestamp: Timestamp,
    provenance: Provenance,
    previous_hash: HashString,
    payload: PayloadObject,
    hash: HashString,
  },
  'LedgerEvent',
);

/** An event as stored: the base shape of seed 003. `P` is the payload type. */
export interface LedgerEvent<P = Record<string, unknown>> {
  readonly event_id: string;
  readonly sequence: number;
  readonly event_type: string;
  readonly schema_version: string;
  readonly timestamp: string;
  readonly provenance: Provenance;
  readonly previous_hash: string;
  readonly payload: P;
  readonly hash: string;
}

/** The field names of the base event, in canonical (code point) order. */
export const EVENT_FIELDS = [
  'event_id', 'event_type', 'hash', 'payload', 'previous_hash', 'provenance', 'schema_version', 'sequence', 'timestamp',
] as const;

// ---- what callers append --------------------------------------------------------------------

export const AppendInputCodec = closedObject(
  { event_type: EventType, schema_version: SchemaVersion, provenance: Provenance, payload: PayloadObject },
  'AppendInput',
);

/** What a caller appends; the ledger assigns everything else. */
export interface AppendInput<P = Record<string, unknown>> {
  readonly event_type: string;
  readonly schema_version: string;
  readonly provenance: Provenance;
  readonly payload: P;
}

/** Fields only the ledger may set: passing one is a caller error, never silently ignored. */
export const LEDGER_OWNED_FIELDS = ['event_id', 'sequence', 'timestamp', 'previous_hash', 'hash'] as const;
