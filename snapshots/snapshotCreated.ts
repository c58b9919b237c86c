// The payload of a `snapshot_created` event: the ledger's own record of a snapshot file,
// which is what makes the file trustworthy (its hash is in the hash chain).
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { HASH_PATTERN } from '../src/hash.js';

export const SNAPSHOT_CREATED = 'snapshot_created';

const NonNegativeInt = new t.Type<number, number, unknown>('a non-negative integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)), t.identity);
const Hash = new t.Type<string, string, unknown>('sha256:<64 lowercase hex>',
  (u): u is string => typeof u === 'string' && HASH_PATTERN.test(u),
  (u, c) => (typeof u === 'string' && HASH_PATTERN.test(u) ? t.success(u) : t.failure(u, c)), t.identity);

/** io-ts codec of the snapshot_created payload. */
export const SnapshotCreatedPayload = t.type({
  /** The snapshot's sequence: its states are the states after this event. */
  sequence: NonNegativeInt,
  /** The file name, `<sequence>.snapshot`. */
  file: t.string,
  /** `sha256:<hex>` of the file's bytes. */
  file_hash: Hash,
  /** The hash of event `sequence`, as the file's `anchor_hash`. */
  anchor_hash: Hash,
  format_version: NonNegativeInt,
  projections: t.array(t.type({ name: t.string, version: NonNegativeInt })),
}, 'snapshot_created payload');
export type SnapshotCreatedPayload = t.TypeOf<typeof SnapshotCreatedPayload>;

/** The payload if it is a well-formed snapshot_created record, else undefined. */
export function asSnapshotCreated(payload: unknown): SnapshotCreatedPayload | undefined {
  const r = SnapshotCreatedPayload.decode(payload);
  return isLeft(r) ? undefined : r.right;
}
