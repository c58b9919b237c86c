// The LedgerStore port over a real immudb server.
//
// Layout: one key per event (see keyLayout.ts), value = the event's canonical line as UTF-8.
// Append: one ExecAll that writes key N under the server-checked preconditions "key N does not
// exist" and "key N-1 exists", so two writers can never fork the chain; the loser writes nothing.
// Reads: only revision 1 of a key is ledger data; a second revision means someone wrote outside
// the ledger and is reported as LedgerCorruptionError at that sequence.
// Connection: one session on one channel; on a lost connection: close, wait 1 s, reconnect,
// retry once, then LedgerConnectionError. An append whose outcome the drop left unknown is
// looked up before it is retried, so it is never written twice.

import { LedgerConnectionError, LedgerCorruptionError, LedgerError, LedgerSequenceError } from '../../errors/errors.js';
import { GENESIS_HASH } from '../../contract/hash.js';
import type { AppendRecord, LedgerStore, StoredLine, Tip } from '../../ledger/ledgerStore.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, resolveImmudbConfig, type ImmudbConfig, type ResolveImmudbConfigOptions } from './immudbConfig.js';
import { ImmudbRpcError, isReconnectable, type EntryMsg, type ExecAllRequestMsg, type ImmudbSession } from './immudbRpc.js';
import { KeyLayout } from './keyLayout.js';

export interface ImmudbStoreOptions {
  /** Events per Scan page (immudb's default server limit is 1000). */
  readonly scanPageSize?: number;
  /** Pause between a lost connection and the reconnect (the seed's "wait 1 second"). */
  readonly reconnectDelayMs?: number;
  /** Deadline of each call; a hung server counts as a lost connection. */
  readonly callTimeoutMs?: number;
}

