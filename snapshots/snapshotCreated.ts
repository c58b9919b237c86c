// The payload of a `snapshot_created` event: the ledger's own record of a snapshot file,
// which is what makes the file trustworthy (its hash is in the hash chain). The type is
// reserved: replay trusts a snapshot because its record is in the chain, so a record must come
// from this framework's snapshot path only, never from an appender (who could otherwise
// record a forged file and make replay return any state).
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { closedObject, HashString, NonEmptyString, Sequence, type AppendResult, type Provenance } from '../src/contract/event.js';
import { EventTypeRegistry } from '../src/ledger/eventTypeRegistry.js';
import type { Ledger } from '../src/ledger/ledger.js';

export const SNAPSHOT_CREATED = 'snapshot_created';

/** snapshot_created: written by the replay engine only; see docs/snapshots.md. */
export const SnapshotCreatedPayload = closedObject({
  /** The snapshot's sequence: its states are the states after this event. */
  sequence: Sequence,
  /** The file name, `<sequence>.snapshot`. */
  file: NonEmptyString,
  /** `sha256:<hex>` of the file's bytes. */
  file_hash: HashString,
  /** The hash of event `sequence`, as the file's `anchor_hash`. */
  anchor_hash: HashString,
  format_version: Sequence,
  projections: t.array(closedObject({ name: NonEmptyString, version: Sequence }, 'a projection entry')),
}, 'snapshot_created payload');
// As written (plain strings and numbers); a decoded record's branded fields are assignable to it.
export type SnapshotCreatedPayload = t.OutputOf<typeof SnapshotCreatedPayload>;

// Module-private: the one right to append snapshot_created. Never export it (the public entry
// point re-exports this module's codec and helpers, not the capability).
const capability = EventTypeRegistry.reserve(SNAPSHOT_CREATED, SnapshotCreatedPayload);

/**
 * @internal Appends the record of a snapshot file the caller has just written. Used by the
 * replay engine's snapshot path; not exported from the public entry point.
 */
export function appendSnapshotCreated(ledger: Ledger, provenance: Provenance, payload: SnapshotCreatedPayload): Promise<AppendResult> {
  return ledger.appendReserved(capability, { event_type: SNAPSHOT_CREATED, schema_version: '1.0.0', provenance, payload });
}

/** The payload if it is a well-formed snapshot_created record, else undefined. */
export function asSnapshotCreated(payload: unknown): SnapshotCreatedPayload | undefined {
  const r = SnapshotCreatedPayload.decode(payload);
  return isLeft(r) ? undefined : r.right;
}
