// Which event types a ledger accepts, their payload codecs, and the types derived from them.
import type * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { EventType, PayloadObject, type AppendInput, type LedgerEvent, type TypedAppendInput, type TypedEvent } from '../contract/event.js';
import { NodeCreationPayload, PackageInstallPayload, SEED_OBJECT_PAYLOAD_TYPES, SessionStartPayload, SignalDeltaPayload } from '../contract/payloads.js';
import { LedgerValidationError } from '../errors/errors.js';

/** Any io-ts codec whose input is unknown: what a payload codec must be. */
export type PayloadCodec = t.Decoder<unknown, unknown> & { readonly name: string };

/** event_type -> payload codec: what a registry's type accumulates as codecs are registered. */
export type CodecMap = { readonly [eventType: string]: PayloadCodec };

/** The payload an event of codec `C` carries when read: the decoded type (brands included). */
export type PayloadOf<C> = C extends t.Decoder<unknown, infer A> ? A : never;

/** The payload a caller appends for codec `C`: its output type (plain strings where reads carry brands). */
export type PayloadInputOf<C> = C extends t.Type<any, infer O, any> ? O : PayloadOf<C>;

/**
 * The events of the codec map `M` as a union discriminated by `event_type`, so
 * `if (e.event_type === 'node_creation') e.payload.node_id` needs no cast. A map with a
 * `string` key (an untyped registry) gives the base LedgerEvent.
 */
export type EventUnion<M> = string extends keyof M ? LedgerEvent : { [K in keyof M & string]: TypedEvent<K, PayloadOf<M[K]>> }[keyof M & string];

/** What `append` accepts for the codec map `M`: a registered type with its payload. */
export type AppendInputUnion<M> = string extends keyof M
  ? AppendInput<object>
  : { [K in keyof M & string]: TypedAppendInput<K, PayloadInputOf<M[K]>> }[keyof M & string];

/** The codecs of seed 003's event types, as EventTypeRegistry.withSeedTypes() registers them. */
export type SeedCodecs = {
  readonly node_creation: typeof NodeCreationPayload;
  readonly signal_delta: typeof SignalDeltaPayload;
  readonly package_install: typeof PackageInstallPayload;
  readonly session_start: typeof SessionStartPayload;
} & { readonly [K in (typeof SEED_OBJECT_PAYLOAD_TYPES)[number]]: typeof PayloadObject };

/** An event of one of seed 003's types: what a ledger opened without a registry reads. */
export type SeedEvent = EventUnion<SeedCodecs>;

/** What a ledger opened without a registry appends. */
export type SeedAppendInput = AppendInputUnion<SeedCodecs>;

/**
 * The right to append one reserved event type. Only the object EventTypeRegistry.reserve
 * returned is accepted (compared by identity), so whoever reserved a type can keep the right to
 * itself by never exporting it; there is no way to build or look one up.
 */
export interface ReservedTypeCapability {
  readonly eventType: string;
}

interface Reservation {
  readonly codec: PayloadCodec;
  readonly capability: ReservedTypeCapability;
}

// Process-wide on purpose: a reserved type must stay reserved in every registry, including
// one a caller builds, or a caller could register it as an ordinary type and append it.
const reservations = new Map<string, Reservation>();

const reservedError = (eventType: string): LedgerValidationError =>
  new LedgerValidationError(
    'event_type',
    `"${eventType}" is reserved: only the framework that owns it appends it (not Ledger.append, not the CLI)`,
    eventType,
  );

/**
 * Which event types a ledger accepts and how each payload is checked. Unknown types are
 * rejected, so a typo never reaches the chain; consumers register their own. Reserved types
 * (EventTypeRegistry.reserve) are accepted only from the holder of their capability.
 */
export class EventTypeRegistry<M extends CodecMap = {}> {
  private readonly codecs = new Map<string, PayloadCodec>();
  /**
   * Type only, never set: the codec map `M` (as io-ts keeps `_A` on a codec), public so that it
   * survives into the .d.ts and registries of different types stay apart there too.
   */
  declare readonly _codecs?: M;

