// Two processes append to the same immudb ledger at once: the chain must not fork. Every
// append that loses the race is refused by the server (ExecAll preconditions) with
// LedgerSequenceError, writes nothing, and succeeds when retried on the re-read tip.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Ledger } from '../../../src/index.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { freshImmudbConfig, TEST_DATABASE } from '../../support/immudbTestStores.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';
import type { RaceWorkerSummary } from './immudbRaceWorker.js';

const WORKER = fileURLToPath(new URL('./immudbRaceWorker.js', import.meta.url));
const APPENDS_PER_WORKER = 1000;

function startWorker(name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, ...env, RACE_NAME: name, RACE_COUNT: String(APPENDS_PER_WORKER) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.once('line', (line) => (line === 'ready' ? resolve() : reject(new Error(`${name}: expected "ready", got ${line}`))));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
  const summary = (async (): Promise<RaceWorkerSummary> => {
    await ready;
    const [line] = (await once(lines, 'line')) as [string];
    return JSON.parse(line) as RaceWorkerSummary;
  })();
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${name} exited with code ${code}`);
  });
  return { child, ready, summary, exited };
}

describe('ImmudbStore: two processes racing 1,000 appends each', function () {
  this.timeout(300_000);

  it('never forks: every event lands exactly once, losers get LedgerSequenceError and then succeed', async () => {
    const server = sharedImmudb();
    const config = await freshImmudbConfig();
    const env = { ...server.env(TEST_DATABASE), IMMUDB_KEY_PREFIX: config.keyPrefix };
    const workers = [startWorker('A', env), startWorker('B', env)];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin!.write('go\n');
    const summaries = await Promise.all(workers.map((w) => w.summary));
    await Promise.all(workers.map((w) => w.exited));

    const total = 2 * APPENDS_PER_WORKER;
    const all = summaries.flatMap((s) => s.sequences).sort((a, b) => a - b);
    expect(all).to.deep.equal(Array.from({ length: total }, (_, i) => i)); // no duplicate, no gap
    for (const s of summaries) {
      expect(s.sequences).to.have.length(APPENDS_PER_WORKER);
      expect([...s.sequences].sort((a, b) => a - b)).to.deep.equal(s.sequences); // each writer's events in its order
    }
    const conflicts = summaries.reduce((n, s) => n + s.conflicts, 0);
    expect(conflicts, 'the two writers never collided; the race did not happen').to.be.greaterThan(0);

    const ledger = await Ledger.open(await ImmudbStore.open(config));
    try {
      expect((await ledger.getTip()).sequence_number).to.equal(total - 1);
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: total });
      const owners: string[] = [];
      for await (const e of ledger.readSince(-1)) owners.push(String((e.payload as { session_id: string }).session_id));
      for (const name of ['A', 'B']) {
        const mine = owners.filter((o) => o.startsWith(`${name}-`));
        expect(mine).to.deep.equal(Array.from({ length: APPENDS_PER_WORKER }, (_, i) => `${name}-${i}`));
      }
    } finally {
      await ledger.close();
    }
    process.stderr.write(`      race: ${conflicts} appends lost the race and were retried (${summaries.map((s) => `${s.name}: ${s.conflicts}`).join(', ')})\n`);
  });
});
