// Two processes, each with its own Ledger on one immudb database, run handleCommand on one
// stream at once. Each command decides two events naming the stream length it read: a decision
// made on a stale state would show as a name that is not its version. With enough retries every
// command lands; with none, the losers get a typed error and wrote nothing.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Ledger } from '../../src/index.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { freshImmudbConfig, TEST_DATABASE } from '../support/immudbTestStores.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import type { CommandRaceSummary } from './commandRaceWorker.js';

const WORKER = fileURLToPath(new URL('./commandRaceWorker.js', import.meta.url));
const PER_WORKER = 25;

function startWorker(name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env, RACE_NAME: name, RACE_COUNT: String(PER_WORKER) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.once('line', (line) => (line === 'ready' ? resolve() : reject(new Error(`${name}: expected "ready", got ${line}`))));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
  const summary = (async (): Promise<CommandRaceSummary> => {
    await ready;
    const [line] = (await once(lines, 'line')) as [string];
    return JSON.parse(line) as CommandRaceSummary;
  })();
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${name} exited with code ${code}`);
  });
  return { child, ready, summary, exited };
}

/** Runs both workers with `retries` each; returns their summaries and the stream as stored. */
async function race(retries: number): Promise<{ summaries: CommandRaceSummary[]; stored: Array<{ v: number; name: string; batch: unknown; seq: number }> }> {
  const config = await freshImmudbConfig();
  const env = { ...sharedImmudb().env(TEST_DATABASE), IMMUDB_KEY_PREFIX: config.keyPrefix, RACE_RETRIES: String(retries) };
  const workers = [startWorker('A', env), startWorker('B', env)];
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin!.write('go\n');
  const summaries = await Promise.all(workers.map((w) => w.summary));
  await Promise.all(workers.map((w) => w.exited));
  const ledger = await Ledger.open(await ImmudbStore.open(config));
  try {
    const stored = [];
    for await (const e of ledger.readStream('race')) stored.push({ v: e.stream_version!, name: (e.payload as { session_id: string }).session_id, batch: e.batch, seq: e.sequence });
    expect((await ledger.verifyChain()).valid).to.equal(true);
    return { summaries, stored };
  } finally {
    await ledger.close();
  }
}

/** Every stored pair is one batch of two, named after the version it was decided at: no stale decision landed. */
function expectNoLostUpdate(stored: Array<{ v: number; name: string; batch: unknown; seq: number }>, landed: number): void {
  expect(stored.length).to.equal(2 * landed);
  for (let i = 0; i < stored.length; i += 2) {
    const [a, b] = [stored[i]!, stored[i + 1]!];
    expect(a.v).to.equal(i);
    expect(a.name).to.match(new RegExp(`^[AB]@${i}$`));
    expect(b.name).to.equal(`${a.name}+1`);
    expect([a.batch, b.batch]).to.deep.equal([{ index: 0, size: 2 }, { index: 1, size: 2 }]);
    expect(b.seq).to.equal(a.seq + 1);
  }
}

describe('handleCommand: two processes racing on one stream (immudb)', function () {
  this.timeout(300_000);

  it('with retries every command lands once, each decided on the state it was written after', async () => {
    const { summaries, stored } = await race(100);
    expect(summaries.flatMap((s) => s.gaveUp)).to.deep.equal([]);
    expectNoLostUpdate(stored, 2 * PER_WORKER);
    expect(summaries.flatMap((s) => s.landed).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 2 * PER_WORKER }, (_, i) => 2 * i));
    const retried = summaries.reduce((n, s) => n + s.retried, 0);
    expect(retried, 'the two writers never collided; the race did not happen').to.be.greaterThan(0);
    process.stderr.write(`      command race (retries 100): ${summaries.map((s) => `${s.name}: ${s.retried} retried, at most ${s.maxRetried} for one command`).join('; ')}\n`);
  });

  it('with no retries the losers get a typed error and wrote nothing', async () => {
    const { summaries, stored } = await race(0);
    const gaveUp = summaries.flatMap((s) => s.gaveUp);
    const landed = summaries.reduce((n, s) => n + s.landed.length, 0);
    expect(landed + gaveUp.length).to.equal(2 * PER_WORKER);
    expect(gaveUp.length, 'the two writers never collided; the race did not happen').to.be.greaterThan(0);
    expect(summaries.every((s) => s.retried === 0)).to.equal(true);
    expectNoLostUpdate(stored, landed);
    process.stderr.write(`      command race (retries 0): ${landed} landed, ${gaveUp.length} gave up (${[...new Set(gaveUp)].join(', ')})\n`);
  });
});
