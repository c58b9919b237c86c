// Loading trusts nothing. A snapshot is accepted only if its bytes hash to what its
// snapshot_created record in the ledger says, its anchor is the ledger's hash of event
// <sequence>, and the events from the anchor to the record link up. A checkpoint has no record
// (writing one would append an event per checkpoint), so it is held to its anchor only.
import type { Ledger } from '../src/ledger/ledger.js';
import { sha256 } from '../src/contract/hash.js';
import { ChainVerifier, checkAnchorLine } from '../src/verify/chainVerifier.js';
import type { CheckpointStore } from './checkpointStore.js';
import { decodeSnapshot, type SnapshotProjection } from './snapshotFormat.js';
import { asSnapshotCreated, SNAPSHOT_CREATED } from './snapshotCreated.js';
import { SnapshotStore } from './snapshotStore.js';

/** A snapshot or checkpoint that passed every check against the ledger. */
export interface VerifiedSnapshot {
  readonly kind: 'snapshot' | 'checkpoint';
  /** The file name, for messages. */
  readonly file: string;
  readonly sequence: number;
  readonly anchorHash: string;
  readonly projections: readonly SnapshotProjection[];
  /** Sequence of the snapshot_created event that vouches for the file (snapshots only). */
  readonly recordSequence?: number;
}

export type SnapshotVerdict = { readonly ok: true; readonly snapshot: VerifiedSnapshot } | { readonly ok: false; readonly reason: string };

const reject = (reason: string): SnapshotVerdict => ({ ok: false, reason });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The hash of event `sequence`, its line re-hashed (LedgerNotFoundError if the ledger does not hold it). */
async function anchorHashAt(ledger: Ledger, sequence: number): Promise<string> {
  return checkAnchorLine(await ledger.readLine(sequence), sequence).hash;
}

export interface VerifySnapshotOptions {
  /** The ledger's tip sequence (read once by the caller). */
  readonly tip: number;
  /** How many events after the snapshot to search for its snapshot_created record. */
  readonly recordSearchLimit: number;
}

/** Checks the snapshot file at `sequence` against `ledger`; never throws for a bad file. */
export async function verifySnapshot(ledger: Ledger, store: SnapshotStore, sequence: number, options: VerifySnapshotOptions): Promise<SnapshotVerdict> {
  const file = SnapshotStore.fileName(sequence);
  try {
    const bytes = await store.read(sequence);
    if (bytes === undefined) return reject('the file is missing');
    const fileHash = sha256(bytes);
    const doc = decodeSnapshot(bytes);
    if (doc.kind !== 'snapshot') return reject(`kind: expected "snapshot", got "${doc.kind}"`);
    if (doc.sequence !== sequence) return reject(`sequence: the file name says ${sequence}, the content ${doc.sequence}`);
    if (sequence > options.tip) return reject(`sequence: ${sequence} is past the ledger's tip ${options.tip}`);
    const anchor = await anchorHashAt(ledger, sequence);
    if (doc.anchor_hash !== anchor) return reject(`anchor_hash: the file has ${doc.anchor_hash}, the ledger's event ${sequence} has ${anchor}`);

    // The record comes after the snapshot (usually right after): walk the chain to it.
    const last = Math.min(options.tip, sequence + options.recordSearchLimit);
    const chain = new ChainVerifier(sequence + 1, anchor);
    let recorded: string | undefined;
    for await (const { line } of ledger.readLines(sequence + 1, last)) {
      const event = chain.acceptLine(line);
      if (event.event_type !== SNAPSHOT_CREATED) continue;
      const record = asSnapshotCreated(event.payload);
      if (!record || record.sequence !== sequence || record.file !== file) continue;
      if (record.file_hash === fileHash && record.anchor_hash === anchor) {
        return { ok: true, snapshot: { kind: 'snapshot', file, sequence, anchorHash: anchor, projections: doc.projections, recordSequence: event.sequence } };
      }
      recorded = record.file_hash;
    }
    if (recorded !== undefined) return reject(`file_hash: the file hashes to ${fileHash}, its snapshot_created record says ${recorded}`);
    return reject(`no snapshot_created record for ${file} in events ${sequence + 1}..${last}`);
  } catch (e) {
    return reject(message(e));
  }
}

/** Checks a consumer's checkpoint against `ledger`; never throws for a bad file. */
export async function verifyCheckpoint(ledger: Ledger, store: CheckpointStore, options: Pick<VerifySnapshotOptions, 'tip'>): Promise<SnapshotVerdict | undefined> {
  try {
    const bytes = await store.read();
    if (bytes === undefined) return undefined;
    const doc = decodeSnapshot(bytes);
    if (doc.kind !== 'checkpoint') return reject(`kind: expected "checkpoint", got "${doc.kind}"`);
    if (doc.sequence > options.tip) return reject(`sequence: ${doc.sequence} is past the ledger's tip ${options.tip}`);
    const anchor = await anchorHashAt(ledger, doc.sequence);
    if (doc.anchor_hash !== anchor) return reject(`anchor_hash: the file has ${doc.anchor_hash}, the ledger's event ${doc.sequence} has ${anchor}`);
    return { ok: true, snapshot: { kind: 'checkpoint', file: store.fileName, sequence: doc.sequence, anchorHash: anchor, projections: doc.projections } };
  } catch (e) {
    return reject(message(e));
  }
}
