// Subscriptions and named consumers across processes: a writer process appends to streams while
// a subscriber in this process, or `fmwk-ledger follow --consumer` in another, reads a category.
// A consumer killed (SIGKILL) mid-stream and restarted delivers every event at least once, in
// order, none skipped; a second process with the same consumer name is refused.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom, take, takeWhile, toArray } from 'rxjs';
import { CONSUMERS_DIR, DirectoryStore, FileConsumerCheckpoint, Ledger, LedgerValidationError } from '../../src/index.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { freshImmudbConfig } from '../support/immudbTestStores.js';
import { script, startNode } from '../support/childProcess.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The stream streamAppendLoop gives event i. */
const streamOf = (i: number): string => (i % 2 === 0 ? `order-${i % 3}` : `cart-${i % 2}`);
const orders = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((i) => streamOf(i).startsWith('order-'));

/** `fmwk-ledger follow ARGS` as a child process, collecting the sequences it prints. */
function follower(args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'follow', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sequences: number[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const l of parts) sequences.push((JSON.parse(l) as { sequence: number }).sequence);
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, sequences, exited, stderr: () => stderr };
}

async function until(pred: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('subscriptions and named consumers across processes', function () {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('a read-only subscriber to a category receives exactly its events as a writer process appends them', async () => {
    const writer = startNode(script('streamAppendLoop'), [dir, '300', '0']);
    await writer.waitFor((l) => l.startsWith('ack 20 '));
    const reader = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    const want = orders(0, 299);
    const got = firstValueFrom(reader.subscribe({ streamPrefix: 'order-', pollInterval: 20 }).pipe(takeWhile((e) => e.sequence < want[want.length - 1]!, true), toArray()));
    expect((await got).map((e) => e.sequence)).to.deep.equal(want);
    expect(await writer.exited).to.equal(0);
    await reader.close();
  });

  it('follow --consumer killed (SIGKILL) twice mid-stream: each run resumes at or before the event after the last one printed; together every event, in order', async () => {
    const total = 600;
    const writer = startNode(script('streamAppendLoop'), [dir, String(total), '2']);
    await writer.waitFor((l) => l.startsWith('ack 0 '));
    const args = ['--store', dir, '--stream-prefix', 'order-', '--consumer', 'shipper', '--poll', '20'];
    const runs: number[][] = [];
    for (const after of [40, 80]) {
      const run = follower(args);
      await until(() => run.sequences.length >= after, `the consumer to print ${after} events`);
      run.child.kill('SIGKILL');
      expect(await run.exited).to.equal('SIGKILL');
      runs.push(run.sequences);
    }
    expect(await writer.exited).to.equal(0);
    const want = orders(0, total - 1);
    const last = follower(args);
    await until(() => last.sequences.includes(want[want.length - 1]!), 'the last run to reach the tip');
    last.child.kill('SIGTERM');
    expect(await last.exited, last.stderr()).to.equal(0);
    runs.push(last.sequences);
    const position = (s: number) => want.indexOf(s);
    for (const [i, r] of runs.entries()) {
      expect(r.every((s, k) => position(s) >= 0 && (k === 0 || s > r[k - 1]!)), `run ${i}: only orders, increasing`).to.equal(true);
      if (i === 0) expect(r[0]).to.equal(want[0]);
      // A restart repeats at most the event whose position was not yet saved: never a skip.
      else expect(position(r[0]!)).to.be.within(position(runs[i - 1]!.at(-1)!), position(runs[i - 1]!.at(-1)!) + 1);
    }
    expect([...new Set(runs.flat())].sort((a, b) => a - b)).to.deep.equal(want);
  });

  it('a second process with the same consumer name is refused (exit 2, LedgerLockedError naming the holder); another name runs', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
    const first = follower(['--store', dir, '--consumer', 'one']);
    await until(() => first.sequences.length === 3, 'the first consumer to print');
    const second = follower(['--store', dir, '--consumer', 'one']);
    expect(await second.exited).to.equal(2);
    expect(second.stderr()).to.match(/LedgerLockedError: consumer "one" is running in another process/).and.include(`pid ${first.child.pid}`);
    expect(second.sequences).to.deep.equal([]);
    const other = follower(['--store', dir, '--consumer', 'two']);
    await until(() => other.sequences.length === 3, 'another consumer to print');
    await ledger.append(sessionStart('s3'));
    await until(() => first.sequences.length === 4 && other.sequences.length === 4, 'both consumers to print the live event');
    for (const f of [first, other]) {
      f.child.kill('SIGINT');
      expect(await f.exited, f.stderr()).to.equal(0);
    }
    await ledger.close();
  });

  it('two clients of one immudb database: a category subscriber on one receives the other\'s appends; a consumer keeps its position in a given directory', async () => {
    const config = await freshImmudbConfig();
    const writer = await Ledger.open(await ImmudbStore.open(config));
    const reader = await Ledger.open(await ImmudbStore.open(config));
    for (let i = 0; i < 10; i++) await writer.append({ ...sessionStart(`s${i}`), stream_id: streamOf(i) });
    const want = orders(0, 29);
    const got = firstValueFrom(reader.subscribe({ streamPrefix: 'order-', pollInterval: 20 }).pipe(takeWhile((e) => e.sequence < want.at(-1)!, true), toArray()));
    for (let i = 10; i < 30; i++) await writer.append({ ...sessionStart(`s${i}`), stream_id: streamOf(i) });
    expect((await got).map((e) => e.sequence)).to.deep.equal(want);
    // immudb keeps no local directory: the caller names one.
    const err = await FileConsumerCheckpoint.open('c', reader).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(LedgerValidationError).with.property('path', 'dir');
    const seen: number[] = [];
    for (const n of [5, 10]) {
      const consumer = await FileConsumerCheckpoint.open('c', join(dir, 'positions'));
      await lastValueFrom(reader.consume({ streamPrefix: 'order-' }, consumer, (e) => void seen.push(e.sequence)).pipe(take(n)));
      await consumer.close();
    }
    expect(seen).to.deep.equal(want);
    await reader.close();
    await writer.close();
  });

  it('follow --consumer with a checkpoint past the tip prints nothing and exits 1 (LedgerConsumerCheckpointError)', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
    await ledger.close();
    mkdirSync(join(dir, CONSUMERS_DIR));
    writeFileSync(join(dir, CONSUMERS_DIR, 'c.checkpoint.json'), JSON.stringify({ consumer: 'c', sequence: 7, hash: `sha256:${'0'.repeat(64)}` }));
    const f = follower(['--store', dir, '--consumer', 'c']);
    expect(await f.exited).to.equal(1);
    expect(f.sequences).to.deep.equal([]);
    expect(f.stderr()).to.match(/LedgerConsumerCheckpointError: consumer "c" is at sequence 7, past the ledger's tip 2/);
  });
});
