// Two processes, each with its own immudb session, append to one stream at once, each at the
// version after the head it read: the stream-version keys and their keyMustNotExist /
// keyMustExist preconditions in the event's ExecAll let exactly one win each version; the loser
// is refused (LedgerStreamConflictError or LedgerSequenceError), wrote nothing, and retries.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { freshImmudbConfig, TEST_DATABASE } from '../../support/immudbTestStores.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';
import type { StreamRaceSummary } from './immudbStreamRaceWorker.js';

const WORKER = fileURLToPath(new URL('./immudbStreamRaceWorker.js', import.meta.url));
const PER_WORKER = 100;

function startWorker(name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env, RACE_NAME: name, RACE_COUNT: String(PER_WORKER) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.once('line', (line) => (line === 'ready' ? resolve() : reject(new Error(`${name}: expected "ready", got ${line}`))));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
  const summary = (async (): Promise<StreamRaceSummary> => {
    await ready;
    const [line] = (await once(lines, 'line')) as [string];
    return JSON.parse(line) as StreamRaceSummary;
  })();
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${name} exited with code ${code}`);
  });
  return { child, ready, summary, exited };
}

describe('ImmudbStore: two processes racing on one stream', function () {
  this.timeout(300_000);

  it('each version is won exactly once; the stream runs 0..N-1 in sequence order; losers were refused and retried', async () => {
    const config = await freshImmudbConfig();
    const env = { ...sharedImmudb().env(TEST_DATABASE), IMMUDB_KEY_PREFIX: config.keyPrefix };
    const workers = [startWorker('A', env), startWorker('B', env)];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin!.write('go\n');
    const summaries = await Promise.all(workers.map((w) => w.summary));
    await Promise.all(workers.map((w) => w.exited));

    const total = 2 * PER_WORKER;
    const won = summaries.flatMap((s) => s.won).sort((a, b) => a[0] - b[0]);
    expect(won.map(([v]) => v)).to.deep.equal(Array.from({ length: total }, (_, i) => i)); // no version twice, none skipped
    expect(won.map(([, s]) => s)).to.deep.equal(Array.from({ length: total }, (_, i) => i)); // version order = sequence order
    const refusals = summaries.reduce((n, s) => n + s.streamConflicts + s.sequenceConflicts, 0);
    expect(refusals, 'the two writers never collided; the race did not happen').to.be.greaterThan(0);

    const store = await ImmudbStore.open(config);
    try {
      const entries: [number, number][] = [];
      for await (const e of store.index.streamEntries('race')) entries.push([e.stream_version, e.sequence]);
      expect(entries).to.deep.equal(won);
      expect((await store.index.streamHead('race'))?.version).to.equal(total - 1);
      expect((await store.tip()).sequence_number).to.equal(total - 1);
    } finally {
      await store.close();
    }
    process.stderr.write(`      stream race: ${summaries.map((s) => `${s.name}: ${s.streamConflicts} stream + ${s.sequenceConflicts} sequence refusals`).join(', ')}\n`);
  });
});
