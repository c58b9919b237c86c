// Writes an event straight into a store, past the Ledger and its input checks: what the owner of
// the files (or a ledger written before a check existed) can put in a chain. Specs use it to
// test that replay still checks what the append gate would have refused.
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson, type AppendInput, type LedgerStore } from '../../src/index.js';
import { buildEventLine, parseEventLine } from '../../src/contract/eventLine.js';
import { indexFieldsOf } from '../../src/ledger/ledgerStore.js';

export async function appendBehindLedger(store: LedgerStore, input: AppendInput): Promise<number> {
  const tip = await store.tip();
  const sequence = tip.sequence_number + 1;
  const event_id = uuidv7();
  const { hash, line } = buildEventLine({
    event_id, sequence, event_type: input.event_type, schema_version: input.schema_version, timestamp: new Date().toISOString(),
    provenanceJson: canonicalJson(input.provenance), previous_hash: tip.hash, payloadJson: canonicalJson(input.payload),
  });
  await store.append([{ sequence, hash, line, event_id, fields: indexFieldsOf(parseEventLine(line)) }]);
  return sequence;
}
