// The immudb store's indexes (issue 13): secondary keys (keyLayout.ts, IndexKeyLayout) written in
// the event's own ExecAll, each once, each under keyMustNotExist, so an index key exists exactly
// when its event does (a key planted behind the ledger's back aside). Every lookup is a Scan over
// one key prefix with seek/end keys, desc and limit: its cost follows the entries returned, not
// the ledger's length.
//
// Never trusted: an entry counts only if it is revision 1 of a plain key (not a reference, not
// rewritten), its value is an IndexValue whose fields agree with the key it sits under, and, for
// the single look-ups that decide appends and idempotent retries (byEventId, byHash,
// streamHead), the event line at its sequence has that hash, id and stream version. Anything else
// is LedgerCorruptionError naming the key. The Ledger re-checks every event it reads against the
// entry's hash.

import { LedgerCorruptionError } from '../../errors/errors.js';
import { HASH_PATTERN } from '../../contract/hash.js';
import { indexFieldsOf, type AppendRecord, type IndexEntry, type IndexFields, type IndexQuery, type IndexVerdict, type LedgerIndex, type StoredLine, type StreamHead, type StreamRange } from '../../ledger/ledgerStore.js';
import type { LedgerEvent } from '../../contract/event.js';
import type { EntriesMsg, EntryMsg, PreconditionMsg, ScanRequestMsg, KeyValueMsg } from './immudbRpc.js';
import { auditIndexKeys } from './immudbIndexAudit.js';
import { IndexKeyLayout, SEQUENCE_DIGITS, type QueryKind } from './keyLayout.js';

/** What every index key holds: the event it points at. Canonical JSON (keys sorted). */
export interface IndexValue {
  readonly event_id: string;
  readonly fields: IndexFields;
  readonly hash: string;
  readonly sequence: number;
}

/** The calls the index needs, with the store's reconnect handling around them. */
export interface ImmudbIndexIo {
  scan(request: ScanRequestMsg, what: string): Promise<EntriesMsg>;
  /** The first `limit` revisions of `key` (deleted and expired ones included), [] if it has none. */
  history(key: Buffer, limit: number, what: string): Promise<EntryMsg[]>;
  /** Every event line from sequence 0 to the tip, checked as scanLines checks them (the audit). */
  lines(): AsyncIterable<StoredLine>;
  /** The line at `sequence` (the store's checked read), or undefined if there is none. */
  readLine(sequence: number): Promise<string | undefined>;
  /** Rebuild: indexes the events the index lacks; resolves with the number of events in the ledger. */
  rebuild(): Promise<number>;
  readonly description: string;
  readonly pageSize: number;
}

const MAX_SEQUENCE_KEY = '9'.repeat(SEQUENCE_DIGITS);
/** Re-reads of a stream head while other writers keep appending to it, before a key no Scan shows is called planted. */
const HEAD_ATTEMPTS = 10;

/** The value written under every index key of `record`. */
export function indexValueOf(record: Pick<AppendRecord, 'event_id' | 'fields' | 'hash' | 'sequence'>): Buffer {
  const f = record.fields;
  // Key order fixed by hand (code-point order), optional stream fields only when present.
  const fields: IndexFields = {
    actor: f.actor,
    event_type: f.event_type,
    framework_id: f.framework_id,
    ...(f.stream_id === undefined ? {} : { stream_id: f.stream_id, stream_version: f.stream_version }),
    timestamp: f.timestamp,
  };
  return Buffer.from(JSON.stringify({ event_id: record.event_id, fields, hash: record.hash, sequence: record.sequence }), 'utf8');
}

/** The index keys of one event, each with the same value. */
export function indexKeysOf(layout: IndexKeyLayout, record: Pick<AppendRecord, 'event_id' | 'fields' | 'hash' | 'sequence'>): Buffer[] {
  const { fields: f, sequence } = record;
  return [
    layout.eventId(record.event_id),
    layout.hash(record.hash),
    ...(f.stream_id === undefined ? [] : [layout.stream(f.stream_id, f.stream_version ?? 0)]),
    layout.query('t', f.event_type, sequence),
    layout.query('a', f.actor, sequence),
    layout.query('f', f.framework_id, sequence),
    layout.query('m', f.timestamp, sequence),
    layout.query('q', '', sequence),
  ];
}

