// The Merkle tree of an immudb ledger, kept beside its events in the same database (issue 9).
//
// Keys, under `merkle/<keyPrefix>` (never under the events' prefix, whose scans would see them):
//   h<stored index, 20 digits>  one stored hash (merkle.ts layout), 32 bytes
//   leaves                      how many events the stored hashes cover, in decimal: written in
//                               the same ExecAll as the last hashes it counts, so it never runs
//                               ahead of them
//   checkpoint                  the latest signed checkpoint (its revisions: every one signed)
//
// Caught up after, not in the event's ExecAll: an append keeps its single key, its
// preconditions and its lost-reply resolution exactly as they are (immudbStore.ts). The tree
// follows in memory per append (O(log n)) and is written in batches and on close; a crash leaves
// it behind, caught up from the events at the next open. Writes are idempotent (a hash's value
// depends only on its position), so two processes catching up at once write the same values.
// immudb keeps every revision: a rebuild rewrites keys and the count; reads take the newest.
// Nothing here is trusted before signing: takeCheckpoint rechecks it as for the directory store.

import { LedgerProofError, LedgerValidationError } from '../../errors/errors.js';
import { HASH_SIZE, storedCount } from '../../proofs/merkle.js';
import type { CheckpointKeeper, HashStorage } from '../merkleLog.js';
import type { EntriesMsg, EntryMsg, ExecAllRequestMsg, ScanRequestMsg, TxHeaderMsg } from './immudbRpc.js';

const INDEX_DIGITS = 20;
/** immudb's default limits: 1024 entries per transaction, 1000 per scan page. */
const MAX_TX_ENTRIES = 1000;
const MAX_SCAN = 1000;

/** The two calls the tree needs, with the store's reconnect handling around them. */
export interface ImmudbKv {
  scan(request: ScanRequestMsg): Promise<EntriesMsg>;
  execAll(request: ExecAllRequestMsg): Promise<TxHeaderMsg>;
}

const live = (e: EntryMsg): boolean => !e.expired && !e.metadata?.deleted && e.referencedBy === null;

export class ImmudbHashStorage implements HashStorage, CheckpointKeeper {
  private readonly prefix: string;
  readonly description: string;

  /** Refuses a key prefix under which the tree's keys would sit among the events' keys. */
  constructor(private readonly kv: ImmudbKv, eventPrefix: string) {
    this.prefix = `merkle/${eventPrefix}`;
    this.description = `the immudb keys ${this.prefix}h…`;
    if (this.prefix.startsWith(eventPrefix)) {
      throw new LedgerValidationError('keyPrefix', `the Merkle tree's keys (${JSON.stringify(this.prefix)}…) would sit under the events' prefix ${JSON.stringify(eventPrefix)}; choose a key prefix that does not start "merkle/"`, eventPrefix);
    }
  }

  private key(name: string): Buffer {
    return Buffer.from(this.prefix + name, 'utf8');
  }

  private hashKey(index: number): Buffer {
    return this.key(`h${String(index).padStart(INDEX_DIGITS, '0')}`);
  }

  private async value(name: string): Promise<Buffer | undefined> {
    const key = this.key(name);
    const { entries } = await this.kv.scan({ prefix: key, seekKey: key, inclusiveSeek: true, endKey: key, inclusiveEnd: true, desc: false, limit: 1 });
    const e = entries[0];
    return e !== undefined && e.key.equals(key) && live(e) ? e.value : undefined;
  }

  async leaves(): Promise<number> {
    const v = await this.value('leaves');
    const n = v === undefined ? 0 : Number(v.toString('latin1'));
    return Number.isSafeInteger(n) && n >= 0 && v !== undefined && /^\d+$/.test(v.toString('latin1')) ? n : 0;
  }

  async read(indexes: readonly number[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    // Runs of consecutive indexes: one scan page each.
    for (let i = 0; i < indexes.length; ) {
      let j = i + 1;
      while (j < indexes.length && j - i < MAX_SCAN && indexes[j] === indexes[j - 1]! + 1) j++;
      const first = indexes[i]!;
      const { entries } = await this.kv.scan({
        prefix: this.key('h'), seekKey: this.hashKey(first), inclusiveSeek: true, endKey: this.hashKey(indexes[j - 1]!), inclusiveEnd: true, desc: false, limit: j - i,
      });
      for (let k = 0; k < j - i; k++) {
        const e = entries[k];
        if (e === undefined || !e.key.equals(this.hashKey(first + k)) || !live(e) || e.value.length !== HASH_SIZE) {
          throw new LedgerProofError('out_of_range', 'stored hash', `index ${first + k} is not stored (key ${this.prefix}h…)`);
        }
        out.push(e.value);
      }
      i = j;
    }
    return out;
  }

  async write(first: number, hashes: readonly Buffer[], leaves: number, _sync: boolean): Promise<void> {
    if (first + hashes.length !== storedCount(leaves)) throw new RangeError(`hashes ${first}..${first + hashes.length} do not complete a tree of ${leaves}`);
    // Each ExecAll is committed before it returns (noWait false): durable on a --synced server.
    for (let at = 0; at < hashes.length || at === 0; at += MAX_TX_ENTRIES) {
      const chunk = hashes.slice(at, at + MAX_TX_ENTRIES);
      const last = at + MAX_TX_ENTRIES >= hashes.length;
      const Operations = chunk.map((value, k) => ({ kv: { key: this.hashKey(first + at + k), value } }));
      if (last) Operations.push({ kv: { key: this.key('leaves'), value: Buffer.from(String(leaves), 'latin1') } });
      await this.kv.execAll({ Operations, noWait: false, preconditions: [] });
      if (last) break;
    }
  }

  async reset(): Promise<void> {
    await this.kv.execAll({ Operations: [{ kv: { key: this.key('leaves'), value: Buffer.from('0', 'latin1') } }], noWait: false, preconditions: [] });
  }

  async close(): Promise<void> {}

  /** The latest signed checkpoint kept in the database, or undefined. */
  async readCheckpoint(): Promise<string | undefined> {
    return (await this.value('checkpoint'))?.toString('utf8');
  }

  async writeCheckpoint(text: string): Promise<void> {
    await this.kv.execAll({ Operations: [{ kv: { key: this.key('checkpoint'), value: Buffer.from(text, 'utf8') } }], noWait: false, preconditions: [] });
  }
}
