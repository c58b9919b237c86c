// The directory store's indexes (issue 13) on a ledger of N events (default 100,000; small
// sizes only on a shared machine): rebuild and reopen time, a stream of N/1000 events, a query
// returning 1% of the ledger, against a full scan; appends with and without a stream and the
// index's share of each; the writer's proof of the index at open (every row against its line,
// integrity_check) beside quick_check, the check it replaced. Run: npx tsc -p tsconfig.json && node dist/bench/directoryIndexBench.js [N]
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DirectoryStore } from '../src/stores/directoryStore.js';
import { GENESIS_HASH } from '../src/contract/hash.js';
import { appendSpec, buildRecord, collect } from '../test/support/indexRecords.js';

const N = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'fmwk-ledger-index-bench-'));
const now = (): number => performance.now();
const round = (ms: number): number => Math.round(ms * 100) / 100;
try {
  // The ledger file written directly (the appends' fdatasync would dominate): 1,000 streams of
  // N/1000 events, every 100th event of type "rare", the last two without a stream.
  let previous = GENESIS_HASH;
  const lines: string[] = [];
  const write = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const stream = i === N - 2 || i === N - 1 ? {} : { stream_id: `s${i % 1000}`, stream_version: Math.floor(i / 1000) };
      const r = buildRecord(i, previous, { event_type: i % 100 === 0 ? 'rare' : 'common', timestamp: new Date(1.7e12 + i).toISOString(), ...stream });
      previous = r.hash;
      lines.push(r.line);
    }
    appendFileSync(join(dir, 'ledger.jsonl'), `${lines.join('\n')}\n`);
    lines.length = 0;
  };
  write(0, N);
  let t = now();
  let store = await DirectoryStore.open(dir); // no index.sqlite: built from the lines
  const rebuildMs = now() - t;
  await store.close();
  t = now();
  store = await DirectoryStore.open(dir); // proved (integrity_check, every row against its line) and caught up
  const reopenMs = now() - t;
  // The proof's parts, paired with the open above: the writer's pass (every row against its line
  // plus integrity_check, as audit() runs it) and, for the checks it replaced, quick_check alone.
  t = now();
  const audit = await store.index.audit!();
  const auditMs = now() - t;
  const side = new Database(join(dir, 'index.sqlite'), { readonly: true });
  t = now();
  side.pragma('integrity_check(1)');
  const integrityMs = now() - t;
  t = now();
  side.pragma('quick_check');
  const quickCheckMs = now() - t;
  side.close();
  console.log(JSON.stringify({ N, reopenMs: round(reopenMs), auditMs: round(auditMs), rowsProved: audit.count, integrityCheckMs: round(integrityMs), proveRowsMs: round(auditMs - integrityMs), quickCheckMs: round(quickCheckMs) }));
  // Catch-up: N/2 more lines written behind the index's back (as after a crash or a writer
  // without the index), indexed when the store next opens for writing.
  await store.close();
  const M0 = Math.floor(N / 2);
  write(N, N + M0);
  t = now();
  store = await DirectoryStore.open(dir);
  const catchUpMs = now() - t;
  console.log(JSON.stringify({ rebuildEventsPerS: Math.round(N / (rebuildMs / 1000)), catchUp: M0, catchUpMs: round(catchUpMs), catchUpEventsPerS: Math.round(M0 / (catchUpMs / 1000)) }));
  t = now();
  const stream = await collect(store.index.streamEntries('s7'));
  const streamMs = now() - t;
  t = now();
  const rare = await collect(store.index.query({ event_type: 'rare' }));
  const queryMs = now() - t;
  t = now();
  let scanned = 0;
  for await (const { line } of store.scanLines(0)) if ((JSON.parse(line) as { event_type: string }).event_type === 'rare') scanned++;
  const scanMs = now() - t;
  t = now();
  await collect(store.scanLinesBackward(N - 1, Math.max(0, N - 1000)));
  const backwardMs = now() - t;
  console.log(JSON.stringify({ N, rebuildMs: round(rebuildMs), reopenMs: round(reopenMs), stream: stream.length, streamMs: round(streamMs), query: rare.length, queryMs: round(queryMs), fullScan: scanned, fullScanMs: round(scanMs), backward1000Ms: round(backwardMs) }));
  const M = 300;
  t = now();
  for (let i = 0; i < M; i++) await appendSpec(store, { stream_id: 'new', stream_version: i });
  const streamAppendUs = ((now() - t) / M) * 1000;
  t = now();
  for (let i = 0; i < M; i++) await appendSpec(store, {});
  const plainAppendUs = ((now() - t) / M) * 1000;
  console.log(JSON.stringify({ appends: M, streamAppendUs: Math.round(streamAppendUs), plainAppendUs: Math.round(plainAppendUs), ratio: round(streamAppendUs / plainAppendUs) }));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
