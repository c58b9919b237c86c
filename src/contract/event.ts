// The base event of seed 003, its io-ts codecs, and the append input callers supply. The
// TypeScript types are derived from the codecs (t.TypeOf / t.OutputOf), never written twice.
import * as t from 'io-ts';
import { HASH_PATTERN } from './hash.js';
import { decodeOrThrow, describeCodec } from './validation.js';

// ---- primitives -------------------------------------------------------------------------
// Refined strings are io-ts brands: a decoded value carries the proof of its check in its type
// (an event read back has `hash: HashString`), while callers write plain strings (t.OutputOf).
// Each brand's description is what a LedgerValidationError says was expected.

export interface NonEmptyStringBrand { readonly NonEmptyString: unique symbol }
/** A string of at least one character (an io-ts brand). */
export const NonEmptyString = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, NonEmptyStringBrand> => s.length > 0, 'NonEmptyString'),
  'a non-empty string',
);
/** A string proven non-empty by the `NonEmptyString` codec. */
export type NonEmptyString = t.TypeOf<typeof NonEmptyString>;

export interface HashStringBrand { readonly HashString: unique symbol }
/** A hash in the ledger's only format, `sha256:` and 64 lowercase hex digits (an io-ts brand). */
export const HashString = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, HashStringBrand> => HASH_PATTERN.test(s), 'HashString'),
  'sha256:<64 lowercase hex>',
);
/** A string proven to be `sha256:<64 lowercase hex>` by the `HashString` codec. */
export type HashString = t.TypeOf<typeof HashString>;

export interface SchemaVersionBrand { readonly SchemaVersion: unique symbol }
export const SchemaVersion = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, SchemaVersionBrand> => /^\d+\.\d+\.\d+$/.test(s), 'SchemaVersion'),
  'a semantic version like "1.0.0"',
);
export type SchemaVersion = t.TypeOf<typeof SchemaVersion>;

export interface TimestampBrand { readonly Timestamp: unique symbol }
export const Timestamp = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, TimestampBrand> => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s), 'Timestamp'),
  'an ISO-8601 UTC timestamp like "2026-01-01T00:00:00.000Z"',
);
export type Timestamp = t.TypeOf<typeof Timestamp>;

export interface UuidBrand { readonly Uuid: unique symbol }
export const Uuid = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, UuidBrand> => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s), 'Uuid'),
  'a lowercase UUID',
);
export type Uuid = t.TypeOf<typeof Uuid>;

export interface EventTypeBrand { readonly EventType: unique symbol }
export const EventType = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, EventTypeBrand> => /^[a-z][a-z0-9_]*$/.test(s), 'EventType'),
  'an event type of lowercase letters, digits and underscores',
);
export type EventType = t.TypeOf<typeof EventType>;

export interface SequenceBrand { readonly Sequence: unique symbol }
/** A sequence number: an integer (t.Int) that is non-negative and exact in a JS number. */
export const Sequence = describeCodec(
  t.brand(t.Int, (n): n is t.Branded<t.Int, SequenceBrand> => n >= 0 && Number.isSafeInteger(n), 'Sequence'),
  'a non-negative safe integer',
);
export type Sequence = t.TypeOf<typeof Sequence>;

export const Actor = t.keyof({ system: null, operator: null, agent: null }, '"system" | "operator" | "agent"');
export type Actor = t.TypeOf<typeof Actor>;

/**
 * An object with exactly `props` (and, if given, any of `optional`): a field in neither is a
 * failure naming it, never dropped (t.strict/t.exact would drop it silently, and a caller's
 * field would vanish from the chain).
 */