  /** The seed's event types: typed payloads for four, any JSON object for the rest. */
  static withSeedTypes(): EventTypeRegistry<SeedCodecs> {
    const r = new EventTypeRegistry()
      .register('node_creation', NodeCreationPayload)
      .register('signal_delta', SignalDeltaPayload)
      .register('package_install', PackageInstallPayload)
      .register('session_start', SessionStartPayload);
    for (const type of SEED_OBJECT_PAYLOAD_TYPES) r.register(type, PayloadObject);
    return r as EventTypeRegistry<SeedCodecs>;
  }

  /**
   * Reserves `eventType` for the caller, in every registry of this process: Ledger.append,
   * lookup() and register() refuse it from then on (also in a registry that registered it
   * earlier), and only `ledger.appendReserved(capability, input)` with the returned capability
   * appends it. Keep the capability private; a type can be reserved once.
   */
  static reserve(eventType: string, payload: PayloadCodec): ReservedTypeCapability {
    if (!EventType.is(eventType)) throw new LedgerValidationError('event_type', 'expected lowercase letters, digits and underscores', eventType);
    if (reservations.has(eventType)) throw new LedgerValidationError('event_type', `"${eventType}" is already reserved`, eventType);
    const capability: ReservedTypeCapability = Object.freeze({ eventType });
    reservations.set(eventType, { codec: payload, capability });
    return capability;
  }

  /** Whether a framework reserved `eventType` (then only its capability can append it). */
  static isReserved(eventType: string): boolean {
    return reservations.has(eventType);
  }

  /** The reserved event types, sorted. */
  static reservedTypes(): string[] {
    return [...reservations.keys()].sort();
  }

  /**
   * The payload codec of a reserved type if `capability` is its capability; a
   * LedgerValidationError naming the type otherwise.
   */
  static reserved(eventType: string, capability: ReservedTypeCapability): E.Either<LedgerValidationError, PayloadCodec> {
    const r = reservations.get(eventType);
    if (!r) return E.left(new LedgerValidationError('event_type', `"${eventType}" is not a reserved type: append it with Ledger.append`, eventType));
    return r.capability === capability ? E.right(r.codec) : E.left(reservedError(eventType));
  }

  /**
   * Adds `eventType` with its payload codec (default: any JSON object); registering a type
   * twice, or a reserved one, is an error. Returns this registry, typed with the new type
   * (keep the returned value: the variable it was called on keeps its older type):
   *
   * @example
   * const registry = EventTypeRegistry.withSeedTypes().register('receipt_committed', ReceiptPayload);
   * const ledger = await Ledger.open(store, { registry }); // reads and appends know 'receipt_committed'
   */
  register<K extends string, C extends PayloadCodec = typeof PayloadObject>(eventType: K, payload?: C): EventTypeRegistry<M & { readonly [T in K]: C }> {
    if (reservations.has(eventType)) throw reservedError(eventType);
    if (this.codecs.has(eventType)) throw new LedgerValidationError('event_type', `"${eventType}" is already registered`, eventType);
    this.codecs.set(eventType, payload ?? PayloadObject);
    return this as unknown as EventTypeRegistry<M & { readonly [T in K]: C }>;
  }

  /** Whether `eventType` is registered here. */
  has(eventType: string): boolean {
    return this.codecs.has(eventType);
  }

  /** The payload codec of `eventType`, or a LedgerValidationError naming the unknown or reserved type. */
  lookup(eventType: string): E.Either<LedgerValidationError, PayloadCodec> {
    if (reservations.has(eventType)) return E.left(reservedError(eventType));
    const codec = this.codecs.get(eventType);
    return codec
      ? E.right(codec)
      : E.left(new LedgerValidationError('event_type', `unknown event type "${eventType}" (register it with EventTypeRegistry.register)`, eventType));
  }

  /** The registered event types, sorted. */
  types(): string[] {
    return [...this.codecs.keys()].sort();
  }
}
