// Child process of commandHandlerRace.int.spec: runs RACE_COUNT commands through handleCommand
// on one stream of the immudb store named by the IMMUDB_* environment, with RACE_RETRIES
// retries each. Each command decides two events naming the stream length it was decided on.
// Prints "ready", waits for "go", then one JSON line (CommandRaceSummary).
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { handleCommand, isLedgerError, Ledger, type LedgerEvent } from '../../src/index.js';
import { resolveImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { sessionStart } from '../support/fixtures.js';

export interface CommandRaceSummary {
  readonly name: string;
  /** The first stream version of each command that landed. */
  readonly landed: number[];
  /** Conflicts retried inside handleCommand, over all commands. */
  readonly retried: number;
  /** Error codes of the commands handleCommand gave up on. */
  readonly gaveUp: string[];
  /** The largest `retried` of one command. */
  readonly maxRetried: number;
}

const name = process.env['RACE_NAME'] ?? 'worker';
const count = Number(process.env['RACE_COUNT'] ?? '20');
const retries = Number(process.env['RACE_RETRIES'] ?? '3');
const stream = process.env['RACE_STREAM'] ?? 'race';

const ledger = await Ledger.open(await ImmudbStore.open(resolveImmudbConfig()));
const input = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(input, 'line');

const evolve = (n: number, _e: LedgerEvent) => n + 1;
const landed: number[] = [];
const gaveUp: string[] = [];
let retried = 0;
let maxRetried = 0;
for (let i = 0; i < count; i++) {
  try {
    const r = await handleCommand(ledger, stream, (n: number) => [sessionStart(`${name}@${n}`), sessionStart(`${name}@${n}+1`)], { evolve, initialState: () => 0, retries });
    landed.push(r.results[0]!.stream_version!);
    retried += r.retried;
    maxRetried = Math.max(maxRetried, r.retried);
  } catch (e) {
    if (!isLedgerError(e, 'LEDGER_STREAM_CONFLICT') && !isLedgerError(e, 'LEDGER_SEQUENCE')) throw e;
    gaveUp.push(e.code);
  }
}
await ledger.close();
input.close();
process.stdout.write(`${JSON.stringify({ name, landed, retried, gaveUp, maxRetried } satisfies CommandRaceSummary)}\n`);
