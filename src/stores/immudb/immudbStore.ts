// The LedgerStore port over a real immudb server.
//
// Layout: one key per event (see keyLayout.ts), value = the event's canonical line as UTF-8.
// Append: one ExecAll that writes key N under the server-checked preconditions "key N does not
// exist" and "key N-1 exists", so two writers can never fork the chain; the loser writes nothing.
// Keys under the prefix belong to the ledger, and the ledger writes each once, as a plain value.
// Anything else found there (a reference, a second revision, a foreign key, a gap, bytes that are
// not UTF-8) was written behind the ledger's back and is LedgerCorruptionError at that sequence;
// the tip is derived so that no such entry can move it (see #fetchTip).
// Indexes (issue 13, immudbIndex.ts): secondary keys under `index/<prefix>`, written in the same
// ExecAll as the event under keyMustNotExist, so the event-id and stream-version checks are the
// server's, atomic with the write. A refusal is explained by reading the keys afterwards. Open
// catches up an index that lags the tip (events written before the indexes existed), writing
// only keys that are absent.
// Connection: one session on one channel; a lost read reconnects after 1 s and retries once. An
// append whose answer was lost is resolved before it fails: reconnect, look the event up, write
// it only if it is absent; if the server stays away, LedgerAppendUncertainError.

import { ChainCursor } from '../../verify/chainCursor.js';
import {
  LedgerAppendUncertainError, LedgerConnectionError, LedgerCorruptionError, LedgerError, LedgerEventIdConflictError, LedgerReadOnlyError, LedgerSequenceError,
  LedgerStreamConflictError, LedgerValidationError,
} from '../../errors/errors.js';
import { GENESIS_HASH } from '../../contract/hash.js';
import { checkBatchRecords, indexFieldsOf, type AppendRecord, type LedgerStore, type StoredLine, type Tip } from '../../ledger/ledgerStore.js';
import type { LedgerEvent } from '../../contract/event.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, resolveImmudbConfig, type ImmudbConfig, type ResolveImmudbConfigOptions } from './immudbConfig.js';
import { ImmudbRpcError, isReconnectable, type EntryMsg, type ExecAllRequestMsg, type ImmudbSession } from './immudbRpc.js';
import { IndexKeyLayout, KeyLayout } from './keyLayout.js';
import { ImmudbIndex, indexKeysOf, indexValueOf, indexWrites, neverWritten } from './immudbIndex.js';
import { ImmudbHashStorage } from './immudbMerkleLog.js';
import { ImmudbProofChecker, type ImmudbVerifyOptions } from './verification/proofChecker.js';
import { StoredMerkleLog, type CheckpointKeeper, type MerkleOpenOptions } from '../merkleLog.js';
import type { MerkleLog } from '../../ledger/ledgerStore.js';

/** Tuning of an {@link ImmudbStore}: paging, reconnects and deadlines. */
export interface ImmudbStoreOptions {
  /** Events per Scan page (immudb's default server limit is 1000). */
  readonly scanPageSize?: number;
  /** Pause between a lost connection and the reconnect (the seed's "wait 1 second"). */
  readonly reconnectDelayMs?: number;
  /** Deadline of each call; a hung server counts as a lost connection. */
  readonly callTimeoutMs?: number;
  /**
   * How long an append whose answer was lost keeps reconnecting to learn its outcome before it
   * fails with LedgerAppendUncertainError (default 10 s; a call in flight may add callTimeoutMs).
   */
  readonly appendResolveTimeoutMs?: number;
  /** Check immudb's own proofs of every read and append against a persisted trusted state (docs/immudb.md, "Verification"). */
  readonly verify?: ImmudbVerifyOptions;
}

const DEFAULT_SCAN_PAGE_SIZE = 500;
const DEFAULT_RECONNECT_DELAY_MS = 1_000;
const DEFAULT_APPEND_RESOLVE_TIMEOUT_MS = 10_000;
/** Entries per page of the descending walk that finds the tip: the first two usually suffice, and values can be large. */
const TIP_PAGE_SIZE = 4;
/**
 * Events per append (ImmudbStore.maxBatch). immudb takes at most 1024 entries and 1024
 * preconditions a transaction; an event with a stream costs 9 entries and up to 15
 * preconditions (each key absent, the ruled keys never written, the stream's previous
 * version), so 64 events stay within both (the conformance suite appends exactly this many).
 */
export const IMMUDB_MAX_BATCH = 64;

/** Events per ExecAll when indexing events written before the indexes (8 keys each, immudb allows 1024). */
const INDEX_BATCH = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Fatal: a value that is not UTF-8 must not be "repaired" with U+FFFD into a line that verifies.
// ignoreBOM keeps a leading BOM in the text, where verification rejects it, instead of eating it.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The key an entry sits under in the index: the reference key itself when it is a reference. */
const indexKeyOf = (entry: EntryMsg): Buffer => entry.referencedBy?.key ?? entry.key;

/**
 * The ledger's store over a real immudb server: one key per event, appends that can never fork
 * the chain, and every line re-hashed and linked client-side as it is read.
 *
 * @example
 * const store = await ImmudbStore.openAddress('immudb://127.0.0.1:3322/ledger'); // credentials from IMMUDB_USER/IMMUDB_PASSWORD or --config
 * const ledger = await Ledger.open(store);
 */
