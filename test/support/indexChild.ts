// Child process for the directory index's cross-process tests. Usage:
//   node indexChild.js append DIR EVENT_ID [STREAM VERSION]...  appends base events and stream
//       events (pairs) in order, the last with EVENT_ID; prints "ack <sequence>" per append.
//       With FMWK_LEDGER_TEST_KILL_AFTER_SYNC=N the store kills the process after the Nth sync.
//   node indexChild.js race DIR STREAM VERSIONS TAG    for each version v: waits for the writer
//       lock, opens, appends version v (expecting v - 1), closes; prints "won v <sequence>" or
//       "lost v <actual>".
//   node indexChild.js bulk DIR N                   appends N base events of type "bulk"; prints
//       "ack <sequence>" every 100th (FMWK_LEDGER_TEST_KILL_AFTER_SYNC as for append).
//   node indexChild.js read DIR TYPE UNTIL             read-only, queries events of TYPE until
//       there are UNTIL of them; prints "seen <count> <last sequence>" per distinct answer.
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryStore } from '../../src/stores/directoryStore.js';
import { LedgerLockedError, LedgerStreamConflictError } from '../../src/errors/errors.js';
import { appendSpec, collect } from './indexRecords.js';

const [mode, dir, ...rest] = process.argv.slice(2);

async function openWriter(): Promise<DirectoryStore> {
  for (;;) {
    try {
      return await DirectoryStore.open(dir!);
    } catch (e) {
      if (!(e instanceof LedgerLockedError)) throw e;
      await sleep(1 + Math.random() * 3);
    }
  }
}

/** Two base events close a hold: until the contract accepts stream fields, opens check base-event tails. */
const seal = async (store: DirectoryStore) => {
  for (let i = 0; i < 2; i++) await appendSpec(store, { event_type: 'seal' });
};

if (mode === 'append') {
  const [eventId, ...pairs] = rest;
  const store = await openWriter();
  for (let i = 0; i < pairs.length; i += 2) {
    const r = await appendSpec(store, { stream_id: pairs[i]!, stream_version: Number(pairs[i + 1]) });
    process.stdout.write(`ack ${r.sequence}\n`);
  }
  for (let i = 0; i < 2; i++) process.stdout.write(`ack ${(await appendSpec(store, { event_type: 'seal' })).sequence}\n`);
  process.stdout.write(`ack ${(await appendSpec(store, { event_id: eventId!, event_type: 'payment' })).sequence}\n`);
  await store.close();
} else if (mode === 'bulk') {
  const store = await openWriter();
  for (let i = 0; i < Number(rest[0]); i++) {
    const r = await appendSpec(store, { event_type: 'bulk' });
    if (r.sequence % 100 === 99) process.stdout.write(`ack ${r.sequence}\n`);
  }
  await store.close();
} else if (mode === 'race') {
  const [stream, versions, tag] = rest;
  for (let v = 0; v < Number(versions); v++) {
    const store = await openWriter();
    try {
      const r = await appendSpec(store, { stream_id: stream!, stream_version: v, actor: tag! });
      await seal(store);
      process.stdout.write(`won ${v} ${r.sequence}\n`);
    } catch (e) {
      if (!(e instanceof LedgerStreamConflictError)) throw e;
      process.stdout.write(`lost ${v} ${e.actual}\n`);
    } finally {
      await store.close();
    }
  }
} else if (mode === 'read') {
  const [type, until] = rest;
  const store = await DirectoryStore.open(dir!, { readOnly: true });
  let last = -1;
  for (;;) {
    const entries = await collect(store.index.query({ event_type: type! }));
    if (entries.length !== last) {
      last = entries.length;
      // Each answer is checked against the lines: every entry's line carries its hash.
      for (const e of entries.slice(-3)) if (!(await store.readLine(e.sequence))?.includes(e.hash)) throw new Error(`entry ${e.sequence} does not match its line`);
      process.stdout.write(`seen ${entries.length} ${entries.at(-1)?.sequence ?? -1}\n`);
    }
    if (entries.length >= Number(until)) break;
    await sleep(2);
  }
  await store.close();
}
