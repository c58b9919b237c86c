// Child process for the directory index's tests through the Ledger (public API). Usage:
//   node indexLedgerChild.js append DIR EVENT_ID   appends to stream "s" (expected -1, then 0),
//       two base events, then session "payment-5" with EVENT_ID; prints "ack <AppendResult JSON>" each.
//       With FMWK_LEDGER_TEST_KILL_AFTER_SYNC=N the store kills the process after the Nth sync.
//   node indexLedgerChild.js race DIR STREAM VERSIONS   for each version v: waits for the writer
//       lock, opens, appends with expected_version v - 1, closes; prints "won v <sequence>" or
//       "lost v <actual>".
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryStore, Ledger, LedgerLockedError, LedgerStreamConflictError } from '../../src/index.js';
import { sessionStart } from './fixtures.js';

const [mode, dir, ...rest] = process.argv.slice(2);
/** A registered type (session_start); the session id tells the events apart. */
const input = (session_id: string) => sessionStart(session_id);

async function openWriter(): Promise<Ledger> {
  for (;;) {
    try {
      return await Ledger.open(await DirectoryStore.open(dir!));
    } catch (e) {
      if (!(e instanceof LedgerLockedError)) throw e;
      await sleep(1 + Math.random() * 3);
    }
  }
}

/** Two base events close a hold: until the contract accepts stream fields, opens check base-event tails. */
const seal = async (ledger: Ledger) => {
  for (let i = 0; i < 2; i++) await ledger.append(input('seal'));
};

if (mode === 'append') {
  const ledger = await openWriter();
  const ack = (r: unknown) => process.stdout.write(`ack ${JSON.stringify(r)}\n`);
  ack(await ledger.append({ ...input('opened'), stream_id: 's', expected_version: -1 }));
  ack(await ledger.append({ ...input('changed'), stream_id: 's', expected_version: 0 }));
  for (let i = 0; i < 2; i++) ack(await ledger.append(input('seal')));
  ack(await ledger.append({ ...input('payment-5'), event_id: rest[0]! }));
  await ledger.close();
} else if (mode === 'race') {
  const [stream, versions] = rest;
  for (let v = 0; v < Number(versions); v++) {
    const ledger = await openWriter();
    try {
      const r = await ledger.append({ ...input(`deposit-${v}`), stream_id: stream!, expected_version: v - 1 });
      await seal(ledger);
      process.stdout.write(`won ${v} ${r.sequence}\n`);
    } catch (e) {
      if (!(e instanceof LedgerStreamConflictError)) throw e;
      process.stdout.write(`lost ${v} ${e.actual}\n`);
    } finally {
      await ledger.close();
    }
  }
}
