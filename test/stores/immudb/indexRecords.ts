// Records with issue 13's optional fields, built past the Ledger so the store's index can be
// tested through the port alone: each line is the canonical JSON of a full event, hashed the
// ledger's way (SHA-256 of the canonical JSON without "hash").
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson, sha256, type AppendRecord, type LedgerStore } from '../../../src/index.js';
import { indexFieldsOf } from '../../../src/ledger/ledgerStore.js';
import type { LedgerEvent } from '../../../src/contract/event.js';

export interface RecordSpec {
  readonly event_type?: string;
  readonly actor?: string;
  readonly framework_id?: string;
  readonly stream_id?: string;
  readonly stream_version?: number;
  readonly event_id?: string;
  readonly timestamp?: string;
  readonly note?: string;
}

/** The record of the event after `previous` (sequence, hash) built from `spec`. */
export function buildRecord(sequence: number, previousHash: string, spec: RecordSpec = {}): AppendRecord {
  const unhashed = {
    event_id: spec.event_id ?? uuidv7(),
    event_type: spec.event_type ?? 'session_start',
    payload: { note: spec.note ?? `event ${sequence}` },
    previous_hash: previousHash,
    provenance: { actor: spec.actor ?? 'system', framework_id: spec.framework_id ?? 'FMWK-001', pack_id: 'PC-001-ledger' },
    schema_version: '1.0.0',
    sequence,
    ...(spec.stream_id === undefined ? {} : { stream_id: spec.stream_id, stream_version: spec.stream_version ?? 0 }),
    timestamp: spec.timestamp ?? new Date().toISOString(),
  };
  const hash = sha256(canonicalJson(unhashed));
  const line = canonicalJson({ ...unhashed, hash });
  const event = JSON.parse(line) as LedgerEvent;
  return { sequence, line, hash, event_id: event.event_id, fields: indexFieldsOf(event) };
}

/** Appends one record at the store's tip + 1 (stream_version as given: the store checks it). */
export async function appendSpec(store: LedgerStore, spec: RecordSpec = {}): Promise<AppendRecord> {
  const tip = await store.tip();
  const record = buildRecord(tip.sequence_number + 1, tip.hash, spec);
  await store.append(record);
  return record;
}
