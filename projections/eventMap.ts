// Typed events for projections: a map from event_type to payload type, and the discriminated
// union over `event_type` it gives. A projection that lists the types it handles (`canHandle`)
// receives only those events, so its fold is typed by them.
import type { LedgerEvent, TypedEvent } from '../src/contract/event.js';
import type { PayloadOf, SeedCodecs } from '../src/ledger/eventTypeRegistry.js';

/** One event whose `event_type` is the literal `K` and whose payload is `P` (the core's TypedEvent). */
export type { TypedEvent };

/**
 * The events of types `K` from the map `M` (event_type -> payload), as a union discriminated
 * by `event_type`. A type not in the map gets a JSON-object payload; `K = string` (no list of
 * types) is any event.
 *
 * @example
 * interface MyEvents { node_creation: NodeCreationPayload; receipt_committed: { receipt_id: string } }
 * type E = EventOf<MyEvents, 'receipt_committed'>; // e.payload.receipt_id: string
 */
export type EventOf<M, K extends string = keyof M & string> = string extends K
  ? LedgerEvent
  : K extends unknown
    ? TypedEvent<K, K extends keyof M ? M[K] : Record<string, unknown>>
    : never;

/** The payloads of a registry's codec map `M` (event_type -> codec), as its ledger decodes them. */
export type PayloadsOf<M> = { [K in keyof M]: PayloadOf<M[K]> };

/** The payloads of seed 003's event types, as the ledger's default registry decodes them. */
export type SeedEvents = PayloadsOf<SeedCodecs>;
