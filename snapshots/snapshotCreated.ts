// The payload of a `snapshot_created` event: the ledger's own record of a snapshot file,
// which is what makes the file trustworthy (its hash is in the hash chain).
import { isLeft } from 'fp-ts/lib/Either.js';
import { SnapshotCreatedPayload } from '../src/contract/payloads.js';

export { SnapshotCreatedPayload };

export const SNAPSHOT_CREATED = 'snapshot_created';

/** The payload if it is a well-formed snapshot_created record, else undefined. */
export function asSnapshotCreated(payload: unknown): SnapshotCreatedPayload | undefined {
  const r = SnapshotCreatedPayload.decode(payload);
  return isLeft(r) ? undefined : r.right;
}