/**
 * The precondition that `key` was never written at all. immudb 1.11 checks keyMustNotExist
 * with the reads' filters (a logically deleted or expired key counts as absent:
 * embedded/store/preconditions.go), so a key deleted or expired behind the ledger's back would
 * let its event id or stream version be written again. keyNotModifiedAfterTX reads the key's
 * latest revision unfiltered; with txID 1 it fails for any revision after the database's
 * first transaction, which every delete, expiring rewrite or second write of a key the ledger
 * wrote is. Together with keyMustNotExist: no revision at all, live, deleted or expired.
 */
export const neverWritten = (key: Buffer): PreconditionMsg => ({ keyNotModifiedAfterTX: { key, txID: 1 } });

/**
 * Operations and preconditions that write the index keys of `record`, each only if absent; the
 * event-id and stream-version keys (the ledger's rules rest on their absence) only if never written.
 */
export function indexWrites(layout: IndexKeyLayout, record: AppendRecord): { operations: { kv: KeyValueMsg }[]; preconditions: PreconditionMsg[] } {
  const value = indexValueOf(record);
  const keys = indexKeysOf(layout, record);
  const { stream_id, stream_version } = record.fields;
  const ruled = [layout.eventId(record.event_id), ...(stream_id === undefined ? [] : [layout.stream(stream_id, stream_version ?? 0)])];
  return {
    operations: keys.map((key) => ({ kv: { key, value } })),
    preconditions: [...keys.map((key) => ({ keyMustNotExist: { key } })), ...ruled.map(neverWritten)],
  };
}

/**
 * Why the History of a key the ledger wrote once (or never) shows tampering: more than one
 * revision, a first one deleted or expired, or a revision at all where the ledger wrote none
 * (`expectAbsent`). Undefined when it holds.
 */
export function historyTampering(entries: readonly EntryMsg[], expectAbsent: boolean): string | undefined {
  const [first, second] = entries;
  if (first === undefined) return undefined;
  const what = (e: EntryMsg): string =>
    e.metadata?.deleted ? `deleted (revision ${e.revision}, tx ${e.tx})` : e.expired ? `expired (revision ${e.revision}, tx ${e.tx})` : `revision ${e.revision} (tx ${e.tx})`;
  if (second !== undefined) return `it was rewritten outside the ledger: ${what(second)}`;
  if (first.metadata?.deleted || first.expired) return `it was written ${what(first)} outside the ledger`;
  return expectAbsent ? `it exists (${what(first)}) where the ledger wrote no key` : undefined;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The IndexValue in `bytes`, or a reason it is not one. */
export function parseIndexValue(bytes: Buffer): IndexValue | string {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'its value is not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'its value is not a JSON object';
  const { event_id, fields, hash, sequence } = v as Record<string, unknown>;
  if (!isString(event_id)) return 'event_id is not a non-empty string';
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) return 'hash is not sha256:<64 hex>';
  if (!isNumber(sequence)) return 'sequence is not a non-negative safe integer';
  if (typeof fields !== 'object' || fields === null) return 'fields is not an object';
  const f = fields as Record<string, unknown>;
  for (const name of ['actor', 'event_type', 'framework_id', 'timestamp'] as const) {
    if (!isString(f[name])) return `fields.${name} is not a non-empty string`;
  }
  if ((f['stream_id'] === undefined) !== (f['stream_version'] === undefined)) return 'fields.stream_id and fields.stream_version come together';
  if (f['stream_id'] !== undefined && (!isString(f['stream_id']) || !isNumber(f['stream_version']))) return 'fields.stream_id/stream_version are malformed';
  return v as IndexValue;
}

/** Why an event line does not match an index value (undefined: it does). */
export function lineDisagrees(line: string | undefined, value: IndexValue): string | undefined {
  if (line === undefined) return `no event at sequence ${value.sequence}`;
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `the line at sequence ${value.sequence} is not JSON`;
  }
  if (e['hash'] !== value.hash) return `the event at sequence ${value.sequence} has hash ${String(e['hash'])}, the key says ${value.hash}`;
  if (e['event_id'] !== value.event_id) return `the event at sequence ${value.sequence} has event_id ${String(e['event_id'])}, the key says ${value.event_id}`;
  if (e['stream_id'] !== value.fields.stream_id || e['stream_version'] !== value.fields.stream_version) {
    return `the event at sequence ${value.sequence} is in stream ${JSON.stringify(e['stream_id'])} version ${String(e['stream_version'])}, the key says ${JSON.stringify(value.fields.stream_id)} version ${String(value.fields.stream_version)}`;
  }
  return undefined;
}

