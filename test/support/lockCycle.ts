// Child process for writer-lock tests: repeatedly opens a directory store for writing, appends,
// holds it a while, closes. While it holds the lock it says so in a shared log (O_APPEND lines
// "enter TAG PID" after open returns, "leave TAG" before close releases), so the parent can
// prove that no two processes ever held the lock at once. A refused open (LedgerLockedError) is
// retried. Prints "open" per hold and "ack <sequence> <id>" per acknowledged append.
// Usage: node lockCycle.js DIR LOG TAG HOLDS APPENDS HOLD_MS [DEADLINE_EPOCH_MS]
// With LOCK_CYCLE_GATE=<file> in the environment, waits until that file exists before starting.
import { appendFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryStore, Ledger, LedgerLockedError } from '../../src/index.js';
import { provenance } from './fixtures.js';

const [dir, log, tag, holdsText, appendsText, holdMsText, deadlineText] = process.argv.slice(2);
const holds = Number(holdsText);
const appends = Number(appendsText);
const holdMs = Number(holdMsText);
const deadline = deadlineText ? Number(deadlineText) : Infinity;

const gate = process.env.LOCK_CYCLE_GATE;
process.stdout.write('ready\n');
if (gate) while (!existsSync(gate)) await sleep(2);

let held = 0;
let refused = 0;
try {
  while (held < holds && Date.now() < deadline) {
    let ledger: Ledger;
    try {
      ledger = await Ledger.open(await DirectoryStore.open(dir!));
    } catch (e) {
      if (!(e instanceof LedgerLockedError)) throw e;
      refused++;
      await sleep(1 + Math.random() * 4);
      continue;
    }
    held++;
    appendFileSync(log!, `enter ${tag} ${process.pid}\n`);
    process.stdout.write('open\n');
    for (let i = 0; i < appends; i++) {
      const id = `${tag}-${held}-${i}`;
      const { sequence: seq } = await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id: id } });
      process.stdout.write(`ack ${seq} ${id}\n`);
    }
    if (holdMs > 0) await sleep(holdMs);
    appendFileSync(log!, `leave ${tag}\n`);
    await ledger.close();
  }
  process.stdout.write(`done ${held} ${refused}\n`);
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