export class ImmudbStore implements LedgerStore {
  readonly description: string;
  readonly #config: ImmudbConfig;
  readonly #layout: KeyLayout;
  readonly #indexLayout: IndexKeyLayout;
  /** Why the index could not be brought up to the tip at open, if it could not. */
  #indexBehind: LedgerError | undefined;
  readonly #scanPageSize: number;
  readonly #reconnectDelayMs: number;
  readonly #callTimeoutMs: number | undefined;
  readonly #appendResolveTimeoutMs: number;
  #session: ImmudbSession | undefined;
  /** A reconnect in progress; concurrent calls that lost the same session share it. */
  #reconnecting: Promise<ImmudbSession> | undefined;
  #closed = false;
  readonly #proofs: ImmudbProofChecker | undefined;

  private constructor(config: ImmudbConfig, options: ImmudbStoreOptions) {
    this.#config = config;
    this.#layout = new KeyLayout(config.keyPrefix);
    this.#scanPageSize = options.scanPageSize ?? DEFAULT_SCAN_PAGE_SIZE;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.#appendResolveTimeoutMs = options.appendResolveTimeoutMs ?? DEFAULT_APPEND_RESOLVE_TIMEOUT_MS;
    this.description = formatImmudbAddress(config);
    this.#proofs = options.verify && new ImmudbProofChecker(options.verify.trustedStateFile, config.database, this.description);
    if (!Number.isSafeInteger(this.#scanPageSize) || this.#scanPageSize < 1 || this.#scanPageSize > 1000) {
      throw new RangeError(`scanPageSize: ${this.#scanPageSize} is not an integer in 1..1000`);
    }
    this.#indexLayout = new IndexKeyLayout(config.keyPrefix);
    if (this.#indexLayout.base.startsWith(config.keyPrefix)) {
      throw new LedgerValidationError('keyPrefix', `the index keys (${JSON.stringify(this.#indexLayout.base)}…) would sit under the events' prefix ${JSON.stringify(config.keyPrefix)}; choose a key prefix that does not start "index/"`, config.keyPrefix);
    }
    this.index = new ImmudbIndex(this.#indexLayout, {
      description: this.description,
      pageSize: this.#scanPageSize,
      scan: (request, what) => {
        if (this.#indexBehind !== undefined) return Promise.reject(this.#indexBehind);
        return this.#withReconnect(what, (session) => session.scan(request));
      },
      history: (key, limit, what) => {
        if (this.#indexBehind !== undefined) return Promise.reject(this.#indexBehind);
        return this.#withReconnect(what, (session) => keyHistory(session, key, limit));
      },
      lines: () => this.scanLines(0),
      readLine: (sequence) => this.readLine(sequence),
      rebuild: () => this.#rebuildIndex(),
    });
  }

  /**
   * Connects to an existing database. Fails fast with LedgerConnectionError if the server is
   * unreachable, refuses the credentials, or the database was never bootstrapped.
   *
   * @example
   * const store = await ImmudbStore.open(resolveImmudbConfig({ address: 'immudb://127.0.0.1:3322/ledger' }));
   * const ledger = await Ledger.open(store);
   */
  static async open(config: ImmudbConfig, options: ImmudbStoreOptions = {}): Promise<ImmudbStore> {
    const store = new ImmudbStore(config, options);
    store.#session = await store.#connect();
    try {
      await store.#catchUpIndex();
    } catch (e) {
      // Open still serves the chain (verify, export, read); index look-ups and appends report this.
      if (!(e instanceof LedgerError) || e instanceof LedgerConnectionError) {
        await store.close();
        throw e;
      }
      store.#indexBehind = new LedgerCorruptionError(
        e instanceof LedgerCorruptionError ? e.sequence : -1,
        `${store.description}: the index lags the ledger and could not catch up at open (${e.message}); index look-ups are unavailable until it is fixed and rebuilt`,
        { cause: e },
      );
    }
    return store;
  }

  /** Resolves configuration (address, config file, environment) and opens the store. */
  static async openAddress(address: string, options: ImmudbStoreOptions & Omit<ResolveImmudbConfigOptions, 'address'> = {}): Promise<ImmudbStore> {
    return ImmudbStore.open(resolveImmudbConfig({ ...options, address }), options);
  }

  /**
   * The newest event the ledger wrote, as the server holds it now (other processes may have
   * appended). Entries planted under the prefix never move it; scans report them.
   */
  async tip(): Promise<Tip> {
    return this.#withReconnect('read of the tip', (session) => this.#fetchTip(session));
  }

  /** Stream heads, event ids, hashes and queries from the index keys (immudbIndex.ts). */
  readonly index: ImmudbIndex;

  /** Lines `from` down to `to`, newest first: a descending Scan, each entry checked as in scanLines. */
  async *scanLinesBackward(from: number, to: number): AsyncIterable<StoredLine> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < 0 || from < to) {
      throw new LedgerValidationError('from', `scanLinesBackward(${from}, ${to}): needs from >= to >= 0`, from);
    }
    const tip = await this.tip();
    if (from > tip.sequence_number) {
      throw new LedgerValidationError('from', `scanLinesBackward: sequence ${from} is past the tip ${tip.sequence_number}`, from);
    }
    let next = from;
    while (next >= to) {
      const limit = Math.min(this.#scanPageSize, next - to + 1);
      const page = await this.#withReconnect(`backward scan from sequence ${next}`, (session) =>
        session.scan({
          prefix: this.#layout.prefixBytes,
          seekKey: this.#layout.keyOf(next),
          inclusiveSeek: true,
          endKey: this.#layout.keyOf(to),
          inclusiveEnd: true,
          desc: true,
          limit,
        }),
      );
      const proofs = this.#proofs;
      if (proofs) {
        const ascending = [...page.entries].reverse();
        await this.#withReconnect(`proofs down from sequence ${next}`, (session) => proofs.checkEntries(session, ascending, next - ascending.length + 1));
      }
      for (const entry of page.entries) {
        yield { sequence: next, line: this.#ledgerLine(entry, next) };
        next--;
      }
      if (page.entries.length < limit) {
        // Keys are below the tip, so a short page is a key missing (deleted outside the ledger).
        throw new LedgerCorruptionError(next, `${this.description}: key ${this.#layout.describeKey(this.#layout.keyOf(next))} is missing (deleted outside the ledger?)`);
      }
    }
  }

