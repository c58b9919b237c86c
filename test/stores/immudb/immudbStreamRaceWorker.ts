// Child process of immudbStreamRace.int.spec: appends RACE_COUNT events to one stream through its
// own ImmudbStore session (the port, no Ledger), each at the version after the head it read,
// retrying every append the other process won. Prints "ready", waits for "go", then one JSON line.

import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { isLedgerError } from '../../../src/index.js';
import { resolveImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { buildRecord } from './indexRecords.js';

export interface StreamRaceSummary {
  readonly name: string;
  /** [stream_version, sequence] of each event this process wrote. */
  readonly won: [number, number][];
  /** Refusals: LEDGER_STREAM_CONFLICT and LEDGER_SEQUENCE counts. */
  readonly streamConflicts: number;
  readonly sequenceConflicts: number;
}

const name = process.env['RACE_NAME'] ?? 'worker';
const count = Number(process.env['RACE_COUNT'] ?? '100');
const stream = process.env['RACE_STREAM'] ?? 'race';

const store = await ImmudbStore.open(resolveImmudbConfig());
const input = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(input, 'line');

const won: [number, number][] = [];
let streamConflicts = 0;
let sequenceConflicts = 0;
for (let i = 0; i < count; i++) {
  for (;;) {
    const [tip, head] = await Promise.all([store.tip(), store.index.streamHead(stream)]);
    const version = head === undefined ? 0 : head.version + 1;
    const record = buildRecord(tip.sequence_number + 1, tip.hash, { stream_id: stream, stream_version: version, note: `${name}-${i}` });
    try {
      await store.append([record]);
      won.push([version, record.sequence]);
      break;
    } catch (e) {
      if (isLedgerError(e, 'LEDGER_STREAM_CONFLICT')) streamConflicts++;
      else if (isLedgerError(e, 'LEDGER_SEQUENCE')) sequenceConflicts++;
      else throw e;
    }
  }
}
await store.close();
input.close();
const summary: StreamRaceSummary = { name, won, streamConflicts, sequenceConflicts };
process.stdout.write(`${JSON.stringify(summary)}\n`);
