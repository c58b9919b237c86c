// The store port. A store keeps opaque canonical lines in sequence order and guarantees
// that appends are atomic with respect to the tip; it knows nothing about hashing or
// schemas. The Ledger above it is written once for every store.
import type { Tip } from '../contract/tip.js';
import type { HashReader } from '../proofs/merkle.js';

export type { Tip };

/** One event as the store keeps it: its sequence and its canonical JSON line (no newline). */
export interface StoredLine {
  readonly sequence: number;
  readonly line: string;
}

/** What the ledger hands a store to append: the line, its sequence, hash and event id. */
export interface AppendRecord extends StoredLine {
  /** The event's hash, so the store can report its tip without parsing. */
  readonly hash: string;
  /** Lets a store recognise its own write when a connection drop left the outcome unknown. */
  readonly event_id: string;
}

/** The store port: canonical lines in sequence order, appended atomically at tip + 1; every store passes `ledgerStoreConformance`. */
export interface LedgerStore {
  /** Short name for messages, e.g. `directory:/var/ledger` or `immudb://host:3322/ledger`. */
  readonly description: string;

  /**
   * Optional: the local directory a store keeps its data in (the directory store). Files kept
   * beside a ledger (snapshots, checkpoints) default to it; stores without one leave it out.
   */
  readonly dir?: string;

  /** The current tip as the store knows it (read at open; kept current by append). */
  tip(): Promise<Tip>;

  /**
   * Durably write one event. Must fail with LedgerSequenceError and write nothing if
   * `record.sequence` is not the store's tip + 1 at the moment of the write (another writer).
   * Resolves only once the record is durable.
   */
  append(record: AppendRecord): Promise<void>;

  /** The line of one event, or undefined if the store holds no such sequence. */
  readLine(sequence: number): Promise<string | undefined>;

  /**
   * Lines from `from` to `to` inclusive (to the tip if omitted), in order, streamed in pages
   * so memory stays flat. Stops at the tip as it was when iteration started.
   */
  scanLines(from: number, to?: number): AsyncIterable<StoredLine>;

  /**
   * Optional: for stores that other processes can append to (a read-only directory store
   * beside its writer, a shared immudb database). Calls `onChange` whenever appends may have
   * happened elsewhere (at least every `intervalMs`), until the returned function is called.
   * Leave it out where every append goes through this instance.
   */
  watch?(onChange: () => void, intervalMs: number): () => void;

  /**
   * Optional: opens the Merkle tree the store keeps beside its events (issue 9), brought up to
   * date from the lines. `Ledger.open(store, { merkle: true })` calls it and extends the tree on
   * every durable append.
   */
  openMerkleLog?(): Promise<MerkleLog>;

  /** Releases the store (files, locks, sessions); nothing is usable afterwards. */
  close(): Promise<void>;
}

/**
 * The RFC 6962 tree over a store's lines (leaf i = line i's bytes): derived data, never the
 * source of truth. Implemented by the directory store (stores/merkleLog.ts) and the immudb store.
 */
export interface MerkleLog extends HashReader {
  /** Leaves covered (= events hashed so far). */
  readonly size: number;
  /** The RFC 6962 root of the first `n` events (default: all the tree holds). */
  root(size?: number): Promise<Buffer>;
  /** The stored leaf hash of event `index`. */
  leafHash(index: number): Promise<Buffer>;
  /** The audit path of event `index` in the tree of size `n`. */
  inclusionProof(index: number, size?: number): Promise<Buffer[]>;
  /** The consistency proof from size `m` to size `n`. */
  consistencyProof(from: number, to?: number): Promise<Buffer[]>;
  /**
   * Extends the tree by the line just made durable at `sequence`: O(log n) hashing from the
   * tree's right edge. A sequence beyond the tree's size catches up from the store first.
   */
  append(sequence: number, line: string): Promise<void>;
  /** Hashes the ledger's lines not yet covered; returns the new size. */
  catchUp(): Promise<number>;
  /** Writes out the hashes still pending and releases the tree's storage. */
  close(): Promise<void>;
}
