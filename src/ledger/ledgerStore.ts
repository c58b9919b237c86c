// The store port. A store keeps opaque canonical lines in sequence order and guarantees
// that appends are atomic with respect to the tip; it knows nothing about hashing or
// schemas. The Ledger above it is written once for every store.
import type { Tip } from '../contract/tip.js';
import { LedgerEventIdConflictError, LedgerSequenceError, LedgerStreamConflictError } from '../errors/errors.js';
import type { HashReader } from '../proofs/merkle.js';
import type { LedgerEvent } from '../contract/event.js';

export type { Tip };

/** One event as the store keeps it: its sequence and its canonical JSON line (no newline). */
export interface StoredLine {
  readonly sequence: number;
  readonly line: string;
}

/**
 * The fields of an event that the indexes serve (issue 13), taken by the ledger from the event
 * it built, so a store indexes without parsing the line.
 */
export interface IndexFields {
  readonly event_type: string;
  readonly timestamp: string;
  readonly actor: string;
  readonly framework_id: string;
  readonly stream_id?: string;
  readonly stream_version?: number;
}

/** The index fields of an event (for code that writes records past the Ledger: tests, tools). */
export function indexFieldsOf(event: Pick<LedgerEvent, 'event_type' | 'timestamp' | 'provenance' | 'stream_id' | 'stream_version'>): IndexFields {
  return {
    event_type: event.event_type,
    timestamp: event.timestamp,
    actor: event.provenance.actor,
    framework_id: event.provenance.framework_id,
    ...(event.stream_id === undefined ? {} : { stream_id: event.stream_id, stream_version: event.stream_version }),
  };
}

/** What the ledger hands a store to append: the line, its sequence, hash, event id and index fields. */
export interface AppendRecord extends StoredLine {
  /** The event's hash, so the store can report its tip without parsing. */
  readonly hash: string;
  /**
   * Unique across the ledger: the store refuses a record whose event_id it already holds with
   * LedgerEventIdConflictError, atomically with the write. Also lets a store recognise its own
   * write when a connection drop left the outcome unknown.
   */
  readonly event_id: string;
  /**
   * With `stream_id`, the store refuses the record with LedgerStreamConflictError unless the
   * stream's last version is `stream_version - 1` (no such stream when it is 0), atomically
   * with the write: two writers can never both append version N of one stream.
   */
  readonly fields: IndexFields;
}

/** Where an index says an event is: the ledger reads the line and checks it against `hash`. */
export interface IndexEntry {
  readonly sequence: number;
  readonly hash: string;
}

/** A stream's newest event, from the index. */
export interface StreamHead extends IndexEntry {
  readonly stream_id: string;
  /** The stream's last version (0 after its first event). */
  readonly version: number;
}

/** Options of a stream read: stream versions `from`..`to` inclusive, either direction. */
export interface StreamRange {
  /** First version to return (default: 0 forward, the head backward). */
  readonly from?: number;
  /** Last version to return, inclusive (default: the head forward, 0 backward). */
  readonly to?: number;
  readonly direction?: 'forward' | 'backward';
  readonly limit?: number;
}

/**
 * A query over the indexes: every filter given must hold (AND); none given means every event.
 * `since`/`until` are the ledger's own timestamps (ISO-8601 UTC, inclusive), which never go
 * backwards within a ledger.
 */
export interface IndexQuery {
  readonly event_type?: string;
  readonly actor?: string;
  readonly framework_id?: string;
  readonly stream_id_prefix?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
  readonly direction?: 'forward' | 'backward';
}

/**
 * What checking a store's index against its lines found (`LedgerIndex.audit`, `verify --store`):
 * index corruption, reported apart from the chain's.
 */
export interface IndexVerdict {
  /** True if every index entry describes its event and every event has all its entries. */
  readonly valid: boolean;
  /** Events whose index entries were checked before the first problem (all of them when valid). */
  readonly count: number;
  /** The sequence of the first event whose index entries are wrong or missing, or null. */
  readonly break_at: number | null;
  /** What is wrong there: the row or key, the field, the value it holds and the line's. */
  readonly reason?: string;
}

