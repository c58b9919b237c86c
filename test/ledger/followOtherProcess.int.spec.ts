// Following a ledger that another process appends to: a read-only directory store beside its
// writer process, and two clients of one immudb database. Every follower must receive exactly
// the sequences from its start on, in order, live, with the chain checked.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, takeWhile, toArray } from 'rxjs';
import { DirectoryStore, Ledger, isLedgerError } from '../../src/index.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { script, startNode } from '../support/childProcess.js';
import { sessionStart } from '../support/fixtures.js';
import { freshImmudbConfig } from '../support/immudbTestStores.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** `fmwk-ledger follow` as a child process, collecting the sequences it prints. */
function follower(store: string, from: number) {
  const child = spawn(process.execPath, [MAIN, 'follow', '--store', store, '--from', String(from), '--poll', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sequences: number[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const l of parts) sequences.push((JSON.parse(l) as { sequence: number }).sequence);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, sequences, exited, stderr: () => stderr };
}

async function until(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('following a ledger appended to by another process', function () {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('a read-only Ledger.stream sees every event a writer process appends, live', async () => {
    const writer = startNode(script('appendLoop'), [dir, '10', '0', 'w']);
    await writer.waitFor((l) => l === 'ack 4 w-4');
    const reader = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    const got = firstValueFrom(reader.stream({ from: 0, pollInterval: 20 }).pipe(takeWhile((e) => e.sequence < 9, true), toArray()));
    expect((await got).map((e) => e.sequence)).to.deep.equal(range(0, 9));
    expect(await writer.exited).to.equal(0);
    await reader.close();
  });

  it('a writer appends 10,000 events; two `follow` processes started at different moments each get exactly their range, in order', async () => {
    const total = 10_000;
    const writer = startNode(script('appendLoop'), [dir, String(total), '0', 'w']);
    await writer.waitFor((l) => l.startsWith('ack 0 '));
    const early = follower(dir, 0);
    await writer.waitFor((l) => l.startsWith(`ack ${total / 2} `));
    const late = follower(dir, 1234);
    expect(await writer.exited).to.equal(0);
    await until(() => early.sequences.length >= total && late.sequences.length >= total - 1234, 'both followers to reach the tip');
    early.child.kill('SIGINT');
    late.child.kill('SIGINT');
    expect(await early.exited, early.stderr()).to.equal(0);
    expect(await late.exited, late.stderr()).to.equal(0);
    expect(early.sequences).to.deep.equal(range(0, total - 1));
    expect(late.sequences).to.deep.equal(range(1234, total - 1));
  });

  it('follow stops with exit 1 at a line whose hash does not match, never printing it (in the middle, and at the tip)', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
    await ledger.close();
    const file = join(dir, 'ledger.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"s1"', '"S1"');
    writeFileSync(file, lines.join('\n'));
    const f = follower(dir, 0);
    expect(await f.exited).to.equal(1);
    expect(f.sequences).to.deep.equal([0]);
    expect(f.stderr()).to.match(/LedgerCorruptionError: sequence 1/);
    lines[1] = lines[1]!.replace('"S1"', '"s1"');
    lines[2] = lines[2]!.replace('"s2"', '"S2"');
    writeFileSync(file, lines.join('\n'));
    const g = follower(dir, 0);
    expect(await g.exited).to.equal(1);
    expect(g.stderr()).to.match(/LedgerCorruptionError: sequence 2/);
  });

  it('a line appended behind the writer\'s back with a broken link stops a live follower at that sequence', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    await ledger.append(sessionStart('a'));
    const reader = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    const failure = firstValueFrom(reader.stream({ pollInterval: 20 }).pipe(toArray())).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const first = readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trimEnd();
    appendFileSync(join(dir, 'ledger.jsonl'), `${first.replace('"sequence":0', '"sequence":1')}\n`);
    const e = await failure;
    expect(isLedgerError(e, 'LEDGER_CORRUPTION'), String(e)).to.equal(true);
    expect((e as { sequence: number }).sequence).to.equal(1);
    await reader.close();
    await ledger.close();
  });

  it('two clients of one immudb database: a stream on one receives the other\'s appends', async () => {
    const config = await freshImmudbConfig();
    const writer = await Ledger.open(await ImmudbStore.open(config));
    const reader = await Ledger.open(await ImmudbStore.open(config));
    await writer.append(sessionStart('before'));
    const got = firstValueFrom(reader.stream({ pollInterval: 20 }).pipe(takeWhile((e) => e.sequence < 20, true), toArray()));
    for (let i = 0; i < 20; i++) await writer.append(sessionStart(`live-${i}`));
    expect((await got).map((e) => e.sequence)).to.deep.equal(range(0, 20));
    await reader.close();
    await writer.close();
  });
});
