// `verify --store` for the immudb store's index keys (issue 21 §2): every key under the index
// prefix against the event it names, and every event's keys present, deleted and expired ones
// found (immudb's Scan skips those, so a query over them omits the event silently).
//
// Two passes, no per-key round trip while the index holds: the events (16 bytes of digest and
// one bit of "has a stream" each: ~17 MB at 1M events), then one paged Scan of the whole index
// prefix, each key checked (revision 1, plain, its value agrees with the key: ImmudbIndex.checked)
// and its value compared with the event's by digest, a bit set per (event, kind). An unset bit
// is a key missing: its History says whether it was deleted, expired or never written.
import { createHash } from 'node:crypto';
import { LedgerCorruptionError } from '../../errors/errors.js';
import type { IndexVerdict, StoredLine } from '../../ledger/ledgerStore.js';
import type { LedgerEvent } from '../../contract/event.js';
import type { EntriesMsg, EntryMsg, ScanRequestMsg } from './immudbRpc.js';
import type { IndexKeyLayout } from './keyLayout.js';

/** What the audit needs of the index and the store. */
export interface AuditIo {
  scan(request: ScanRequestMsg, what: string): Promise<EntriesMsg>;
  history(key: Buffer, limit: number, what: string): Promise<EntryMsg[]>;
  lines(): AsyncIterable<StoredLine>;
  readLine(sequence: number): Promise<string | undefined>;
  readonly pageSize: number;
  readonly description: string;
}

/** The parts of ImmudbIndex the audit uses, and what each event's keys must be. */
export interface AuditedIndex {
  readonly layout: IndexKeyLayout;
  /** The value of a scanned key, checked against the key (LedgerCorruptionError naming it otherwise). */
  checked(entry: EntryMsg): { readonly sequence: number };
  /** The bytes every index key of `event` holds. */
  valueOf(event: LedgerEvent): Buffer;
  /** The index keys of `event`. */
  keysOf(event: LedgerEvent): Buffer[];
}

const DIGEST = 16;
/** The kinds of key every event has, in bit order; 's' only for a stream event. */
const KINDS = ['e', 'h', 't', 'a', 'f', 'm', 'q', 's'] as const;
const bit = (kind: string): number => KINDS.indexOf(kind as (typeof KINDS)[number]);

const digestOf = (value: Buffer): Buffer => createHash('sha256').update(value).digest().subarray(0, DIGEST);

/** Every index key against its event; never writes. */
export async function auditIndexKeys(index: AuditedIndex, io: AuditIo): Promise<IndexVerdict> {
  // Pass 1: the events, as digests of the value each of their keys must hold.
  let digests = Buffer.alloc(1024 * DIGEST);
  let streams = Buffer.alloc(1024);
  let n = 0;
  for await (const { sequence, line } of io.lines()) {
    if ((sequence + 1) * DIGEST > digests.length) {
      digests = Buffer.concat([digests, Buffer.alloc(digests.length)]);
      streams = Buffer.concat([streams, Buffer.alloc(streams.length)]);
    }
    const event = JSON.parse(line) as LedgerEvent;
    digestOf(index.valueOf(event)).copy(digests, sequence * DIGEST);
    streams[sequence] = event.stream_id === undefined ? 0 : 1;
    n = sequence + 1;
  }
  // Pass 2: every key under the index prefix; a bit per (event, kind) it stands for.
  const seen = Buffer.alloc(n);
  let first: { sequence: number; reason: string } | undefined;
  const problem = (sequence: number, reason: string): void => {
    const at = sequence < 0 ? Number.MAX_SAFE_INTEGER : sequence;
    if (first === undefined || at < (first.sequence < 0 ? Number.MAX_SAFE_INTEGER : first.sequence)) first = { sequence, reason };
  };
  const prefix = Buffer.from(index.layout.base, 'utf8');
  let seekKey: Buffer | undefined;
  for (;;) {
    const { entries } = await io.scan(
      { prefix, ...(seekKey === undefined ? {} : { seekKey, inclusiveSeek: false }), desc: false, limit: io.pageSize },
      'audit of the index keys',
    );
    for (const entry of entries) {
      const key = entry.referencedBy?.key ?? entry.key;
      let value: { readonly sequence: number };
      try {
        value = index.checked(entry);
      } catch (e) {
        if (!(e instanceof LedgerCorruptionError)) throw e;
        problem(e.sequence, e.message);
        continue;
      }
      const s = value.sequence;
      const kind = index.layout.parse(key)!.kind;
      const name = index.layout.describeKey(key);
      if (s >= n) problem(s, `${io.description}: index key ${name} names sequence ${s}, past the last event (${n - 1})`);
      else if (!digestOf(entry.value).equals(digests.subarray(s * DIGEST, (s + 1) * DIGEST))) {
        problem(s, `${io.description}: index key ${name} holds ${entry.value.toString('utf8')}, which is not what event ${s} gives`);
      } else if (kind === 's' && streams[s] === 0) problem(s, `${io.description}: index key ${name} puts event ${s} in a stream it is not in`);
      else seen[s]! |= 1 << bit(kind);
    }
    if (entries.length < io.pageSize) break;
    const last = entries[entries.length - 1]!;
    seekKey = last.referencedBy?.key ?? last.key;
  }
  // Every event's keys: the first one missing, described by its History.
  for (let s = 0; s < n && (first === undefined || s < first.sequence || first.sequence < 0); s++) {
    const want = streams[s] ? 0xff : 0x7f;
    if ((seen[s]! & want) === want) continue;
    const missing = KINDS.filter((k) => (want & (1 << bit(k))) !== 0 && (seen[s]! & (1 << bit(k))) === 0);
    problem(s, await describeMissing(index, io, s, missing));
    break;
  }
  if (first === undefined) return { valid: true, count: n, break_at: null };
  return { valid: false, count: first.sequence < 0 ? 0 : first.sequence, break_at: first.sequence < 0 ? null : first.sequence, reason: first.reason };
}

/** Names the missing keys of event `sequence` and what their History shows. */
async function describeMissing(index: AuditedIndex, io: AuditIo, sequence: number, kinds: readonly string[]): Promise<string> {
  const line = await io.readLine(sequence);
  const event = line === undefined ? undefined : (JSON.parse(line) as LedgerEvent);
  const keys = event === undefined ? [] : index.keysOf(event).filter((k) => kinds.includes(index.layout.parse(k)!.kind));
  const described: string[] = [];
  for (const key of keys) {
    const history = await io.history(key, 2, 'audit of an index key');
    const last = history.at(-1);
    const state =
      last === undefined ? 'never written'
        : last.metadata?.deleted ? `deleted (revision ${last.revision}, tx ${last.tx})`
          : last.expired ? `expired (revision ${last.revision}, tx ${last.tx})`
            : `not shown by a Scan (revision ${last.revision}, tx ${last.tx})`;
    described.push(`${index.layout.describeKey(key)} ${state}`);
  }
  return `${io.description}: event ${sequence} lacks index key${described.length === 1 ? '' : 's'} ${described.join(', ')}; a query through ${described.length === 1 ? 'it' : 'them'} omits the event`;
}