/**
 * A store's indexes (issue 13): derived data, never trusted. The ledger reads every event an
 * index names from the store and checks its hash; an index that lost entries is rebuilt from
 * the lines (`rebuild`, CLI `reindex`). Lookups reflect every append this store instance made
 * and, for stores shared with other processes, every append durable when the call started.
 */
export interface LedgerIndex {
  /** The stream's newest event, or undefined if no event carries `streamId`. */
  streamHead(streamId: string): Promise<StreamHead | undefined>;
  /** The events of one stream in version order (or reversed), each with its version. */
  streamEntries(streamId: string, range?: StreamRange): AsyncIterable<IndexEntry & { readonly stream_version: number }>;
  /** The event holding `eventId`, if any. */
  byEventId(eventId: string): Promise<IndexEntry | undefined>;
  /** The event whose hash is `hash`, if any. */
  byHash(hash: string): Promise<IndexEntry | undefined>;
  /** Events matching every filter of `query`, in sequence order (or reversed), streamed. */
  query(query: IndexQuery): AsyncIterable<IndexEntry>;
  /** Rebuilds the indexes from the store's lines; resolves with the number of events indexed. */
  rebuild(): Promise<number>;
  /**
   * Optional: checks every index entry (a row, a key, deleted or expired ones included) against
   * the line it describes, and that every event has its entries; never repairs anything. The
   * chain itself is `verifyChain`'s: this judges only the derived data.
   */
  audit?(): Promise<IndexVerdict>;
}