/** The field of an IndexValue that a query key of `kind` is keyed by. */
const fieldOfKind = (kind: QueryKind, f: IndexFields): string =>
  kind === 't' ? f.event_type : kind === 'a' ? f.actor : kind === 'f' ? f.framework_id : kind === 'm' ? f.timestamp : '';

export class ImmudbIndex implements LedgerIndex {
  readonly #io: ImmudbIndexIo;
  readonly layout: IndexKeyLayout;

  constructor(layout: IndexKeyLayout, io: ImmudbIndexIo) {
    this.layout = layout;
    this.#io = io;
  }

  /**
   * The IndexValue of a scanned entry, checked against the key it sits under; throws
   * LedgerCorruptionError naming the key if the ledger did not write it.
   */
  checked(entry: EntryMsg): IndexValue {
    const key = entry.referencedBy?.key ?? entry.key;
    const parsed = this.layout.parse(key);
    const fail = (why: string, sequence = -1): never => {
      throw new LedgerCorruptionError(
        sequence,
        `${this.#io.description}: index key ${this.layout.describeKey(key)} was not written by the ledger (${why}); ` +
          'index keys are never rewritten, so it stays: investigate, then query around it or run reindex into a fresh key prefix',
      );
    };
    if (parsed === undefined) return fail('not a key of the index layout');
    if (entry.referencedBy) return fail('it is a reference; the ledger never writes references');
    if (entry.revision !== 1) return fail(`it has revision ${entry.revision}; index keys are written once`);
    const value = parseIndexValue(entry.value);
    if (typeof value === 'string') return fail(value);
    const f = value.fields;
    switch (parsed.kind) {
      case 'e':
        if (parsed.event_id !== value.event_id) fail(`its value names event_id ${value.event_id}`, value.sequence);
        break;
      case 'h':
        if (parsed.hash !== value.hash) fail(`its value names hash ${value.hash}`, value.sequence);
        break;
      case 's':
        if (parsed.stream_id !== f.stream_id || parsed.version !== f.stream_version) {
          fail(`its value names stream ${JSON.stringify(f.stream_id)} version ${String(f.stream_version)}`, value.sequence);
        }
        break;
      default:
        if (parsed.sequence !== value.sequence) fail(`its value names sequence ${value.sequence}`, value.sequence);
        if (parsed.value !== fieldOfKind(parsed.kind, f)) fail(`its value names ${JSON.stringify(fieldOfKind(parsed.kind, f))}`, value.sequence);
    }
    return value;
  }

  /** The entry under exactly `key`, checked (and, with `verify`, checked against the event line). */
  async lookup(key: Buffer, what: string, verify: boolean): Promise<IndexValue | undefined> {
    const { entries } = await this.#io.scan({ prefix: key, seekKey: key, inclusiveSeek: true, endKey: key, inclusiveEnd: true, desc: false, limit: 1 }, what);
    const entry = entries[0];
    if (entry === undefined || !(entry.referencedBy?.key ?? entry.key).equals(key)) return undefined;
    const value = this.checked(entry);
    if (verify) await this.verify(key, value);
    return value;
  }

  /**
   * The entry under exactly `key` from its History (one call, like the Scan of lookup): a miss
   * is then proven (no revision, deleted or expired, exists), and a key rewritten, deleted or
   * expired behind the ledger's back is LedgerCorruptionError naming it, never a miss. Checked
   * against the event line. For the answers appends and retries rest on.
   */
  async proven(key: Buffer, what: string): Promise<IndexValue | undefined> {
    const entries = await this.#io.history(key, 2, what);
    const why = historyTampering(entries, false);
    if (why !== undefined) throw this.#tampered(key, why);
    if (entries[0] === undefined) return undefined;
    const value = this.checked(entries[0]);
    await this.verify(key, value);
    return value;
  }

