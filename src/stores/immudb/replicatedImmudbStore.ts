// A ledger over an immudb primary and its replicas: appends (and the tip they build on) go to
// the primary, reads go to a replica. immudb replicates asynchronously unless the primary waits
// for synchronous replicas, so a replica may lag: readYourWrites decides what a read does when
// the replica has not yet reached this store's own last append (docs/immudb.md "Replicas").

import { LedgerConnectionError, LedgerReadOnlyError, LedgerReplicaLagError, LedgerValidationError } from '../../errors/errors.js';
import type { AppendRecord, LedgerIndex, LedgerStore, MerkleLog, ReplicaLag, StoredLine, Tip } from '../../ledger/ledgerStore.js';
import type { ImmudbConfig } from './immudbConfig.js';
import { IMMUDB_MAX_BATCH, ImmudbStore, type ImmudbStoreOptions } from './immudbStore.js';
import type { MerkleOpenOptions } from '../merkleLog.js';

/**
 * What a read does when the replica has not reached the sequence it must see (this store's last
 * append, or less if the read asks for less):
 * - `wait` (default): poll the replica up to `readYourWritesTimeoutMs`, then LedgerReplicaLagError;
 * - `primary`: read that one from the primary instead;
 * - `off`: read the replica as it is (eventual consistency).
 */
export type ReadYourWrites = 'wait' | 'primary' | 'off';

/** Options of {@link ReplicatedImmudbStore.open}; the ImmudbStore options apply to every server. */
export interface ReplicatedImmudbStoreOptions extends ImmudbStoreOptions {
  readonly readYourWrites?: ReadYourWrites;
  /** Bound of the `wait` mode (default 5000 ms). */
  readonly readYourWritesTimeoutMs?: number;
  /** How often `wait` re-reads a replica's tip (default 50 ms). */
  readonly replicaPollMs?: number;
}

export type { ReplicaLag };

const DEFAULT_WAIT_MS = 5_000;
const DEFAULT_POLL_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A LedgerStore over one immudb primary (appends, tip) and replicas (reads). Without a primary
 * it is read-only: append fails with LedgerReadOnlyError before reaching any server.
 *
 * @example
 * const store = await ReplicatedImmudbStore.open(primaryConfig, [replicaConfig], { readYourWrites: 'wait' });
 * const ledger = await Ledger.open(store);
 * console.log(await store.replicaLag()); // [{ replica: 'immudb://r:3322/ledger', tip: 41, behind: 0 }]
 */
export class ReplicatedImmudbStore implements LedgerStore {
  readonly description: string;
  readonly index: LedgerIndex;
  readonly #primary: ImmudbStore | undefined;
  readonly #replicas: readonly ImmudbStore[];
  readonly #mode: ReadYourWrites;
  readonly #waitMs: number;
  readonly #pollMs: number;
  /** The highest sequence appended through this store: what read-your-writes must see. */
  #written = -1;
  /** The highest tip the primary reported through tip(). */
  #primaryTip = -1;
  #next = 0;

  private constructor(primary: ImmudbStore | undefined, replicas: readonly ImmudbStore[], options: ReplicatedImmudbStoreOptions) {
    this.#primary = primary;
    this.#replicas = replicas;
    this.#mode = options.readYourWrites ?? 'wait';
    this.#waitMs = options.readYourWritesTimeoutMs ?? DEFAULT_WAIT_MS;
    this.#pollMs = options.replicaPollMs ?? DEFAULT_POLL_MS;
    const reads = replicas.map((r) => r.description).join(', ');
    this.description = primary === undefined ? `${reads} (read-only replicas)` : `${primary.description} (reads: ${reads})`;
    this.index = this.#routedIndex();
  }

