// A crash campaign: real child processes SIGKILLed at random moments while they append through
// the CLI, export, take snapshots, and while a dead writer's lock is being recovered. After each
// series: no acknowledged event lost, no sequence acknowledged twice, no input stored twice, the
// chain valid (by verifyFile and by the Python oracle), no partial export file, and no partial
// snapshot ever changing what replay returns.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { verifyFile } from '../../src/verify.js';
import { replay } from '../../src/cli/commands/replay.js';
import { script } from '../support/childProcess.js';
import { chain } from '../support/hostileLedgers.js';
import { Oracle } from '../support/pythonOracle.js';
import { tempDir } from '../support/tempDir.js';
import { capture } from '../support/cliCapture.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PROVENANCE = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' };

/** A deterministic stream of "random" numbers, so a failing campaign can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<number | NodeJS.Signals>;
  waitFor(pred: (line: string) => boolean): Promise<void>;
}

/** Spawns node with `args`; collects complete stdout lines (a line cut by a kill is not one). */
function run(args: string[], stdin?: Buffer): Child {
  const child = spawn(process.execPath, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: Array<{ pred: (l: string) => boolean; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters]) if (w.pred(l)) waiters.splice(waiters.indexOf(w), 1), w.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  if (stdin) {
    child.stdin!.on('error', () => undefined); // killed while we still write: expected
    child.stdin!.end(stdin);
  }
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor: (pred) =>
      lines.some(pred)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiters.push({ pred, resolve });
            void exited.then((c) => reject(new Error(`child exited (${c}) first; stdout:\n${lines.join('\n')}\nstderr:\n${err}`)));
          }),
  };
}

/** SIGKILLs the child; false if it had already finished cleanly (not a kill: the caller retries). */
async function kill(c: Child): Promise<boolean> {
  c.child.kill('SIGKILL');
  const how = await c.exited;
  if (how === 0) return false;
  expect(how, `stderr: ${c.stderr()}`).to.equal('SIGKILL');
  return true;
}

const input = (id: string, padding: number) =>
  `${JSON.stringify({ event_type: 'session_start', schema_version: '1.0.0', provenance: PROVENANCE, payload: { session_id: id, padding: 'p'.repeat(padding) } })}\n`;

/** Every event of a directory store, read after a writer's open (which quarantines a torn tail). */
async function storedEvents(store: string): Promise<Array<{ sequence: number; hash: string; id: string }>> {
  // Bare Ledger: the campaign reads payload fields without narrowing by event type.
  const ledger: Ledger = await Ledger.open(await DirectoryStore.open(store));
  try {
    expect(await ledger.verifyChain()).to.deep.include({ valid: true });
    const out: Array<{ sequence: number; hash: string; id: string }> = [];
    for await (const e of ledger.readSince(-1)) out.push({ sequence: e.sequence, hash: e.hash, id: String(e.payload.session_id) });
    return out;
  } finally {
    await ledger.close();
  }
}