  /** LedgerCorruptionError naming an index key whose History shows tampering. */
  #tampered(key: Buffer, why: string, sequence = -1): LedgerCorruptionError {
    return new LedgerCorruptionError(
      sequence,
      `${this.#io.description}: index key ${this.layout.describeKey(key)}: ${why}; index keys are written once and never deleted, ` +
        'so no answer that rests on it is given: investigate, then run verify --store',
    );
  }

  /**
   * The first of `keys` (the ones the ledger's rules rest on: an event id, a stream version)
   * whose History shows a revision although the ledger wrote none there (`expectAbsent`), or
   * tampering of one it wrote: a description naming it, else undefined.
   */
  async erased(keys: readonly Buffer[], expectAbsent: boolean): Promise<string | undefined> {
    for (const key of keys) {
      const why = historyTampering(await this.#io.history(key, 2, 'read of an index key\'s history'), expectAbsent);
      if (why !== undefined) return `index key ${this.layout.describeKey(key)}: ${why}`;
    }
    return undefined;
  }

  /** Throws LedgerCorruptionError naming `key` unless the event line at its sequence matches its value. */
  async verify(key: Buffer, value: IndexValue): Promise<void> {
    const why = lineDisagrees(await this.#io.readLine(value.sequence), value);
    if (why !== undefined) {
      throw new LedgerCorruptionError(
        value.sequence,
        `${this.#io.description}: index key ${this.layout.describeKey(key)} was not written by the ledger (${why}); it is never rewritten: investigate`,
      );
    }
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    const prefix = this.layout.streamPrefix(streamId);
    const what = `read of stream ${JSON.stringify(streamId)}'s head`;
    for (let attempt = 0; ; attempt++) {
      const { entries } = await this.#io.scan({ prefix, seekKey: Buffer.concat([prefix, Buffer.from(MAX_SEQUENCE_KEY)]), inclusiveSeek: true, desc: true, limit: 1 }, what);
      const entry = entries[0];
      const value = entry === undefined ? undefined : this.checked(entry);
      if (value !== undefined) await this.verify(entry!.key, value);
      // "No later version" is a negative answer: proven by the next version's key having no
      // History at all (a Scan skips a head key deleted or expired behind the ledger's back).
      const next = this.layout.stream(streamId, value === undefined ? 0 : value.fields.stream_version! + 1);
      const history = await this.#io.history(next, 2, what);
      const why = historyTampering(history, attempt >= HEAD_ATTEMPTS);
      if (why !== undefined) throw this.#tampered(next, why, value?.sequence ?? -1);
      // A live first revision: another writer appended that version meanwhile; look again.
      if (history.length === 0) return value && { stream_id: streamId, version: value.fields.stream_version!, sequence: value.sequence, hash: value.hash };
    }
  }

  async *streamEntries(streamId: string, range: StreamRange = {}): AsyncIterable<IndexEntry & { readonly stream_version: number }> {
    const backward = range.direction === 'backward';
    const prefix = this.layout.streamPrefix(streamId);
    const bound = (v: number | undefined): Buffer | undefined => (v === undefined ? undefined : this.layout.stream(streamId, Math.max(0, v)));
    if (range.limit !== undefined && range.limit <= 0) return;
    // An empty range (from past to in the scan's direction, or below version 0) reads nothing.
    if (range.from !== undefined && range.to !== undefined && (backward ? range.from < range.to : range.from > range.to)) return;
    if ((backward ? range.from : range.to) !== undefined && (backward ? range.from! : range.to!) < 0) return;
    const first = bound(range.from) ?? (backward ? Buffer.concat([prefix, Buffer.from(MAX_SEQUENCE_KEY)]) : prefix);
    const last = bound(range.to);
    for await (const value of this.#scan(prefix, first, last, backward, range.limit, `read of stream ${JSON.stringify(streamId)}`)) {
      yield { sequence: value.sequence, hash: value.hash, stream_version: value.fields.stream_version! };
    }
  }

  async byEventId(eventId: string): Promise<IndexEntry | undefined> {
    const value = await this.proven(this.layout.eventId(eventId), `look-up of event_id ${eventId}`);
    return value === undefined ? undefined : { sequence: value.sequence, hash: value.hash };
  }

  async byHash(hash: string): Promise<IndexEntry | undefined> {
    const value = await this.proven(this.layout.hash(hash), `look-up of hash ${hash}`);
    return value === undefined ? undefined : { sequence: value.sequence, hash: value.hash };
  }

  /**
   * One key prefix drives the scan (type, else actor, else framework, else every event); the
   * other filters are checked on the fields each value carries. since/until become a sequence
   * range through the time keys (timestamps never go backwards within a ledger).
   */
  async *query(query: IndexQuery): AsyncIterable<IndexEntry> {
    if (query.limit !== undefined && query.limit <= 0) return;
    const backward = query.direction === 'backward';
    let low = 0;
    let high: number | undefined;
    if (query.since !== undefined) {
      const from = this.layout.timeFrom(query.since);
      const { entries } = await this.#io.scan({ prefix: this.layout.kindPrefix('m'), seekKey: from, inclusiveSeek: true, desc: false, limit: 1 }, 'query by time');
      if (entries[0] === undefined) return;
      low = this.checked(entries[0]).sequence;
    }
    if (query.until !== undefined) {
      const { entries } = await this.#io.scan({ prefix: this.layout.kindPrefix('m'), seekKey: this.layout.timeAfter(query.until), inclusiveSeek: false, desc: true, limit: 1 }, 'query by time');
      if (entries[0] === undefined) return;
      high = this.checked(entries[0]).sequence;
    }
    if (high !== undefined && high < low) return;
    const [kind, value]: [QueryKind, string] =
      query.event_type !== undefined ? ['t', query.event_type]
        : query.actor !== undefined ? ['a', query.actor]
          : query.framework_id !== undefined ? ['f', query.framework_id]
            : ['q', ''];
    const prefix = this.layout.queryPrefix(kind, value);
    const lowKey = this.layout.query(kind, value, low);
    const highKey = high === undefined ? Buffer.concat([prefix, Buffer.from(MAX_SEQUENCE_KEY)]) : this.layout.query(kind, value, high);
    const matches = (f: IndexFields): boolean =>
      (query.event_type === undefined || f.event_type === query.event_type) &&
      (query.actor === undefined || f.actor === query.actor) &&
      (query.framework_id === undefined || f.framework_id === query.framework_id) &&
      (query.stream_id_prefix === undefined || (f.stream_id !== undefined && f.stream_id.startsWith(query.stream_id_prefix))) &&
      (query.since === undefined || f.timestamp >= query.since) &&
      (query.until === undefined || f.timestamp <= query.until);
    let left = query.limit ?? Infinity;
    for await (const v of this.#scan(prefix, backward ? highKey : lowKey, backward ? lowKey : highKey, backward, undefined, 'query')) {
      if (!matches(v.fields)) continue;
      yield { sequence: v.sequence, hash: v.hash };
      if (--left <= 0) return;
    }
  }

  rebuild(): Promise<number> {
    return this.#io.rebuild();
  }

  /** Every index key against its event, deleted and expired ones included (immudbIndexAudit.ts). */
  audit(): Promise<IndexVerdict> {
    const recordOf = (e: LedgerEvent) => ({ event_id: e.event_id, fields: indexFieldsOf(e), hash: e.hash, sequence: e.sequence });
    return auditIndexKeys(
      { layout: this.layout, checked: (entry) => this.checked(entry), valueOf: (e) => indexValueOf(recordOf(e)), keysOf: (e) => indexKeysOf(this.layout, recordOf(e)) },
      this.#io,
    );
  }

  /** Checked values under `prefix` from `first` to `last` (inclusive), paged, at most `limit`. */
  async *#scan(prefix: Buffer, first: Buffer, last: Buffer | undefined, desc: boolean, limit: number | undefined, what: string): AsyncIterable<IndexValue> {
    let left = limit ?? Infinity;
    let seekKey = first;
    let inclusiveSeek = true;
    for (;;) {
      const pageLimit = Math.min(this.#io.pageSize, left);
      const { entries } = await this.#io.scan(
        { prefix, seekKey, inclusiveSeek, ...(last === undefined ? {} : { endKey: last, inclusiveEnd: true }), desc, limit: pageLimit },
        what,
      );
      for (const entry of entries) {
        yield this.checked(entry);
        left--;
      }
      if (entries.length < pageLimit || left <= 0) return;
      const tail = entries[entries.length - 1]!;
      seekKey = tail.referencedBy?.key ?? tail.key;
      inclusiveSeek = false;
    }
  }
}
