import * as t from 'io-ts';
import { PayloadObject } from '../contract/event.js';
import { NodeCreationPayload, PackageInstallPayload, SEED_OBJECT_PAYLOAD_TYPES, SessionStartPayload, SignalDeltaPayload } from '../contract/payloads.js';
import { LedgerValidationError } from '../errors/errors.js';

/** Any io-ts codec whose input is unknown: what a payload codec must be. */
export type PayloadCodec = t.Decoder<unknown, unknown> & { readonly name: string };

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
export class EventTypeRegistry {
  private readonly codecs = new Map<string, PayloadCodec>();

  /** The seed's event types: typed payloads for four, any JSON object for the rest. */
  static withSeedTypes(): EventTypeRegistry {
    const r = new EventTypeRegistry()
      .register('node_creation', NodeCreationPayload)
      .register('signal_delta', SignalDeltaPayload)
      .register('package_install', PackageInstallPayload)
      .register('session_start', SessionStartPayload);
    for (const type of SEED_OBJECT_PAYLOAD_TYPES) r.register(type, PayloadObject);
    return r;
  }

  /**
   * Reserves `eventType` for the caller, in every registry of this process: Ledger.append,
   * codecFor() and register() refuse it from then on (also in a registry that registered it
   * earlier), and only `ledger.appendReserved(capability, input)` with the returned capability
   * appends it. Keep the capability private; a type can be reserved once.
   */
  static reserve(eventType: string, payload: PayloadCodec): ReservedTypeCapability {
    if (!/^[a-z][a-z0-9_]*$/.test(eventType)) throw new LedgerValidationError('event_type', 'expected lowercase letters, digits and underscores', eventType);
    if (reservations.has(eventType)) throw new LedgerValidationError('event_type', `"${eventType}" is already reserved`, eventType);
    const capability: ReservedTypeCapability = Object.freeze({ eventType });
    reservations.set(eventType, { codec: payload, capability });
    return capability;
  }

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
  static reservedCodec(eventType: string, capability: ReservedTypeCapability): PayloadCodec {
    const r = reservations.get(eventType);
    if (!r || r.capability !== capability) {
      if (!r) throw new LedgerValidationError('event_type', `"${eventType}" is not a reserved type: append it with Ledger.append`, eventType);
      throw reservedError(eventType);
    }
    return r.codec;
  }

  /** Adds `eventType` with its payload codec; registering a type twice, or a reserved one, is an error. */
  register(eventType: string, payload: PayloadCodec = PayloadObject): this {
    if (reservations.has(eventType)) throw reservedError(eventType);
    if (this.codecs.has(eventType)) throw new LedgerValidationError('event_type', `"${eventType}" is already registered`, eventType);
    this.codecs.set(eventType, payload);
    return this;
  }

  has(eventType: string): boolean {
    return this.codecs.has(eventType);
  }

  /** The payload codec of `eventType`, or a LedgerValidationError naming the unknown or reserved type. */
  codecFor(eventType: string): PayloadCodec {
    if (reservations.has(eventType)) throw reservedError(eventType);
    const codec = this.codecs.get(eventType);
    if (!codec) {
      throw new LedgerValidationError('event_type', `unknown event type "${eventType}" (register it with EventTypeRegistry.register)`, eventType);
    }
    return codec;
  }

  types(): string[] {
    return [...this.codecs.keys()].sort();
  }
}