  /**
   * Events per append(): each takes up to 9 entries of one ExecAll (the event and its 8 index
   * keys) and immudb's default is 1024 entries per transaction.
   */
  readonly maxBatch = IMMUDB_MAX_BATCH;

  /**
   * Writes the events (one ExecAll: one immudb transaction, so all or none, also across a
   * crash), or fails having written nothing (LedgerSequenceError: another writer;
   * LedgerCorruptionError: a key holds an entry the ledger did not write), or, when the answer
   * was lost and the server stayed away, LedgerAppendUncertainError with the first event_id.
   */
  async append(records: readonly AppendRecord[]): Promise<void> {
    checkBatchRecords(records, this.description);
    if (records.length > this.maxBatch) {
      throw new LedgerValidationError('events', `a batch of ${records.length} events is more than one immudb transaction holds (at most ${this.maxBatch})`, records.length);
    }
    // An event appended over unindexed ones would hide them: the index tip would pass the hole.
    if (this.#indexBehind !== undefined) throw this.#indexBehind;
    const request = this.#appendRequest(records);
    // No session means nothing was sent: a plain LedgerConnectionError is then the truth.
    const session = await this.#currentSession();
    try {
      const written = await session.execAll(request);
      await this.#proofs?.checkAppend(session, written.id, request.Operations, records[0]!.sequence);
      return;
    } catch (e) {
      if (e instanceof ImmudbRpcError && e.kind === 'precondition-failed') {
        throw await this.#refusal(session, records, e).catch((lookup: unknown) =>
          // The refusal itself is certain; only its explanation was lost.
          lookup instanceof LedgerError ? lookup : this.#sequenceError(records[0]!, e),
        );
      }
      if (!isReconnectable(e)) throw this.#toLedgerError(e, `append of sequence ${records[0]!.sequence}`);
      await this.#resolveLostAppend(session, records, request, e);
    }
  }

  async readLine(sequence: number): Promise<string | undefined> {
    return this.#withReconnect(`read of sequence ${sequence}`, (session) => this.#readFirstRevision(session, sequence));
  }

  /**
   * Lines `from`..`to` in order. Without `to` it reads to the tip and then also checks what lies
   * after it, so an entry planted past the tip is reported (verify and export read this way).
   */
  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const tip = to === undefined ? await this.tip() : undefined;
    const last = to ?? tip!.sequence_number;
    let next = Math.max(0, from);
    while (next <= last) {
      const limit = Math.min(this.#scanPageSize, last - next + 1);
      const page = await this.#withReconnect(`scan from sequence ${next}`, (session) =>
        session.scan({
          prefix: this.#layout.prefixBytes,
          seekKey: this.#layout.keyOf(next),
          inclusiveSeek: true,
          endKey: this.#layout.keyOf(last),
          inclusiveEnd: true,
          desc: false,
          limit,
        }),
      );
      const proofs = this.#proofs;
      if (proofs) await this.#withReconnect(`proofs from sequence ${next}`, (session) => proofs.checkEntries(session, page.entries, next));
      for (const entry of page.entries) {
        yield { sequence: next, line: this.#ledgerLine(entry, next) };
        next++;
      }
      if (page.entries.length < limit) return; // no keys left up to `last`: the ledger ends here
    }
    if (tip !== undefined) await this.#checkAfterTip(tip);
  }

