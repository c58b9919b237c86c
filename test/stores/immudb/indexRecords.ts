// The shared port-level record builder (test/support/indexRecords.ts) with this suite's
// defaults: seed event types and actors, and a payload `{ note }`.
import type { AppendRecord, LedgerStore } from '../../../src/index.js';
import * as shared from '../../support/indexRecords.js';

export interface RecordSpec extends Omit<shared.RecordSpec, 'payload'> {
  readonly note?: string;
}

function withDefaults(sequence: number, spec: RecordSpec): shared.RecordSpec {
  const { note, ...rest } = spec;
  return { event_type: 'session_start', actor: 'system', framework_id: 'FMWK-001', ...rest, payload: { note: note ?? `event ${sequence}` } };
}

/** The record of the event after `previous` (sequence, hash) built from `spec`. */
export function buildRecord(sequence: number, previousHash: string, spec: RecordSpec = {}): AppendRecord {
  return shared.buildRecord(sequence, previousHash, withDefaults(sequence, spec));
}

/** Appends one record at the store's tip + 1 (stream_version as given: the store checks it). */
export async function appendSpec(store: LedgerStore, spec: RecordSpec = {}): Promise<AppendRecord> {
  const tip = await store.tip();
  const record = buildRecord(tip.sequence_number + 1, tip.hash, spec);
  await store.append([record]);
  return record;
}
