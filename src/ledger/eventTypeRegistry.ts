import * as t from 'io-ts';
import { PayloadObject } from '../contract/event.js';
import {
  NodeCreationPayload, PackageInstallPayload, SEED_OBJECT_PAYLOAD_TYPES, SessionStartPayload, SignalDeltaPayload, SnapshotCreatedPayload,
} from '../contract/payloads.js';
import { LedgerValidationError } from '../errors/errors.js';

/** Any io-ts codec whose input is unknown: what a payload codec must be. */
export type PayloadCodec = t.Decoder<unknown, unknown> & { readonly name: string };

/**
 * Which event types a ledger accepts and how each payload is checked. Unknown types are
 * rejected, so a typo never reaches the chain; consumers register their own.
 */
export class EventTypeRegistry {
  private readonly codecs = new Map<string, PayloadCodec>();

  /** The seed's event types: typed payloads for five, any JSON object for the rest. */
  static withSeedTypes(): EventTypeRegistry {
    const r = new EventTypeRegistry()
      .register('node_creation', NodeCreationPayload)
      .register('signal_delta', SignalDeltaPayload)
      .register('package_install', PackageInstallPayload)
      .register('session_start', SessionStartPayload)
      .register('snapshot_created', SnapshotCreatedPayload);
    for (const type of SEED_OBJECT_PAYLOAD_TYPES) r.register(type, PayloadObject);
    return r;
  }

  /** Adds `eventType` with its payload codec; registering a type twice is an error. */
  register(eventType: string, payload: PayloadCodec = PayloadObject): this {
    if (this.codecs.has(eventType)) throw new LedgerValidationError('event_type', `"${eventType}" is already registered`, eventType);
    this.codecs.set(eventType, payload);
    return this;
  }

  has(eventType: string): boolean {
    return this.codecs.has(eventType);
  }

  /** The payload codec of `eventType`, or a LedgerValidationError naming the unknown type. */
  codecFor(eventType: string): PayloadCodec {
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