export function closedObject<P extends t.Props, O extends t.Props = {}>(
  props: P,
  name: string,
  optional?: O,
): t.Type<t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<O>>, t.OutputOf<t.TypeC<P>> & t.OutputOf<t.PartialC<O>>, unknown> {
  // Two codecs validated in the same context (not t.intersection, whose member index would
  // show up in every failure's path as `["0"].sequence`).
  const required = t.type(props);
  const partial = t.partial((optional ?? {}) as O);
  const known = [...Object.keys(props), ...Object.keys(optional ?? {})];
  const isKnown = (k: string) => Object.prototype.hasOwnProperty.call(props, k) || (optional !== undefined && Object.prototype.hasOwnProperty.call(optional, k));
  type A = t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<O>>;
  type Out = t.OutputOf<t.TypeC<P>> & t.OutputOf<t.PartialC<O>>;
  return new t.Type<A, Out, unknown>(
    name,
    (u): u is A => required.is(u) && partial.is(u) && Object.keys(u as object).every(isKnown),
    (u, c) => {
      const r = required.validate(u, c);
      if (r._tag === 'Left') return r;
      const o = partial.validate(u, c);
      if (o._tag === 'Left') return o;
      for (const k of Object.keys(u as object)) {
        if (!isKnown(k)) {
          const value = (u as Record<string, unknown>)[k];
          return t.failure(value, t.appendContext(c, k, t.unknown, value), `unknown field (expected ${known.join(', ')})`);
        }
      }
      return t.success({ ...(o.right as object), ...(r.right as object) } as A);
    },
    (a) => ({ ...(partial.encode(a) as object), ...(required.encode(a) as object) }) as Out,
  );
}

/** Who appended an event: framework, pack and actor; unknown fields are refused. */
export const Provenance = closedObject({ framework_id: NonEmptyString, pack_id: NonEmptyString, actor: Actor }, 'Provenance');
/**
 * Who appended an event, as callers write it (plain strings). An event read back carries the
 * decoded form (`t.TypeOf<typeof Provenance>`, branded), which is assignable to this.
 */
export type Provenance = t.OutputOf<typeof Provenance>;

/**
 * A provenance object, checked now (LedgerValidationError naming the field) and typed as
 * Provenance, so one declared once needs no `as const`: TypeScript widens `actor: 'agent'` in a
 * plain `const` to `string`, which append refuses; an argument typed Provenance keeps the literal.
 * Returns a frozen copy.
 *
 * @example
 * const provenance = defineProvenance({ framework_id: 'FMWK-001', pack_id: 'PC-001', actor: 'agent' });
 * await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id: 's-1' } });
 */
export function defineProvenance(provenance: Provenance): Provenance {
  return Object.freeze({ ...decodeOrThrow(Provenance, provenance, 'provenance') });
}

/** A JSON object: what every payload is. */
export type JsonObject = Record<string, unknown>;

/** Payloads are JSON objects; their fields are checked by the event type's payload codec. */
export const PayloadObject = new t.Type<JsonObject, JsonObject, unknown>(
  'a JSON object',
  (u): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) => (typeof u === 'object' && u !== null && !Array.isArray(u) ? t.success(u as JsonObject) : t.failure(u, c, 'expected a JSON object')),
  t.identity,
);

/**
 * Issue 22: where an event stands in an atomic batch of `size` (>= 2) events appended as one
 * unit; `index` runs 0..size-1 over consecutive sequences. Absent on events appended alone.
 */
export const BatchPosition = new t.Type<{ readonly index: number; readonly size: number }, { readonly index: number; readonly size: number }, unknown>(
  'BatchPosition',
  (u): u is { index: number; size: number } => batchProblem(u) === undefined,
  (u, c) => {
    const why = batchProblem(u);
    return why === undefined ? t.success(u as { index: number; size: number }) : t.failure(u, c, why);
  },
  t.identity,
);

/** Why `u` is not a batch position `{index, size}` (0 <= index < size, size >= 2), or undefined. */
export function batchProblem(u: unknown): string | undefined {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return 'expected {"index": i, "size": n}';
  const keys = Object.keys(u);
  const extra = keys.find((k) => k !== 'index' && k !== 'size');
  if (extra !== undefined) return `unknown field ${JSON.stringify(extra)} (a batch position has index and size)`;
  const { index, size } = u as Record<string, unknown>;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 2) return 'size is not an integer >= 2';
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= size) return `index is not an integer in 0..${size - 1}`;
  return undefined;
}

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
  // Issue 13: absent when unused, so an event without them is byte-identical to the base shape.
  { stream_id: NonEmptyString, stream_version: Sequence, metadata: PayloadObject, batch: BatchPosition },
);

type DecodedEvent = t.TypeOf<typeof LedgerEventCodec>;

/**
 * The fields every event has, as decoded (refined fields are brands: `hash: HashString`,
 * `sequence: Sequence`), read-only. `event_type` and `payload` are left to LedgerEvent and
 * TypedEvent: the event type is never a brand, because it is the union's discriminant and
 * TypeScript narrows only on plain literal types.
 */
