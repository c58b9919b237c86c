// Child process of immudbRace.int.spec: appends RACE_COUNT events through its own Ledger on the
// immudb store named by the IMMUDB_* environment, retrying each append that loses the race.
// Prints "ready", waits for "go" on stdin, then prints one JSON summary line.

import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Ledger, isLedgerError } from '../../../src/index.js';
import { resolveImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { sessionStart } from '../../support/fixtures.js';

export interface RaceWorkerSummary {
  readonly name: string;
  /** Sequences this worker's events landed at, in append order. */
  readonly sequences: number[];
  /** LedgerSequenceErrors seen (appends lost to the other writer, each retried). */
  readonly conflicts: number;
}

const name = process.env['RACE_NAME'] ?? 'worker';
const count = Number(process.env['RACE_COUNT'] ?? '1000');

const ledger = await Ledger.open(await ImmudbStore.open(resolveImmudbConfig()));
const input = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(input, 'line');

const sequences: number[] = [];
let conflicts = 0;
for (let i = 0; i < count; i++) {
  for (;;) {
    try {
      sequences.push((await ledger.append(sessionStart(`${name}-${i}`))).sequence);
      break;
    } catch (e) {
      // The Ledger has re-read the tip; the same input is appended again after the winner's event.
      if (!isLedgerError(e, 'LEDGER_SEQUENCE')) throw e;
      conflicts++;
    }
  }
}
await ledger.close();
input.close();
const summary: RaceWorkerSummary = { name, sequences, conflicts };
process.stdout.write(`${JSON.stringify(summary)}\n`);