const DEFAULT_SCAN_PAGE_SIZE = 500;
const DEFAULT_RECONNECT_DELAY_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ImmudbStore implements LedgerStore {
  readonly description: string;
  readonly #config: ImmudbConfig;
  readonly #layout: KeyLayout;
  readonly #scanPageSize: number;
  readonly #reconnectDelayMs: number;
  readonly #callTimeoutMs: number | undefined;
  #session: ImmudbSession | undefined;
  /** A reconnect in progress; concurrent calls that lost the same session share it. */
  #reconnecting: Promise<ImmudbSession> | undefined;
  #closed = false;

  private constructor(config: ImmudbConfig, options: ImmudbStoreOptions) {
    this.#config = config;
    this.#layout = new KeyLayout(config.keyPrefix);
    this.#scanPageSize = options.scanPageSize ?? DEFAULT_SCAN_PAGE_SIZE;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.description = formatImmudbAddress(config);
    if (!Number.isSafeInteger(this.#scanPageSize) || this.#scanPageSize < 1 || this.#scanPageSize > 1000) {
      throw new RangeError(`scanPageSize: ${this.#scanPageSize} is not an integer in 1..1000`);
    }
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
    return store;
  }

  /** Resolves configuration (address, config file, environment) and opens the store. */
  static async openAddress(address: string, options: ImmudbStoreOptions & Omit<ResolveImmudbConfigOptions, 'address'> = {}): Promise<ImmudbStore> {
    return ImmudbStore.open(resolveImmudbConfig({ ...options, address }), options);
  }

  /** The newest event as the server holds it now (other processes may have appended). */
  async tip(): Promise<Tip> {
    return this.#withReconnect('read of the tip', (session) => this.#fetchTip(session));
  }

  async append(record: AppendRecord): Promise<void> {
    const { sequence } = record;
    const request = this.#appendRequest(record);
    await this.#withReconnect(
      `append of sequence ${sequence}`,
      async (session) => {
        await session.execAll(request);
      },
      async (session) => {
        // The first attempt may have been committed before the connection dropped.
        const stored = await this.#readFirstRevision(session, sequence);
        if (stored !== undefined) {
          if (eventIdOf(stored) === record.event_id) return; // our own write landed: done
          throw new LedgerSequenceError(`${this.description}: append of sequence ${sequence} refused: another writer holds it`);
        }
        await session.execAll(request);
      },
    );
  }

  async readLine(sequence: number): Promise<string | undefined> {
    return this.#withReconnect(`read of sequence ${sequence}`, (session) => this.#readFirstRevision(session, sequence));
  }

  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const last = to ?? (await this.tip()).sequence_number;
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
      for (const entry of page.entries) {
        const sequence = this.#layout.sequenceOf(entry.key);
        // Keys come sorted, so the first one that is not `next` is a hole (a key deleted outside
        // the ledger: immudb's Scan skips deleted keys) or a foreign key under our prefix.
        if (sequence !== next) {
          throw new LedgerCorruptionError(
            next,
            sequence === undefined
              ? `${this.description}: foreign key ${this.#layout.describeKey(entry.key)} among the ledger's keys`
              : `${this.description}: key ${this.#layout.describeKey(this.#layout.keyOf(next))} is missing (deleted outside the ledger?)`,
          );
        }
        this.#assertWrittenOnce(entry, sequence);
        yield { sequence, line: entry.value.toString('utf8') };
        next++;
      }
      if (page.entries.length < limit) return; // no keys left up to `last`: the ledger ends here
    }
  }

  /** Other clients of the database append too: polled, since plain KV reads have no push. */
  watch(onChange: () => void, intervalMs: number): () => void {
    const timer = setInterval(onChange, intervalMs);
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reconnecting = this.#reconnecting;
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
    if (reconnecting !== undefined) await reconnecting.then((s) => s.close(), () => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  #appendRequest(record: AppendRecord): ExecAllRequestMsg {
    const key = this.#layout.keyOf(record.sequence);
    return {
      Operations: [{ kv: { key, value: Buffer.from(record.line, 'utf8') } }],
      // noWait=false: the call returns once the tx is committed (synced on a --synced server)
      // and indexed, so every later read and precondition sees it.
      noWait: false,
      preconditions: [
        { keyMustNotExist: { key } },
        ...(record.sequence > 0 ? [{ keyMustExist: { key: this.#layout.keyOf(record.sequence - 1) } }] : []),
      ],
    };
  }

  /** Revision 1 of the key of `sequence`; LedgerCorruptionError if the key has more revisions. */
  async #readFirstRevision(session: ImmudbSession, sequence: number): Promise<string | undefined> {
    const history = await this.#history(session, sequence, 2);
    const first = history[0];
    if (first === undefined) return undefined;
    // A second revision (an overwrite, or immudb's delete marker) means a write outside the ledger.
    const second = history[1];
    if (second !== undefined) this.#assertWrittenOnce(second, sequence);
    return first.value.toString('utf8');
  }

  async #history(session: ImmudbSession, sequence: number, limit: number): Promise<EntryMsg[]> {
    try {
      const result = await session.history({ key: this.#layout.keyOf(sequence), offset: 0, limit, desc: false });
      return result.entries;
    } catch (e) {
      if (e instanceof ImmudbRpcError && e.kind === 'key-not-found') return [];
      throw e;
    }
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

  async #fetchTip(session: ImmudbSession): Promise<Tip> {
    let seekKey = this.#layout.lastPossibleKey;
    let inclusiveSeek = true;
    for (;;) {
      const page = await session.scan({ prefix: this.#layout.prefixBytes, seekKey, inclusiveSeek, desc: true, limit: 1 });
      const entry = page.entries[0];
      if (entry === undefined) return { sequence_number: -1, hash: GENESIS_HASH };
      const sequence = this.#layout.sequenceOf(entry.key);
      if (sequence === undefined) {
        // A foreign key under the prefix is not the tip; scans report it where it sits.
        seekKey = entry.key;
        inclusiveSeek = false;
        continue;
      }
      // The tip's hash comes from revision 1 even if the key was rewritten: the ledger must
      // still open so that reads and verifyChain can report the corruption.
      const line = entry.revision === 1 ? entry.value : (await this.#history(session, sequence, 1))[0]?.value ?? entry.value;
      return { sequence_number: sequence, hash: this.#hashOf(line.toString('utf8'), sequence) };
    }
  }

  #hashOf(line: string, sequence: number): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (cause) {
      throw new LedgerCorruptionError(sequence, `${this.description}: stored line is not valid JSON`, { cause });
    }
    const hash = (parsed as { hash?: unknown } | null)?.hash;
    if (typeof hash !== 'string') throw new LedgerCorruptionError(sequence, `${this.description}: stored line has no string "hash"`);
    return hash;
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

function eventIdOf(line: string): unknown {
  try {
    return (JSON.parse(line) as { event_id?: unknown } | null)?.event_id;
  } catch {
    return undefined;
  }
}
