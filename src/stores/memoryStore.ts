import { LedgerEventIdConflictError, LedgerSequenceError, LedgerStreamConflictError, LedgerValidationError } from '../errors/errors.js';
import { GENESIS_HASH } from '../contract/hash.js';
import {
  checkBatchRecords, indexFieldsOf, type AppendRecord, type IndexEntry, type IndexFields, type IndexQuery, type LedgerIndex, type LedgerStore, type StoredLine,
  type StreamHead, type StreamRange, type Tip,
} from '../ledger/ledgerStore.js';
import type { LedgerEvent } from '../contract/event.js';

type StreamEntry = IndexEntry & { readonly stream_version: number };

/**
 * The memory store's indexes: maps from stream, event id, hash, type, actor and framework to
 * sequences. Timestamps never go backwards, so a time range is a binary search over sequences.
 */
class MemoryIndex implements LedgerIndex {
  private streams = new Map<string, StreamEntry[]>();
  private eventIds = new Map<string, IndexEntry>();
  private hashes = new Map<string, IndexEntry>();
  private byType = new Map<string, number[]>();
  private byActor = new Map<string, number[]>();
  private byFramework = new Map<string, number[]>();
  private fields: IndexFields[] = [];
  private entries: IndexEntry[] = [];

  constructor(private readonly lines: readonly string[]) {}

  /** Refuses `records` if an event id is held or a stream's first version in the batch is not the next one. */
  check(records: readonly AppendRecord[]): void {
    const firsts = checkBatchRecords(records, 'memory');
    for (const record of records) {
      const held = this.eventIds.get(record.event_id);
      if (held) throw new LedgerEventIdConflictError(record.event_id, held.sequence, 'the ledger already holds this event_id; nothing was written');
    }
    for (const [stream_id, record] of firsts) {
      const actual = this.streams.get(stream_id)?.length ?? 0;
      const version = record.fields.stream_version;
      if (version !== actual) throw new LedgerStreamConflictError(stream_id, (version ?? 0) - 1, actual - 1);
    }
  }

