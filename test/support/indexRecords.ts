// Records with the issue-13 fields, built past the Ledger, for testing a store through its
// port: the canonical line (every field in code point order) and its hash, as the byte
// contract defines them.
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson } from '../../src/contract/canonicalJson.js';
import { sha256 } from '../../src/contract/hash.js';
import { indexFieldsOf, type AppendRecord, type LedgerStore } from '../../src/ledger/ledgerStore.js';
import type { LedgerEvent } from '../../src/contract/event.js';

export interface RecordSpec {
  readonly event_type?: string;
  readonly actor?: string;
  readonly framework_id?: string;
  readonly stream_id?: string;
  readonly stream_version?: number;
  readonly event_id?: string;
  readonly timestamp?: string;
  readonly payload?: Record<string, unknown>;
}

/** The record for event `sequence` after `previous_hash`. */
export function buildRecord(sequence: number, previous_hash: string, spec: RecordSpec = {}): AppendRecord {
  const body: Record<string, unknown> = {
    event_id: spec.event_id ?? uuidv7(),
    event_type: spec.event_type ?? 'test_event',
    payload: spec.payload ?? { n: sequence },
    previous_hash,
    provenance: { actor: spec.actor ?? 'tester', framework_id: spec.framework_id ?? 'FMWK-T', pack_id: 'PC-T' },
    schema_version: '1.0.0',
    sequence,
    timestamp: spec.timestamp ?? new Date().toISOString(),
    ...(spec.stream_id === undefined ? {} : { stream_id: spec.stream_id, stream_version: spec.stream_version ?? 0 }),
  };
  const hash = sha256(canonicalJson(body));
  const event = { ...body, hash } as unknown as LedgerEvent;
  return { sequence, hash, line: canonicalJson(event), event_id: event.event_id, fields: indexFieldsOf(event) };
}

/** Appends one record at the store's tip + 1; resolves with it. */
export async function appendSpec(store: LedgerStore, spec: RecordSpec = {}): Promise<AppendRecord> {
  const tip = await store.tip();
  const record = buildRecord(tip.sequence_number + 1, tip.hash, spec);
  await store.append([record]);
  return record;
}

/** Everything an async iterable yields. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
