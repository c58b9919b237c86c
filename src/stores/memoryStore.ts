import { LedgerSequenceError } from '../errors/errors.js';
import { GENESIS_HASH } from '../contract/hash.js';
import type { AppendRecord, LedgerIndex, LedgerStore, StoredLine, Tip } from '../ledger/ledgerStore.js';

/** A store in process memory: for unit tests and examples. Nothing survives the process. */
export class MemoryStore implements LedgerStore {
  readonly description = 'memory';
  private readonly lines: string[] = [];
  private last: Tip = { sequence_number: -1, hash: GENESIS_HASH };

  // Issue 13 skeleton: replaced by the store's real indexes.
  readonly index: LedgerIndex = new Proxy({} as LedgerIndex, { get: (_t, name) => () => { throw new Error(`index.${String(name)}: not implemented yet`); } });

  // Issue 13 skeleton.
  // eslint-disable-next-line require-yield
  async *scanLinesBackward(_from: number, _to: number): AsyncIterable<StoredLine> {
    throw new Error('scanLinesBackward: not implemented yet');
  }

  async tip(): Promise<Tip> {
    return this.last;
  }

  async append(record: AppendRecord): Promise<void> {
    if (record.sequence !== this.lines.length) {
      throw new LedgerSequenceError(`memory: append of sequence ${record.sequence} but the next sequence is ${this.lines.length}`);
    }
    this.lines.push(record.line);
    this.last = { sequence_number: record.sequence, hash: record.hash };
  }

  async readLine(sequence: number): Promise<string | undefined> {
    return this.lines[sequence];
  }

  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const last = Math.min(to ?? this.lines.length - 1, this.lines.length - 1);
    for (let s = Math.max(0, from); s <= last; s++) yield { sequence: s, line: this.lines[s]! };
  }

  /** Does nothing: there is nothing to release (the events stay readable). */
  async close(): Promise<void> {}
}