describe('hostile: crash campaign (SIGKILL)', function () {
  // Bounded by the number of processes (~45 node starts); slower on a loaded machine.
  this.timeout(600_000);
  let dir: string;
  let remove: () => void;
  let oracle: Oracle;
  let kills = 0;
  before(() => {
    ({ dir, remove } = tempDir('fmwk-hostile-crash-'));
    oracle = Oracle.start();
  });
  after(async () => {
    await oracle?.close();
    remove?.();
    console.log(`      (${kills} SIGKILLs in the campaign)`);
  });

  /** The file is a valid chain for verifyFile and for the Python oracle alike. */
  async function expectValidFile(file: string, count: number): Promise<void> {
    const expected = { valid: true, break_at: null, count };
    expect(await verifyFile(file)).to.deep.include(expected);
    expect(await oracle.verify(file)).to.deep.include(expected);
  }

  it('12 SIGKILLs of CLI append loops: 0 acknowledged events lost, 0 acknowledged twice, 0 inputs stored twice', async () => {
    const store = join(dir, 'append');
    const random = rng(8_001);
    const acked = new Map<number, { hash: string; id: string }>();
    let ackCount = 0;
    for (let round = 0; round < 12; round++) {
      const padding = random(4) * 8_000; // 0..24 KB lines make a kill inside a write() likely
      const ids = Array.from({ length: 3_000 }, (_, k) => `r${round}-${k}`);
      const c = run([MAIN, 'append', '--store', store, '-'], Buffer.from(ids.map((id) => input(id, padding)).join('')));
      await c.waitFor(() => true); // the first acknowledgement
      await sleep(random(120));
      expect(await kill(c), 'an append loop of 3,000 lines finished before the kill').to.equal(true);
      kills++;
      // The k-th acknowledgement of a run is its k-th input line.
      c.lines.forEach((line, k) => {
        const { sequence, hash } = JSON.parse(line) as { sequence: number; hash: string };
        expect(acked.has(sequence), `sequence ${sequence} acknowledged twice`).to.equal(false);
        acked.set(sequence, { hash, id: ids[k]! });
        ackCount++;
      });
    }
    const stored = await storedEvents(store);
    for (const [seq, a] of acked) expect(stored[seq], `acknowledged ${seq} lost`).to.deep.equal({ sequence: seq, hash: a.hash, id: a.id });
    expect(new Set(stored.map((e) => e.id)).size, 'an input stored twice').to.equal(stored.length);
    // At most one durable-but-unacknowledged event per kill (killed between fdatasync and the print).
    expect(stored.length - ackCount).to.be.within(0, 12);
    await expectValidFile(join(store, 'ledger.jsonl'), stored.length);
  });

  it('7 SIGKILLs of export --out: the output appears whole or not at all', async () => {
    const store = join(dir, 'export');
    mkdirSync(store);
    // 12,000 events (~5 MB) written as a conforming writer would, so an export takes a while.
    const pad = 'e'.repeat(300);
    writeFileSync(join(store, 'ledger.jsonl'), chain(Array.from({ length: 12_000 }, (_, i) => `{"pad":"${pad}","session_id":"x-${i}"}`)).lines.map((l) => `${l}\n`).join(''));
    const ledgerBytes = readFileSync(join(store, 'ledger.jsonl'));
    const random = rng(8_002);
    // One export to completion first: its duration spreads the kills over start-up, writing and rename.
    const started = Date.now();
    const full = run([MAIN, 'export', '--store', store, '--out', join(dir, 'export-full.jsonl')]);
    expect(await full.exited, full.stderr()).to.equal(0);
    const duration = Date.now() - started;
    expect(readFileSync(join(dir, 'export-full.jsonl')).equals(ledgerBytes)).to.equal(true);
    let whole = 0;
    let finished = 0;
    for (let round = 0; round < 7; round++) {
      const out = join(dir, `export-${round}.jsonl`);
      const c = run([MAIN, 'export', '--store', store, '--out', out]);
      await sleep(Math.floor(duration * (0.2 + random(70) / 100)));
      if (!(await kill(c))) {
        expect(++finished, 'exports keep finishing before the kill').to.be.below(10);
        round--; // finished before the kill: not a kill, try again with another delay
        continue;
      }
      kills++;
      if (existsSync(out)) {
        expect(readFileSync(out).equals(ledgerBytes), `export-${round}.jsonl is partial`).to.equal(true);
        whole++;
      }
    }
    // Temp files a killed export leaves beside the target are its evidence of a kill mid-write; never the target.
    const leftovers = readdirSync(dir).filter((f) => f.includes('export-') && !/^export-(\d+|full)\.jsonl$/.test(f));
    console.log(`      (a full export took ${duration} ms; of 7 killed exports ${whole} had renamed a whole file, ${leftovers.length} left a temp file)`);
  });

  it('6 SIGKILLs of snapshot: replay with snapshots always equals replay from genesis; the chain stays valid', async () => {
    const store = join(dir, 'snapshot');
    mkdirSync(store);
    writeFileSync(join(store, 'ledger.jsonl'), chain(Array.from({ length: 4_000 }, (_, i) => `{"session_id":"s-${i}"}`)).lines.map((l) => `${l}\n`).join(''));
    const projections = join(dir, 'projections.mjs');
    writeFileSync(projections, `export default [{ name: 'count', version: 1, initial: 0, apply: (n) => n + 1 },
  { name: 'sessions', version: 1, initial: 0, apply: (n, e) => (e.event_type === 'session_start' ? n + 1 : n) }];\n`);
    const replayStates = async (extra: string[]) => {
      const io = capture();
      expect(await replay.run(['--store', store, '--projections', projections, ...extra], io), io.err()).to.equal(0);
      return JSON.parse(io.out().trim().split('\n').at(-1)!) as unknown;
    };
    const random = rng(8_003);
    // One snapshot to completion first: its duration spreads the kills over replay, file write and append.
    const started = Date.now();
    const full = run([MAIN, 'snapshot', '--store', store, '--projections', projections]);
    expect(await full.exited, full.stderr()).to.equal(0);
    const duration = Date.now() - started;
    let finished = 0;
    for (let round = 0; round < 6; round++) {
      const c = run([MAIN, 'snapshot', '--store', store, '--projections', projections]);
      // Later snapshots replay from the newest one, so they are quicker than the first: kill early.
      await sleep(Math.floor(duration * (0.1 + random(60) / 100)));
      if (!(await kill(c))) {
        expect(++finished, 'snapshots keep finishing before the kill').to.be.below(10);
        round--; // completed: a fine snapshot, but not a kill
        continue;
      }
      kills++;
      // Open for writing first: recovers the dead writer's lock and any torn tail, as the next user would.
      const stored = await storedEvents(store);
      await expectValidFile(join(store, 'ledger.jsonl'), stored.length);
      expect(await replayStates([])).to.deep.equal(await replayStates(['--no-snapshots']));
    }
    const files = existsSync(join(store, 'snapshots')) ? readdirSync(join(store, 'snapshots')) : [];
    console.log(`      (a full snapshot took ${duration} ms; snapshots directory after the kills: ${files.join(', ')})`);
  });

  it('6 SIGKILLs of a lock holder, each followed by two contenders racing to recover the lock: one writer at a time, nothing lost', async () => {
    const store = join(dir, 'lock');
    const random = rng(8_004);
    const acked = new Map<number, string>();
    const collect = (c: Child) => {
      for (const line of c.lines) {
        const m = /^ack (\d+) (\S+)$/.exec(line);
        if (!m) continue;
        expect(acked.has(Number(m[1])), `sequence ${m[1]} acknowledged twice (${acked.get(Number(m[1]))} and ${m[2]})`).to.equal(false);
        acked.set(Number(m[1]), m[2]!);
      }
    };
    for (let round = 0; round < 6; round++) {
      const holder = run([script('appendLoop'), store, '1000000', String(random(3) * 10_000), `h${round}`]);
      await holder.waitFor((l) => l.startsWith('ack '));
      await sleep(random(80));
      expect(await kill(holder), 'an endless append loop finished').to.equal(true);
      kills++;
      collect(holder);
      // Two writers at once against the dead holder's lock: each either writes its 5 events or is refused.
      const contenders = [0, 1].map((k) => run([script('appendLoop'), store, '5', '0', `c${round}-${k}`]));
      const codes = await Promise.all(contenders.map((c) => c.exited));
      contenders.forEach(collect);
      for (const [k, c] of contenders.entries()) {
        if (codes[k] !== 0) expect(c.lines.join('\n'), `contender ${k}`).to.match(/^error LedgerLockedError /m);
      }
      expect(codes.filter((x) => x === 0).length, 'no contender got the lock').to.be.at.least(1);
    }
    const stored = await storedEvents(store);
    for (const [seq, id] of acked) expect(stored[seq]?.id, `acknowledged ${seq} lost`).to.equal(id);
    expect(new Set(stored.map((e) => e.id)).size, 'an input stored twice').to.equal(stored.length);
    await expectValidFile(join(store, 'ledger.jsonl'), stored.length);
  });

  it('the campaign made at least 30 SIGKILLs', () => {
    expect(kills).to.be.at.least(30);
  });
});