  add(record: AppendRecord): void {
    const entry: IndexEntry = { sequence: record.sequence, hash: record.hash };
    const f = record.fields;
    this.entries.push(entry);
    this.fields.push(f);
    this.eventIds.set(record.event_id, entry);
    this.hashes.set(record.hash, entry);
    const push = (m: Map<string, number[]>, k: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(record.sequence);
    push(this.byType, f.event_type);
    push(this.byActor, f.actor);
    push(this.byFramework, f.framework_id);
    if (f.stream_id !== undefined) {
      const s = this.streams.get(f.stream_id) ?? this.streams.set(f.stream_id, []).get(f.stream_id)!;
      s.push({ ...entry, stream_version: f.stream_version! });
    }
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    const s = this.streams.get(streamId);
    const last = s?.at(-1);
    return last && { stream_id: streamId, version: last.stream_version, sequence: last.sequence, hash: last.hash };
  }

  async *streamEntries(streamId: string, range: StreamRange = {}): AsyncIterable<StreamEntry> {
    const s = this.streams.get(streamId) ?? [];
    const limit = range.limit ?? Infinity;
    let n = 0;
    if (range.direction === 'backward') {
      for (let v = Math.min(range.from ?? s.length - 1, s.length - 1); v >= (range.to ?? 0) && n < limit; v--, n++) yield s[v]!;
    } else {
      for (let v = range.from ?? 0; v <= Math.min(range.to ?? s.length - 1, s.length - 1) && n < limit; v++, n++) yield s[v]!;
    }
  }

  async byEventId(eventId: string): Promise<IndexEntry | undefined> {
    return this.eventIds.get(eventId);
  }

  async byHash(hash: string): Promise<IndexEntry | undefined> {
    return this.hashes.get(hash);
  }

  /** First sequence whose timestamp is >= `t` (timestamps never decrease). */
  private firstAtOrAfter(t: string): number {
    let lo = 0;
    let hi = this.fields.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.fields[mid]!.timestamp < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async *query(q: IndexQuery): AsyncIterable<IndexEntry> {
    const lo = q.since === undefined ? 0 : this.firstAtOrAfter(q.since);
    // until is inclusive: the first sequence after it is the first at or after until + 1 ms's string successor.
    const hi = (q.until === undefined ? this.fields.length : this.firstAtOrAfter(`${q.until}\u0000`)) - 1;
    // The smallest posting list among the filters given, else every sequence in the time range.
    const lists = [
      q.event_type === undefined ? undefined : this.byType.get(q.event_type) ?? [],
      q.actor === undefined ? undefined : this.byActor.get(q.actor) ?? [],
      q.framework_id === undefined ? undefined : this.byFramework.get(q.framework_id) ?? [],
    ].filter((l): l is number[] => l !== undefined);
    const list = lists.sort((a, b) => a.length - b.length)[0];
    const matches = (s: number): boolean => {
      const f = this.fields[s]!;
      return (
        s >= lo && s <= hi &&
        (q.event_type === undefined || f.event_type === q.event_type) &&
        (q.actor === undefined || f.actor === q.actor) &&
        (q.framework_id === undefined || f.framework_id === q.framework_id) &&
        (q.stream_id_prefix === undefined || (f.stream_id !== undefined && f.stream_id.startsWith(q.stream_id_prefix)))
      );
    };
    const limit = q.limit ?? Infinity;
    let n = 0;
    const count = list ? list.length : this.fields.length;
    const at = (i: number) => (list ? list[i]! : i);
    const backward = q.direction === 'backward';
    for (let i = backward ? count - 1 : 0; backward ? i >= 0 : i < count; backward ? i-- : i++) {
      if (n >= limit) return;
      const s = at(i);
      if (matches(s)) {
        n++;
        yield this.entries[s]!;
      }
    }
  }

  async rebuild(): Promise<number> {
    this.streams = new Map();
    this.eventIds = new Map();
    this.hashes = new Map();
    this.byType = new Map();
    this.byActor = new Map();
    this.byFramework = new Map();
    this.fields = [];
    this.entries = [];
    for (let sequence = 0; sequence < this.lines.length; sequence++) {
      const line = this.lines[sequence]!;
      const e = JSON.parse(line) as LedgerEvent;
      this.add({ sequence, line, hash: e.hash, event_id: e.event_id, fields: indexFieldsOf(e) });
    }
    return this.lines.length;
  }
}

/** A store in process memory: for unit tests and examples. Nothing survives the process. */
export class MemoryStore implements LedgerStore {
  readonly description = 'memory';
  private readonly lines: string[] = [];
  private last: Tip = { sequence_number: -1, hash: GENESIS_HASH };
  private readonly memoryIndex = new MemoryIndex(this.lines);

  /** Stream heads, event ids, hashes and queries, kept current by every append. */
  get index(): LedgerIndex {
    return this.memoryIndex;
  }

  async tip(): Promise<Tip> {
    return this.last;
  }

  async append(records: readonly AppendRecord[]): Promise<void> {
    // All checks before any change, so a refused batch leaves no trace.
    this.memoryIndex.check(records);
    if (records[0]!.sequence !== this.lines.length) {
      throw new LedgerSequenceError(`memory: append of sequence ${records[0]!.sequence} but the next sequence is ${this.lines.length}`);
    }
    for (const record of records) {
      this.lines.push(record.line);
      this.memoryIndex.add(record);
    }
    const last = records.at(-1)!;
    this.last = { sequence_number: last.sequence, hash: last.hash };
  }

  async readLine(sequence: number): Promise<string | undefined> {
    return this.lines[sequence];
  }

  async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const last = Math.min(to ?? this.lines.length - 1, this.lines.length - 1);
    for (let s = Math.max(0, from); s <= last; s++) yield { sequence: s, line: this.lines[s]! };
  }

  async *scanLinesBackward(from: number, to: number): AsyncIterable<StoredLine> {
    if (from >= this.lines.length) throw new LedgerValidationError('from', `is past the tip ${this.lines.length - 1}`, from);
    for (let s = from; s >= Math.max(0, to); s--) yield { sequence: s, line: this.lines[s]! };
  }

  /** Does nothing: there is nothing to release (the events stay readable). */
  async close(): Promise<void> {}
}