  /**
   * Connects to the primary (undefined: a read-only store) and to every replica; all must answer.
   * The replicas' databases were made with `bootstrapImmudb(config, { replicaOf })`.
   */
  static async open(primary: ImmudbConfig | undefined, replicas: readonly ImmudbConfig[], options: ReplicatedImmudbStoreOptions = {}): Promise<ReplicatedImmudbStore> {
    if (replicas.length === 0) throw new LedgerConnectionError('a replicated immudb store needs at least one replica (use ImmudbStore for a primary alone)');
    const wanted = [...(primary === undefined ? [] : [primary]), ...replicas];
    if (options.verify !== undefined) {
      // The trusted state file keeps one entry per database name: two servers' databases of one
      // name would overwrite each other's trusted state.
      const names = wanted.map((c) => c.database);
      const shared = names.find((n, i) => names.indexOf(n) !== i);
      if (shared !== undefined) {
        throw new LedgerValidationError('verify', `primary and replicas share the database name "${shared}": the trusted state file keeps one state per name; give the replica databases their own names`, shared);
      }
    }
    const opened = await Promise.allSettled(wanted.map((c) => ImmudbStore.open(c, options)));
    const stores = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(stores.map((s) => s.close()));
      throw failed.reason;
    }
    const [first, ...rest] = stores as [ImmudbStore, ...ImmudbStore[]];
    return primary === undefined ? new ReplicatedImmudbStore(undefined, stores, options) : new ReplicatedImmudbStore(first, rest, options);
  }

  /** The primary's tip (appends build on it); a read-only store's is its freshest replica's. */
  async tip(): Promise<Tip> {
    if (this.#primary !== undefined) {
      const tip = await this.#primary.tip();
      if (tip.sequence_number > this.#primaryTip) this.#primaryTip = tip.sequence_number;
      return tip;
    }
    const tips = await Promise.all(this.#replicas.map((r) => r.tip()));
    return tips.reduce((a, b) => (b.sequence_number > a.sequence_number ? b : a));
  }

  /** At most what the primary takes in one append. */
  readonly maxBatch = IMMUDB_MAX_BATCH;

  async append(records: readonly AppendRecord[]): Promise<void> {
    if (this.#primary === undefined) {
      throw new LedgerReadOnlyError(this.description, `${this.description}: append of sequence ${records[0]?.sequence} refused: opened on replicas only (read-only); append to the primary`);
    }
    await this.#primary.append(records);
    const last = records.at(-1)!.sequence;
    if (last > this.#written) this.#written = last;
  }

  async readLine(sequence: number): Promise<string | undefined> {
    const line = await (await this.#reader(Math.min(sequence, this.#written))).readLine(sequence);
    // An event this store reported as the primary's tip (or below) is never "not there": the
    // ledger reads its tip's line to keep timestamps monotonic, whatever the read mode.
    if (line === undefined && this.#primary !== undefined && sequence <= this.#primaryTip) return this.#primary.readLine(sequence);
    return line;
  }

  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const need = to === undefined ? this.#written : Math.min(to, this.#written);
    yield* (await this.#reader(need < from ? -1 : need)).scanLines(from, to);
  }

  async *scanLinesBackward(from: number, to: number): AsyncIterable<StoredLine> {
    const need = Math.min(Math.max(from, to), this.#written);
    yield* (await this.#reader(need)).scanLinesBackward(from, to);
  }

  /**
   * Makes reads through this store see at least `sequence`, as if this store had appended it:
   * for a sequence learnt elsewhere (another process's append, a client's session token).
   */
  requireSequence(sequence: number): void {
    if (!Number.isSafeInteger(sequence) || sequence < -1) throw new LedgerValidationError('sequence', 'must be an integer ≥ -1', sequence);
    if (sequence > this.#written) this.#written = sequence;
  }

  /** Appends by other writers show on the primary first. */
  watch(onChange: () => void, intervalMs: number): () => void {
    return (this.#primary ?? this.#first()).watch(onChange, intervalMs);
  }

  /** The Merkle tree is kept (written) beside the events on the primary. */
  async openMerkleLog(options: MerkleOpenOptions = {}): Promise<MerkleLog> {
    if (this.#primary === undefined) throw new LedgerReadOnlyError(this.description, `${this.description}: the Merkle tree is kept current on the primary; open one`);
    return this.#primary.openMerkleLog(options);
  }

  /**
   * Each replica's tip and how many events it lacks compared with the primary (or, read-only,
   * the freshest replica). Never throws for an unreachable server: a replica that cannot be read
   * has `error`; when the primary cannot be read, `behind` is undefined and `error` says why.
   */
  async replicaLag(): Promise<ReplicaLag[]> {
    let reference: number | undefined;
    let referenceError: string | undefined;
    try {
      reference = (await this.tip()).sequence_number;
    } catch (e) {
      referenceError = `primary not readable: ${(e as Error).message}`;
    }
    return Promise.all(
      this.#replicas.map(async (r): Promise<ReplicaLag> => {
        try {
          const tip = (await r.tip()).sequence_number;
          if (reference === undefined) return { replica: r.description, tip, behind: undefined, error: referenceError ?? 'primary not readable' };
          return { replica: r.description, tip, behind: Math.max(0, reference - tip) };
        } catch (e) {
          return { replica: r.description, tip: undefined, behind: undefined, error: (e as Error).message };
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.#primary, ...this.#replicas].map((s) => s?.close()));
  }

  #first(): ImmudbStore {
    return this.#replicas[0] as ImmudbStore;
  }

  /**
   * A replica holding `need` (-1: no requirement), per the mode: the replicas are tried round
   * robin, so a caught-up one serves while another lags; if none holds it, `wait` polls them.
   */
  async #reader(need: number): Promise<LedgerStore> {
    const start = this.#next++;
    const order = this.#replicas.map((_, i) => this.#replicas[(start + i) % this.#replicas.length] as ImmudbStore);
    if (need < 0 || this.#mode === 'off') return order[0] as ImmudbStore;
    const started = Date.now();
    for (;;) {
      let best = { replica: order[0] as ImmudbStore, tip: -1 };
      for (const replica of order) {
        const tip = (await replica.tip()).sequence_number;
        if (tip >= need) return replica;
        if (tip > best.tip) best = { replica, tip };
      }
      if (this.#mode === 'primary' && this.#primary !== undefined) return this.#primary;
      const waited = Date.now() - started;
      if (this.#mode === 'primary' || waited >= this.#waitMs) throw new LedgerReplicaLagError(best.replica.description, need, best.tip, waited);
      await sleep(Math.min(this.#pollMs, this.#waitMs - waited));
    }
  }

  /** The index port, each call answered by a replica that holds this store's own appends. */
  #routedIndex(): LedgerIndex {
    const at = () => this.#reader(this.#written);
    const stream = <T>(f: (index: LedgerIndex) => AsyncIterable<T>) =>
      (async function* () {
        yield* f((await at()).index);
      })();
    return {
      streamHead: async (streamId) => (await at()).index.streamHead(streamId),
      streamEntries: (streamId, range) => stream((i) => i.streamEntries(streamId, range)),
      byEventId: async (eventId) => (await at()).index.byEventId(eventId),
      byHash: async (hash) => (await at()).index.byHash(hash),
      query: (query) => stream((i) => i.query(query)),
      // Indexes live beside the events on the primary; replicas receive them by replication.
      rebuild: async () => {
        if (this.#primary === undefined) throw new LedgerReadOnlyError(this.description, `${this.description}: indexes are rebuilt on the primary`);
        return this.#primary.index.rebuild();
      },
    };
  }
}