/** One replica's position and how far it is behind the primary (LedgerStore.replicaLag). */
export interface ReplicaLag {
  /** `immudb://HOST:PORT/DB` of the replica. */
  readonly replica: string;
  /** The replica's last sequence (-1: empty), or undefined when it could not be read. */
  readonly tip: number | undefined;
  /** Events the replica lacks compared with the primary (0: caught up); undefined as tip. */
  readonly behind: number | undefined;
  /** Why the replica could not be read, if it could not. */
  readonly error?: string;
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
   * Durably writes `records` (one or more, consecutive sequences from the store's tip + 1) as
   * one unit: all of them or none, also across a crash (issue 22; the events of a batch of two
   * or more carry `batch`, so a reader can tell an unfinished batch from a finished one). Every
   * check comes before any byte is written: LedgerSequenceError if `records[0].sequence` is not
   * the store's tip + 1 at the moment of the write (another writer) or the sequences are not
   * consecutive; LedgerEventIdConflictError for an event_id the store holds or that repeats in
   * `records`; LedgerStreamConflictError for a stream version that is not the next one (after
   * the store's head, or after the batch's own event of that stream before it). Resolves only
   * once every record is durable.
   */
  append(records: readonly AppendRecord[]): Promise<void>;

  /**
   * Optional: the most records one append() takes (a store whose unit of atomic write is
   * bounded, e.g. immudb's entries per transaction); absent, no limit but memory.
   */
  readonly maxBatch?: number;

  /** The line of one event, or undefined if the store holds no such sequence. */
  readLine(sequence: number): Promise<string | undefined>;

  /**
   * Optional: the stored bytes of the lines of `entries` (no newline), in the order given,
   * undefined where the store holds none; not checked (the ledger checks every line). For
   * index-served reads, whose events are scattered: a store that can batch its reads (the
   * directory store: one read per run of nearby lines, placed by the entries its own index
   * gave) implements it; without it the ledger calls readLine per event.
   */
  readLineBytes?(entries: readonly IndexEntry[]): Promise<Array<Uint8Array | undefined>>;

  /**
   * Lines from `from` to `to` inclusive (to the tip if omitted), in order, streamed in pages
   * so memory stays flat. Stops at the tip as it was when iteration started.
   */
  scanLines(from: number, to?: number): AsyncIterable<StoredLine>;

  /**
   * Optional: scanLines as the stored bytes of the lines (no newline, not decoded, not
   * checked), in batches; the fast path of Ledger.verifyChain (no decode and re-encode per
   * line). Same bounds and the same lines as scanLines (stray lines past the tip included when
   * `to` is omitted). The Buffers are views into the store's read buffer: valid only until the
   * next batch is requested, and the consumer may overwrite them. A store whose lines are
   * strings already leaves it out.
   */
  scanLineBatches?(from: number, to?: number): AsyncIterable<readonly Buffer[]>;

  /**
   * Lines from `from` down to `to` inclusive (`from` >= `to`), newest first, streamed in pages
   * (issue 13: reading backwards). `from` must not be past the tip.
   */
  scanLinesBackward(from: number, to: number): AsyncIterable<StoredLine>;

  /** The store's indexes: stream heads, event ids, hashes and queries (issue 13). */
  readonly index: LedgerIndex;

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
  openMerkleLog?(options?: MerkleOpenOptions): Promise<MerkleLog>;

  /**
   * Optional: for stores that read from replicas (ReplicatedImmudbStore), each replica's tip
   * and how far it is behind the primary. Never throws: a replica it cannot read says why.
   */
  replicaLag?(): Promise<ReplicaLag[]>;

  /** Releases the store (files, locks, sessions); nothing is usable afterwards. */
  close(): Promise<void>;
}

/** How a store's MerkleLog is opened. */
export interface MerkleOpenOptions {
  /** Told why the stored hashes are rebuilt from the ledger, when they are. */
  readonly onRebuild?: (why: string) => void;
  /** Rebuild the stored hashes from the ledger even if they look whole (after an 'inconsistent' error naming them). */
  readonly rebuild?: boolean;
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
  /** The stored leaf hash of event `index` (checked against the event's line). */
  leafHash(index: number): Promise<Buffer>;
  /**
   * Event `index`'s leaf hash, the root of the tree of size `n` and the audit path, verified
   * against each other before they are returned: corrupted hashes are a LedgerProofError
   * ('inconsistent', naming where the hashes are), never a proof that does not verify.
   */
  inclusion(index: number, size?: number): Promise<{ leafHash: Buffer; root: Buffer; proof: Buffer[] }>;
  /** The roots of sizes `m` and `n` and the consistency proof between them, verified likewise. */
  consistency(from: number, to?: number): Promise<{ oldRoot: Buffer; newRoot: Buffer; proof: Buffer[] }>;
  /** The audit path of event `index` in the tree of size `n` (verified, see `inclusion`). */
  inclusionProof(index: number, size?: number): Promise<Buffer[]>;
  /** The consistency proof from size `m` to size `n` (verified, see `consistency`). */
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

/**
 * The checks of a batch that need no store (issue 22), shared by every store: at least one
 * record, consecutive sequences, no event_id twice, each stream's versions consecutive within
 * the batch. Returns, per stream, the first record of it in the batch (whose version the store
 * checks against its head). Throws what append() documents; writes nothing.
 */
export function checkBatchRecords(records: readonly AppendRecord[], description: string): Map<string, AppendRecord> {
  if (records.length === 0) throw new LedgerSequenceError(`${description}: append of no records`);
  const ids = new Map<string, number>();
  const streams = new Map<string, AppendRecord>();
  const last = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.sequence !== records[0]!.sequence + i) {
      throw new LedgerSequenceError(`${description}: records[${i}] has sequence ${r.sequence}, expected ${records[0]!.sequence + i}: a batch's sequences are consecutive`);
    }
    const first = ids.get(r.event_id);
    if (first !== undefined) throw new LedgerEventIdConflictError(r.event_id, undefined, `records[${i}] repeats the event_id of records[${first}]; nothing was written`);
    ids.set(r.event_id, i);
    const { stream_id, stream_version } = r.fields;
    if (stream_id === undefined) continue;
    const before = last.get(stream_id);
    if (before === undefined) streams.set(stream_id, r);
    else if (stream_version !== before + 1) throw new LedgerStreamConflictError(stream_id, before, before, { at: `records[${i}]`, detail: `its stream_version ${String(stream_version)} does not follow the batch's version ${before}` });
    last.set(stream_id, stream_version ?? 0);
  }
  return streams;
}