export type EventBase = Readonly<Omit<DecodedEvent, 'event_type' | 'payload'>>;

/** An event as stored: the base shape of seed 003, the decoded type of LedgerEventCodec. `P` is the payload. */
export interface LedgerEvent<P = JsonObject> extends EventBase {
  readonly event_type: string;
  readonly payload: P;
}

/** An event whose `event_type` is the literal `K` and whose payload is `P`: one member of a typed union. */
export interface TypedEvent<K extends string, P> extends LedgerEvent<P> {
  readonly event_type: K;
}

export { EVENT_FIELDS, OPTIONAL_EVENT_FIELDS } from './eventFields.js';

// ---- what callers append --------------------------------------------------------------------

/** Expected version: no concurrency check (KurrentDB's ANY); the same as giving none. */
export const ANY = 'any';
/** Expected version: the stream must not exist yet (KurrentDB's NO_STREAM); the number -1. */
export const NO_STREAM = -1;
/** Expected version: the stream must have at least one event, whatever its version (KurrentDB's STREAM_EXISTS). */
export const STREAM_EXISTS = 'stream_exists';
/** What `expected_version` takes: a stream version, NO_STREAM (-1), ANY or STREAM_EXISTS. */
export type ExpectedVersion = number | typeof ANY | typeof STREAM_EXISTS;

/**
 * An expected stream version: an integer >= -1 (-1 = NO_STREAM: the stream must not exist
 * yet), `"any"` (ANY: no check) or `"stream_exists"` (STREAM_EXISTS). Also `"no_stream"`,
 * read as -1, so a JSON input line can name every constant.
 */
export const ExpectedVersion = new t.Type<ExpectedVersion, ExpectedVersion | 'no_stream', unknown>(
  'ExpectedVersion',
  (u): u is ExpectedVersion => u === ANY || u === STREAM_EXISTS || (typeof u === 'number' && Number.isSafeInteger(u) && u >= -1),
  (u, c) => {
    if (u === ANY || u === STREAM_EXISTS) return t.success(u);
    if (u === 'no_stream') return t.success(NO_STREAM);
    return typeof u === 'number' && Number.isSafeInteger(u) && u >= -1
      ? t.success(u + 0)
      : t.failure(u, c, 'expected an integer >= -1 (-1 = NO_STREAM: the stream must not exist yet), "any" (ANY), "no_stream" or "stream_exists" (STREAM_EXISTS)');
  },
  t.identity,
);

export const AppendInputCodec = closedObject(
  { event_type: EventType, schema_version: SchemaVersion, provenance: Provenance, payload: PayloadObject },
  'AppendInput',
  {
    /** The stream the event belongs to; the ledger assigns its stream_version. */
    stream_id: NonEmptyString,
    /**
     * Optimistic concurrency: the stream's last version must be this (-1 = NO_STREAM: no such
     * stream yet; STREAM_EXISTS: any version; ANY: no check). Needs stream_id (except ANY).
     */
    expected_version: ExpectedVersion,
    /** A caller-chosen id (UUIDv7 recommended): appending it again with the same content is a no-op. */
    event_id: Uuid,
    /** correlation_id, causation_id and anything else, under the canonical-JSON rules. */
    metadata: PayloadObject,
  },
);

type EncodedInput = t.OutputOf<typeof AppendInputCodec>;

/** What a caller appends, as written (plain strings: the codec's output type); the ledger assigns the rest. */
export interface AppendInput<P = JsonObject> extends Readonly<Omit<EncodedInput, 'event_type' | 'payload'>> {
  readonly event_type: string;
  readonly payload: P;
}

/** An append input of the literal type `K` with payload `P`: one member of a typed union. */
export interface TypedAppendInput<K extends string, P> extends AppendInput<P> {
  readonly event_type: K;
}

/** Fields only the ledger may set: passing one is a caller error, never silently ignored. */
export const LEDGER_OWNED_FIELDS = ['sequence', 'timestamp', 'previous_hash', 'hash', 'stream_version', 'batch'] as const;

/** What an append resolves with: enough to cite the event without reading it back. */
export interface AppendResult {
  readonly sequence: number;
  readonly hash: string;
  readonly event_id: string;
  /** Present when the event was appended to a stream. */
  readonly stream_id?: string;
  readonly stream_version?: number;
}