  /** The Merkle tree kept beside the events (immudbMerkleLog.ts), caught up from them. */
  async openMerkleLog(options: MerkleOpenOptions = {}): Promise<MerkleLog> {
    return StoredMerkleLog.open(this.#merkleKeys(), this, options);
  }

  /** Where checkpoints of this ledger are kept: the key merkle/<prefix>checkpoint. */
  checkpointKeeper(): CheckpointKeeper {
    return this.#merkleKeys();
  }

  #merkleKeys(): ImmudbHashStorage {
    return new ImmudbHashStorage({
      scan: (request) => this.#withReconnect('scan of the Merkle tree', (session) => session.scan(request)),
      execAll: (request) => this.#withReconnect('write of the Merkle tree', (session) => session.execAll(request)),
    }, this.#layout.prefix);
  }

  // -------------------------------------------------------------------------------------------
  // Index upkeep: events written before the indexes existed

  /** The sequence of the newest `q/` key (-1: none): how far the index reaches. */
  async #indexedTo(): Promise<number> {
    const prefix = this.#indexLayout.kindPrefix('q');
    const { entries } = await this.#withReconnect('read of the index tip', (session) =>
      session.scan({ prefix, seekKey: this.#indexLayout.query('q', '', Number.MAX_SAFE_INTEGER), inclusiveSeek: true, desc: true, limit: 1 }),
    );
    return entries[0] === undefined ? -1 : this.index.checked(entries[0]).sequence;
  }

  /** Indexes the events past the index's tip (keys are written with the event, so only older ones lag). */
  async #catchUpIndex(): Promise<void> {
    const [indexed, tip] = await Promise.all([this.#indexedTo(), this.tip()]);
    if (indexed < tip.sequence_number) await this.#indexEvents(indexed + 1, tip.sequence_number);
  }

  async #rebuildIndex(): Promise<number> {
    const tip = await this.tip();
    if (tip.sequence_number >= 0) await this.#indexEvents(0, tip.sequence_number);
    this.#indexBehind = undefined;
    return tip.sequence_number + 1;
  }

  /**
   * Writes the index keys of events `from`..`to` that lack them, checking the chain as it goes
   * (a line that does not extend it is never indexed). An event whose `q/` key exists has all
   * its keys (they were written in one ExecAll); the rest are written under keyMustNotExist.
   */
  async #indexEvents(from: number, to: number): Promise<void> {
    const before = from === 0 ? GENESIS_HASH : hashField(Buffer.from((await this.readLine(from - 1)) ?? '', 'utf8'));
    if (before === undefined) throw new LedgerCorruptionError(from - 1, `${this.description}: no event to index from`);
    const cursor = new ChainCursor(from, before);
    let batch: AppendRecord[] = [];
    for await (const { sequence, line } of this.scanLines(from, to)) {
      const why = cursor.advance(line);
      if (why !== undefined) throw new LedgerCorruptionError(sequence, `${this.description}: not indexed: ${why}`);
      const event = JSON.parse(line) as LedgerEvent;
      batch.push({ sequence, line, hash: event.hash, event_id: event.event_id, fields: indexFieldsOf(event) });
      if (batch.length === INDEX_BATCH) {
        await this.#indexBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.#indexBatch(batch);
  }

  async #indexBatch(records: AppendRecord[]): Promise<void> {
    const first = records[0]!.sequence;
    const last = records[records.length - 1]!.sequence;
    const { entries } = await this.#withReconnect('read of the index', (session) =>
      session.scan({
        prefix: this.#indexLayout.kindPrefix('q'),
        seekKey: this.#indexLayout.query('q', '', first), inclusiveSeek: true,
        endKey: this.#indexLayout.query('q', '', last), inclusiveEnd: true,
        desc: false, limit: records.length,
      }),
    );
    const done = new Set(entries.map((e) => this.index.checked(e).sequence));
    const missing = records.filter((r) => !done.has(r.sequence));
    if (missing.length === 0) return;
    const writes = missing.map((r) => indexWrites(this.#indexLayout, r));
    const request = (ws: typeof writes): ExecAllRequestMsg => ({
      Operations: ws.flatMap((w) => w.operations), noWait: false, preconditions: ws.flatMap((w) => w.preconditions),
    });
    try {
      await this.#withReconnect('write of the index', (session) => session.execAll(request(writes)));
      return;
    } catch (e) {
      if (!(e instanceof LedgerSequenceError)) throw e;
    }
    // Some key exists (another process catching up, or one planted): key by key, absent ones only.
    for (const record of missing) {
      const value = indexValueOf(record);
      for (const key of indexKeysOf(this.#indexLayout, record)) {
        const held = await this.index.lookup(key, 'read of the index', false);
        if (held === undefined) {
          try {
            await this.#withReconnect('write of the index', (session) =>
              session.execAll({ Operations: [{ kv: { key, value } }], noWait: false, preconditions: [{ keyMustNotExist: { key } }] }),
            );
            continue;
          } catch (e) {
            if (!(e instanceof LedgerSequenceError)) throw e;
          }
        }
        const now = held ?? (await this.index.lookup(key, 'read of the index', false));
        if (now === undefined || now.sequence !== record.sequence || now.hash !== record.hash) {
          throw new LedgerCorruptionError(
            record.sequence,
            `${this.description}: index key ${this.#indexLayout.describeKey(key)} names sequence ${now?.sequence ?? 'none'}, not this event: written outside the ledger, never rewritten; investigate`,
          );
        }
      }
    }
  }

  /** Other clients of the database append too: polled, since plain KV reads have no push. */
  watch(onChange: () => void, intervalMs: number): () => void {
    const timer = setInterval(onChange, intervalMs);
    return () => clearInterval(timer);
  }

  /** Closes the session; an append in flight fails with LedgerConnectionError. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#proofs?.flush();
    const reconnecting = this.#reconnecting;
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
    if (reconnecting !== undefined) await reconnecting.then((s) => s.close(), () => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // What counts as the ledger's own entry

  /**
   * The line of a scanned entry expected at `expected`, or LedgerCorruptionError if the entry is
   * not the plain, first-revision, UTF-8 value the ledger wrote under that sequence's key.
   */
  #ledgerLine(entry: EntryMsg, expected: number): string {
    const key = indexKeyOf(entry);
    const sequence = this.#layout.sequenceOf(key);
    const name = this.#layout.describeKey(key);
    // Keys come sorted, so the first one that is not `expected` is a hole (a key deleted or
    // expired outside the ledger: immudb's Scan skips those) or a foreign key under the prefix.
    if (sequence === undefined) {
      throw new LedgerCorruptionError(expected, `${this.description}: foreign key ${name} among the ledger's keys`);
    }
    if (sequence !== expected) {
      throw new LedgerCorruptionError(
        expected,
        `${this.description}: key ${this.#layout.describeKey(this.#layout.keyOf(expected))} is missing (deleted outside the ledger?), yet key ${name} exists`,
      );
    }
    if (entry.referencedBy) {
      throw new LedgerCorruptionError(
        sequence,
        `${this.description}: key ${name} is a reference to key ${this.#layout.describeKey(entry.key)} ` +
          `(revision ${entry.referencedBy.revision}, tx ${entry.referencedBy.tx}); the ledger never writes references`,
      );
    }
    this.#assertWrittenOnce(entry, sequence);
    const line = decodeUtf8(entry.value);
    if (line === undefined) throw new LedgerCorruptionError(sequence, `${this.description}: the value of key ${name} is not valid UTF-8`);
    return line;
  }

  /**
   * After a scan to `tip`: the entry that follows, if any, must be another writer's next event
   * (it extends the chain from `tip`); anything else there was planted and is reported where the
   * ledger would have continued.
   */
  async #checkAfterTip(tip: Tip): Promise<void> {
    const after = tip.sequence_number + 1;
    const page = await this.#withReconnect(`scan after sequence ${tip.sequence_number}`, (session) =>
      session.scan({
        prefix: this.#layout.prefixBytes,
        ...(tip.sequence_number >= 0 ? { seekKey: this.#layout.keyOf(tip.sequence_number), inclusiveSeek: false } : {}),
        desc: false,
        limit: 1,
      }),
    );
    const entry = page.entries[0];
    if (entry === undefined) return;
    const line = this.#ledgerLine(entry, after);
    const why = new ChainCursor(after, tip.hash).advance(line);
    if (why !== undefined) {
      throw new LedgerCorruptionError(
        after,
        `${this.description}: key ${this.#layout.describeKey(entry.key)} past the tip holds an entry the ledger did not write (${why})`,
      );
    }
  }

  /** The hash of `bytes` if they are an event at `sequence` that links to `previousHash`. */
  #extends(sequence: number, bytes: Uint8Array, previousHash: string): string | undefined {
    const line = decodeUtf8(bytes);
    if (line === undefined) return undefined;
    const cursor = new ChainCursor(sequence, previousHash);
    return cursor.advance(line) === undefined ? cursor.lastHash : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  #appendRequest(records: readonly AppendRecord[]): ExecAllRequestMsg {
    const first = records[0]!;
    const operations: ExecAllRequestMsg['Operations'] = [];
    const preconditions: ExecAllRequestMsg['preconditions'] = [];
    const seen = new Set<string>();
    for (const record of records) {
      const key = this.#layout.keyOf(record.sequence);
      const index = indexWrites(this.#indexLayout, record);
      // Each event before its index keys; the first event first: #settled compares operation 0 with what key N holds.
      operations.push({ kv: { key, value: Buffer.from(record.line, 'utf8') } }, ...index.operations);
      // Event ids unique, stream versions unique and contiguous, every index key written once.
      // neverWritten: key N deleted or expired behind the ledger's back is not free.
      preconditions.push({ keyMustNotExist: { key } }, neverWritten(key), ...index.preconditions);
      const { stream_id, stream_version } = record.fields;
      // A stream's earlier version: in the store for its first event of the batch (the others follow it in the batch).
      if (stream_id !== undefined && !seen.has(stream_id)) {
        seen.add(stream_id);
        if ((stream_version ?? 0) > 0) preconditions.push({ keyMustExist: { key: this.#indexLayout.stream(stream_id, stream_version! - 1) } });
      }
    }
    if (first.sequence > 0) preconditions.push({ keyMustExist: { key: this.#layout.keyOf(first.sequence - 1) } });
    // noWait=false: the call returns once the tx is committed (synced on a --synced server)
    // and indexed, so every later read and precondition sees it.
    return { Operations: operations, noWait: false, preconditions };
  }

  /**
   * Why immudb refused an append: another writer's event at N (LedgerSequenceError), or an entry
   * the ledger did not write (LedgerCorruptionError naming the key, since no append can ever land
   * there). Resolves (nothing to throw) if key N holds exactly this record: it was ours.
   */
  async #refusal(session: ImmudbSession, records: readonly AppendRecord[], cause: ImmudbRpcError): Promise<LedgerError> {
    const record = records[0]!;
    const { sequence } = record;
    // The event ids first: a retry of an event the ledger holds is what the caller must learn.
    for (const r of records) {
      const idKey = this.#indexLayout.eventId(r.event_id);
      const holder = await this.index.lookup(idKey, `look-up of event_id ${r.event_id}`, false);
      if (holder !== undefined) {
        await this.index.verify(idKey, holder); // a planted key is named, never taken for a holder
        return new LedgerEventIdConflictError(r.event_id, holder.sequence, `${this.description}: the ledger already holds this event_id; nothing was written`, { cause });
      }
    }
    const seen = new Set<string>();
    for (const r of records) {
      const { stream_id: streamId, stream_version: version } = r.fields;
      if (streamId === undefined || version === undefined || seen.has(streamId)) continue;
      seen.add(streamId);
      const taken = await this.index.lookup(this.#indexLayout.stream(streamId, version), `look-up of stream ${JSON.stringify(streamId)}`, false);
      const below = taken === undefined && version > 0 ? await this.index.lookup(this.#indexLayout.stream(streamId, version - 1), `look-up of stream ${JSON.stringify(streamId)}`, false) : true;
      if (taken !== undefined || below === undefined) {
        const head = await this.index.streamHead(streamId); // verified against its event
        return new LedgerStreamConflictError(streamId, version - 1, head?.version ?? -1, { cause });
      }
    }
    // The keys the ledger's rules rest on, deleted, expired or rewritten behind its back: their
    // History shows it (keyNotModifiedAfterTX refused the write; a Scan shows nothing there).
    const ruled = [
      ...(sequence > 0 ? [this.#layout.keyOf(sequence - 1)] : []),
      ...records.flatMap((r) => [
        this.#layout.keyOf(r.sequence), this.#indexLayout.eventId(r.event_id),
        ...(r.fields.stream_id === undefined ? [] : [this.#indexLayout.stream(r.fields.stream_id, r.fields.stream_version ?? 0)]),
      ]),
    ];
    const erased = await this.index.erased(ruled, false);
    if (erased !== undefined) {
      return new LedgerCorruptionError(
        sequence,
        `${this.description}: append refused: ${erased}; the ledger's keys are written once and never deleted, so nothing was written, ` +
          'and no event with this key can be appended until it is investigated (verify --store names every such key)',
        { cause },
      );
    }
    const [history, below] = await Promise.all([
      this.#history(session, sequence, 1),
      sequence > 0 ? this.#history(session, sequence - 1, 1) : Promise.resolve([]),
    ]);
    const first = history[0];
    if (first === undefined) {
      // Key N is free. If "key N-1 exists" failed, this writer's tip is not the store's;
      // otherwise an index key of this event exists although the event does not: planted.
      if (sequence > 0 && below[0] === undefined) return this.#sequenceError(record, cause);
      for (const r of records) {
        const planted = await this.#plantedIndexKey(r);
        if (planted) return planted;
      }
      return this.#sequenceError(record, cause);
    }
    // Another writer's event at N links to the ledger's event at N-1 (revision 1 of its key).
    const previousHash = sequence === 0 ? GENESIS_HASH : below[0] === undefined ? undefined : hashField(below[0].value);
    if (previousHash !== undefined && this.#extends(sequence, first.value, previousHash) !== undefined) return this.#sequenceError(record, cause);
    const name = this.#layout.describeKey(this.#layout.keyOf(sequence));
    return new LedgerCorruptionError(
      sequence,
      `${this.description}: append refused: key ${name} already holds an entry the ledger did not write ` +
        `(not an event linking to sequence ${sequence - 1}); nothing was written, and no event can be appended until it is investigated`,
      { cause },
    );
  }

  /** The first index key of `record` that already exists, as the error that names it. */
  async #plantedIndexKey(record: AppendRecord): Promise<LedgerError | undefined> {
    for (const key of indexKeysOf(this.#indexLayout, record)) {
      try {
        const value = await this.index.lookup(key, 'look-up of an index key', false);
        if (value === undefined) continue;
        return new LedgerCorruptionError(
          record.sequence,
          `${this.description}: append refused: index key ${this.#indexLayout.describeKey(key)} already exists (naming sequence ${value.sequence}) although this event does not: ` +
            'it was written outside the ledger and is never rewritten; nothing was written, and no event with this key can be appended until it is investigated',
        );
      } catch (e) {
        if (e instanceof LedgerCorruptionError) return new LedgerCorruptionError(record.sequence, `append refused: ${e.message}`, { cause: e });
        throw e;
      }
    }
    return undefined;
  }

  #sequenceError(record: AppendRecord, cause: ImmudbRpcError): LedgerSequenceError {
    return new LedgerSequenceError(
      `${this.description}: append of sequence ${record.sequence} refused by immudb (${cause.message}): another writer moved the tip; nothing was written`,
      { cause },
    );
  }

  /**
   * The append's answer was lost: it may have been committed. Reconnect and look key N up; if it
   * holds this record, the append succeeded; if it is free, write it again (the preconditions
   * make that safe even if the first write is still landing); if another entry holds it, the
   * refusal says why. Gives up with LedgerAppendUncertainError once the server has stayed
   * unreachable for appendResolveTimeoutMs.
   */
  async #resolveLostAppend(lost: ImmudbSession, records: readonly AppendRecord[], request: ExecAllRequestMsg, firstError: ImmudbRpcError): Promise<void> {
    const record = records[0]!;
    const { sequence } = record;
    const deadline = Date.now() + this.#appendResolveTimeoutMs;
    let lastError: unknown = firstError;
    let session: ImmudbSession | undefined;
    for (;;) {
      if (this.#closed || Date.now() >= deadline) break;
      try {
        session = await this.#replaceSession(session ?? lost, this.#reconnectDelayMs);
        if (await this.#settled(session, records, request, firstError)) return;
        try {
          await session.execAll(request);
          return;
        } catch (e) {
          if (!(e instanceof ImmudbRpcError && e.kind === 'precondition-failed')) throw e;
          // Refused: key N was taken meanwhile, perhaps by our first write landing late.
          if (await this.#settled(session, records, request, e)) return;
          throw await this.#refusal(session, records, e); // key N free: another precondition says why
        }
      } catch (e) {
        // A failed reconnect is a LedgerConnectionError: keep trying until the deadline. Any
        // other LedgerError settles the outcome: nothing of ours was written.
        if (e instanceof LedgerError && !(e instanceof LedgerConnectionError)) throw e;
        lastError = e;
        if (session !== undefined) this.#dropSession(session);
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new LedgerAppendUncertainError(
      record.event_id,
      sequence,
      `${this.description}: append of sequence ${sequence} has an unknown outcome: the request may have reached immudb but no answer came back, ` +
        `and immudb could not be asked within ${this.#appendResolveTimeoutMs} ms (${reason}); the event may or may not be stored`,
      { cause: lastError },
    );
  }

  /**
   * Whether key N already holds this very record (true: the append landed), is free (false), or
   * holds another entry (throws the refusal: LedgerSequenceError or LedgerCorruptionError).
   */
  async #settled(session: ImmudbSession, records: readonly AppendRecord[], request: ExecAllRequestMsg, cause: ImmudbRpcError): Promise<boolean> {
    // One transaction: the batch's first event at key N means all of it landed.
    const first = (await this.#history(session, records[0]!.sequence, 1))[0];
    if (first === undefined) return false;
    if (first.value.equals(request.Operations[0]!.kv.value)) return true;
    throw await this.#refusal(session, records, cause);
  }

  /**
   * Revision 1 of the key of `sequence`. LedgerCorruptionError if the key has more revisions, or
   * if revision 1 is not an event linking to revision 1 of the key below: a key planted past the
   * tip (a reference, garbage, a forged line) is then reported instead of read as an event.
   */
  async #readFirstRevision(session: ImmudbSession, sequence: number): Promise<string | undefined> {
    const [history, below] = await Promise.all([
      this.#history(session, sequence, 2),
      sequence > 0 ? this.#history(session, sequence - 1, 1) : Promise.resolve([]),
    ]);
    const first = history[0];
    if (first === undefined) return undefined;
    const name = this.#layout.describeKey(first.key);
    // A second revision (an overwrite, a reference, immudb's delete marker) means a write outside the ledger.
    const second = history[1];
    if (second !== undefined) this.#assertWrittenOnce(second, sequence);
    await this.#proofs?.checkEntries(session, [first], sequence);
    const line = decodeUtf8(first.value);
    if (line === undefined) throw new LedgerCorruptionError(sequence, `${this.description}: the value of key ${name} is not valid UTF-8`);
    const previousHash = sequence === 0 ? GENESIS_HASH : below[0] === undefined ? undefined : hashField(below[0].value);
    const why = previousHash === undefined ? `key ${this.#layout.describeKey(this.#layout.keyOf(sequence - 1))} holds no event` : new ChainCursor(sequence, previousHash).advance(line);
    if (why !== undefined) {
      throw new LedgerCorruptionError(sequence, `${this.description}: key ${name} holds an entry the ledger did not write (${why})`);
    }
    return line;
  }

  #history(session: ImmudbSession, sequence: number, limit: number): Promise<EntryMsg[]> {
    return keyHistory(session, this.#layout.keyOf(sequence), limit);
  }

  #assertWrittenOnce(entry: EntryMsg, sequence: number): void {
    if (entry.revision !== 1) {
      throw new LedgerCorruptionError(
        sequence,
        `${this.description}: key ${this.#layout.describeKey(entry.key)} has revision ${entry.revision} (tx ${entry.tx}); ` +
          'ledger keys are written once, so it was rewritten outside the ledger',
      );
    }
  }

  /**
   * The tip: the highest sequence whose key's revision 1 is an event that extends the chain from
   * revision 1 of the key below it. Walking down from the top, entries planted under the prefix
   * (foreign keys, references, values that are not such an event, keys past a gap) are passed
   * over, so none moves the tip forwards; a rewritten key counts by its revision 1, and a key
   * that a Scan no longer shows (deleted or expired) is found again by the History look-up above
   * the candidate, so none moves it backwards. Scans then report each planted entry where it sits.
   */
  async #fetchTip(session: ImmudbSession): Promise<Tip> {
    let tip: Tip = { sequence_number: -1, hash: GENESIS_HASH };
    let seekKey = this.#layout.lastPossibleKey;
    let inclusiveSeek = true;
    walk: for (;;) {
      const { entries } = await session.scan({ prefix: this.#layout.prefixBytes, seekKey, inclusiveSeek, desc: true, limit: TIP_PAGE_SIZE });
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const sequence = this.#layout.sequenceOf(indexKeyOf(entry));
        if (sequence === undefined) continue;
        const value = await this.#firstRevisionValue(session, entry, sequence);
        if (value === undefined) continue;
        let previousHash = GENESIS_HASH;
        if (sequence > 0) {
          const below = entries[i + 1];
          const belowValue =
            below !== undefined && this.#layout.sequenceOf(indexKeyOf(below)) === sequence - 1
              ? await this.#firstRevisionValue(session, below, sequence - 1)
              : (await this.#history(session, sequence - 1, 1))[0]?.value;
          const hash = belowValue === undefined ? undefined : hashField(belowValue);
          if (hash === undefined) continue; // nothing of the ledger's below it: planted past a gap
          previousHash = hash;
        }
        const hash = this.#extends(sequence, value, previousHash);
        if (hash !== undefined) {
          tip = { sequence_number: sequence, hash };
          break walk;
        }
      }
      if (entries.length < TIP_PAGE_SIZE) break;
      seekKey = indexKeyOf(entries[entries.length - 1]!);
      inclusiveSeek = false;
    }
    // Upwards: a ledger key that the Scan skipped (deleted or expired behind the ledger's back)
    // still has its revision 1 in History.
    for (;;) {
      const above = (await this.#history(session, tip.sequence_number + 1, 1))[0];
      const hash = above === undefined ? undefined : this.#extends(tip.sequence_number + 1, above.value, tip.hash);
      if (hash === undefined) return tip;
      tip = { sequence_number: tip.sequence_number + 1, hash };
    }
  }

  /** Revision 1's value of a scanned entry at `sequence` (from History if the Scan showed a later one). */
  async #firstRevisionValue(session: ImmudbSession, entry: EntryMsg, sequence: number): Promise<Buffer | undefined> {
    if (entry.revision === 1 && !entry.referencedBy) return entry.value;
    return (await this.#history(session, sequence, 1))[0]?.value;
  }

  // -------------------------------------------------------------------------------------------
  // Connection handling

  #connect(): Promise<ImmudbSession> {
    return connectImmudbSession(this.#config, this.#config.database, this.#callTimeoutMs === undefined ? {} : { callTimeoutMs: this.#callTimeoutMs });
  }

  /** The live session, connecting first if an earlier failure left none. */
  async #currentSession(): Promise<ImmudbSession> {
    if (this.#closed) throw new LedgerConnectionError(`${this.description}: store is closed`);
    if (this.#session !== undefined) return this.#session;
    if (this.#reconnecting !== undefined) return this.#reconnecting;
    return this.#replaceSession(undefined, 0);
  }

  /** Close the lost session, wait, open a new one. Concurrent callers share one attempt. */
  #replaceSession(lost: ImmudbSession | undefined, delayMs: number): Promise<ImmudbSession> {
    if (this.#reconnecting !== undefined) return this.#reconnecting;
    if (this.#session !== undefined && this.#session !== lost) return Promise.resolve(this.#session);
    this.#session = undefined;
    const attempt = (async () => {
      await lost?.close();
      await sleep(delayMs);
      if (this.#closed) throw new LedgerConnectionError(`${this.description}: store is closed`);
      return this.#connect();
    })();
    this.#reconnecting = attempt;
    attempt.then(
      (session) => {
        this.#session = session;
        this.#reconnecting = undefined;
      },
      () => {
        this.#reconnecting = undefined;
      },
    );
    return attempt;
  }

  #dropSession(session: ImmudbSession): void {
    if (this.#session === session) this.#session = undefined;
    void session.close();
  }

  /**
   * Runs `first`; if the connection or session is lost, reconnects after the pause and runs
   * `retry` (default: `first` again) exactly once. Every failure leaves as a LedgerError.
   */
  async #withReconnect<T>(
    what: string,
    first: (session: ImmudbSession) => Promise<T>,
    retry: (session: ImmudbSession) => Promise<T> = first,
  ): Promise<T> {
    const session = await this.#currentSession();
    try {
      return await first(session);
    } catch (e) {
      if (!isReconnectable(e)) throw this.#toLedgerError(e, what);
    }
    const fresh = await this.#replaceSession(session, this.#reconnectDelayMs);
    try {
      return await retry(fresh);
    } catch (e) {
      if (isReconnectable(e)) {
        this.#dropSession(fresh); // the next call connects anew instead of reusing a dead session
        throw new LedgerConnectionError(`${this.description}: ${what} failed after one reconnect (${e.message})`, { cause: e });
      }
      throw this.#toLedgerError(e, what);
    }
  }

  #toLedgerError(e: unknown, what: string): unknown {
    if (e instanceof LedgerError) return e;
    if (e instanceof ImmudbRpcError) {
      if (e.kind === 'replica-read-only') {
        return new LedgerReadOnlyError(this.description, `${this.description}: ${what} refused: the database is an immudb replica (read-only); append to its primary`, { cause: e });
      }
      if (e.kind === 'precondition-failed') {
        return new LedgerSequenceError(
          `${this.description}: ${what} refused by immudb (${e.message}): another writer moved the tip; nothing was written`,
          { cause: e },
        );
      }
      return new LedgerConnectionError(`${this.description}: ${what} failed (${e.message})`, { cause: e });
    }
    return e;
  }
}

/** The first `limit` revisions of `key`, oldest first, deleted and expired ones included; [] if it has none. */
async function keyHistory(session: ImmudbSession, key: Buffer, limit: number): Promise<EntryMsg[]> {
  try {
    return (await session.history({ key, offset: 0, limit, desc: false })).entries;
  } catch (e) {
    if (e instanceof ImmudbRpcError && e.kind === 'key-not-found') return [];
    throw e;
  }
}

/** The "hash" field of a stored value, if it is a UTF-8 JSON object that has a string one. */
function hashField(bytes: Uint8Array): string | undefined {
  const line = decodeUtf8(bytes);
  if (line === undefined) return undefined;
  try {
    const hash = (JSON.parse(line) as { hash?: unknown } | null)?.hash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}
