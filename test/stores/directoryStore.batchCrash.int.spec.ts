// Issue 22: an atomic batch is all or nothing across a crash in the directory store. Real child
// processes killed (SIGKILL) inside a batch's write, at every kind of cut (between its lines,
// inside one, before its first byte), and by hand-made power-loss states: after the next open
// every acknowledged batch is whole and no unfinished batch counts as committed.
import { expect } from 'chai';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, type LedgerEvent } from '../../src/index.js';
import { verifyFile } from '../../src/verify.js';
import { script, startChild } from '../support/childProcess.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const ROUNDS = Number(process.env.FMWK_LEDGER_BATCH_KILL_ROUNDS ?? 120);
const ev = (session_id: string) => ({ event_type: 'session_start' as const, schema_version: '1.0.0', provenance, payload: { session_id } });

/** Every event of the file, read by a fresh writer (which recovers the tail first). */
async function reopened(dir: string): Promise<{ events: LedgerEvent[]; valid: boolean }> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  try {
    const events: LedgerEvent[] = [];
    for await (const e of ledger.readSince(-1)) events.push(e as LedgerEvent);
    return { events, valid: (await ledger.verifyChain()).valid };
  } finally {
    await ledger.close();
  }
}

/** The batches in `events`, checked whole: every batch's events 0..size-1 in a row. */
function batchesOf(events: readonly LedgerEvent[]): Map<number, number> {
  const out = new Map<number, number>(); // first sequence -> size
  for (let i = 0; i < events.length; ) {
    const b = events[i]!.batch;
    if (b === undefined) {
      i++;
      continue;
    }
    expect(b.index, `sequence ${i} opens a batch`).to.equal(0);
    for (let k = 0; k < b.size; k++) expect(events[i + k]?.batch, `sequence ${i + k}`).to.deep.equal({ index: k, size: b.size });
    out.set(i, b.size);
    i += b.size;
  }
  return out;
}

describe('DirectoryStore: atomic batches under SIGKILL (issue 22)', function () {
  this.timeout(30 * 60_000);

  it(`${ROUNDS} child processes killed inside a batch write (the test hook) or at random: 0 partial batches, 0 acknowledged batches lost`, async () => {
    const { dir, remove } = tempDir();
    try {
      const acked = new Map<number, { size: number; id: string }>();
      const cuts = { hook: 0, outside: 0, unfinishedSeen: 0, midLine: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        // Most rounds: the hook kills inside batch B after N bytes (N anywhere: 0, between
        // lines, inside a line). Every fourth: a kill from outside at a random moment.
        const hook = round % 4 !== 3;
        const batch = 1 + (round % 3);
        const bytes = Math.floor(Math.random() * 1400);
        const env = hook ? { ...process.env, FMWK_LEDGER_TEST_KILL_IN_BATCH: `${batch}:${bytes}` } : process.env;
        const child = startChild(process.execPath, [script('batchLoop'), dir, '1000000', `r${round}`], { env });
        await child.waitFor((l) => l === 'open' || l.startsWith('error'));
        if (!hook) {
          await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 60)));
          child.child.kill('SIGKILL');
        }
        expect(await child.exited).to.equal('SIGKILL');
        if (hook) cuts.hook++;
        else cuts.outside++;
        for (const line of child.lines) {
          const m = /^ack (\d+) (\d+) (\S+)$/.exec(line);
          if (m) acked.set(Number(m[1]), { size: Number(m[2]), id: m[3]! });
          expect(line.startsWith('error'), line).to.equal(false);
        }
        // Before any writer reopens it: the file as the crash left it. Cold verify counts an
        // unfinished batch like torn bytes (never as events), and nothing else may be wrong.
        const cold = await verifyFile(join(dir, 'ledger.jsonl'));
        expect(cold.valid, cold.reason).to.equal(true);
        if (cold.unfinished_batch) cuts.unfinishedSeen++;
        if (cold.torn_bytes && !cold.unfinished_batch) cuts.midLine++;
        // A reader sees no event of it either.
        const reader = await DirectoryStore.open(dir, { readOnly: true });
        try {
          expect((await reader.tip()).sequence_number).to.equal(cold.count - 1);
        } finally {
          await reader.close();
        }
      }
      const { events, valid } = await reopened(dir);
      expect(valid).to.equal(true);
      const batches = batchesOf(events); // throws on any partial batch
      let lost = 0;
      for (const [first, { size, id }] of acked) {
        if (batches.get(first) !== size) lost++;
        else for (let k = 0; k < size; k++) expect(events[first + k]!.payload).to.deep.equal({ session_id: `${id}-${k}` });
      }
      expect(lost, 'acknowledged batches lost').to.equal(0);
      // Every batch in the file was acknowledged, or its child died between the write and the ack.
      expect(batches.size).to.be.at.least(acked.size);
      expect(cuts.unfinishedSeen, 'kills that left an unfinished batch of whole lines').to.be.greaterThan(0);
      // The lines of unfinished batches were kept for forensics, not silently dropped.
      expect(readdirSync(join(dir, 'torn')).length).to.be.greaterThan(0);
      console.log(`      batch crash: ${ROUNDS} kills (${cuts.hook} inside a batch by the hook, ${cuts.outside} from outside); ` +
        `${cuts.unfinishedSeen} left an unfinished batch of whole lines, ${cuts.midLine} only a torn line; ${acked.size} acknowledged batches, ` +
        `${batches.size} in the file, 0 partial, ${lost} lost`);
    } finally {
      remove();
    }
  });

  describe('power-loss states made by hand: the first lines of a 5-event batch reached the file', () => {
    /** A ledger of one event and a 5-event batch, its file cut to `keep` whole lines of the batch (plus `torn` bytes of the next). */
    async function cutBatch(keep: number, torn: number): Promise<{ dir: string; remove: () => void; full: Buffer; before: Buffer; tip: { sequence_number: number; hash: string } }> {
      const t = tempDir();
      const ledger = await Ledger.open(await DirectoryStore.open(t.dir));
      const [single] = await ledger.appendBatch([ev('single')]);
      await ledger.appendToStream('cart', [ev('b0'), ev('b1'), ev('b2'), ev('b3'), ev('b4')]);
      await ledger.close();
      const file = join(t.dir, 'ledger.jsonl');
      const full = readFileSync(file);
      const lines = full.toString('utf8').split('\n');
      const before = Buffer.from(`${lines[0]}\n`, 'utf8');
      const kept = lines.slice(1, 1 + keep).map((l) => `${l}\n`).join('');
      writeFileSync(file, Buffer.concat([before, Buffer.from(kept, 'utf8'), Buffer.from(lines[1 + keep]!, 'utf8').subarray(0, torn)]));
      // The index never knew the batch (it never completed): rebuilt from what is left.
      for (const f of ['index.sqlite', 'index.sqlite-wal', 'index.sqlite-shm']) rmSync(join(t.dir, f), { force: true });
      return { ...t, full, before, tip: { sequence_number: single!.sequence, hash: single!.hash } };
    }

    for (const [keep, torn] of [[3, 0], [3, 40], [1, 0], [4, 0], [0, 50]] as const) {
      it(`${keep} whole lines${torn ? ` and ${torn} bytes of the next` : ''}: cold verify, a reader and the writer all see the ledger before the batch`, async () => {
        const { dir, remove, before, tip } = await cutBatch(keep, torn);
        try {
          const file = join(dir, 'ledger.jsonl');
          const cold = await verifyFile(file);
          expect(cold).to.deep.include({ valid: true, break_at: null, count: 1 });
          if (keep > 0) expect(cold.unfinished_batch).to.deep.equal({ sequence: 1, events: keep, size: 5 });
          else expect(cold.torn_bytes).to.equal(torn);
          const cut = await verifyFile(file, { expectTip: tip });
          expect(cut.valid, cut.reason).to.equal(true);
          const reader = await DirectoryStore.open(dir, { readOnly: true });
          try {
            expect(await reader.tip()).to.deep.equal(tip);
            const lines = [];
            for await (const l of reader.scanLines(0)) lines.push(l);
            expect(lines.length).to.equal(1);
          } finally {
            await reader.close();
          }
          // The writer's open moves the batch's lines to torn/ and the file is as before it.
          const ledger = await Ledger.open(await DirectoryStore.open(dir));
          try {
            expect(await ledger.getTip()).to.deep.equal(tip);
            expect(readFileSync(file).equals(before)).to.equal(true);
            expect(await ledger.streamHead('cart')).to.equal(undefined);
            expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 1 });
            // The next batch lands where the unfinished one would have been.
            const again = await ledger.appendToStream('cart', [ev('c0'), ev('c1')]);
            expect(again.map((r) => [r.sequence, r.stream_version])).to.deep.equal([[1, 0], [2, 1]]);
          } finally {
            await ledger.close();
          }
          const moved = readdirSync(join(dir, 'torn'));
          expect(moved.length).to.equal(1);
          expect(readFileSync(join(dir, 'torn', moved[0]!)).toString('utf8').split('\n').length).to.equal(keep + 1);
        } finally {
          remove();
        }
      });
    }

    it('an unfinished batch in the middle of a file (events after it) is corruption at its first event: cold verify and the writer say so', async () => {
      const { dir, remove } = await cutBatch(3, 0);
      try {
        const file = join(dir, 'ledger.jsonl');
        // Another writer's event appended after the cut batch, linked to its last line.
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
        const last = JSON.parse(lines.at(-1)!) as LedgerEvent;
        const { buildEventLine } = await import('../../src/contract/eventLine.js');
        const { canonicalJson } = await import('../../src/contract/canonicalJson.js');
        const next = buildEventLine({
          event_id: '01890a5d-ac96-774b-bcce-b302099a8099', sequence: last.sequence + 1, event_type: 'session_start', schema_version: '1.0.0',
          timestamp: last.timestamp, provenanceJson: canonicalJson(provenance), previous_hash: last.hash, payloadJson: canonicalJson({ session_id: 'after' }),
        });
        appendFileSync(file, `${next.line}\n`);
        const cold = await verifyFile(file);
        expect(cold).to.deep.include({ valid: false, break_at: 1, count: 1 });
        expect(cold.reason).to.match(/atomic batch of 5 events starting at sequence 1 is cut/);
        const ledger = await Ledger.open(await DirectoryStore.open(dir));
        try {
          expect(await ledger.verifyChain()).to.deep.include({ valid: false, break_at: 1 });
        } finally {
          await ledger.close();
        }
      } finally {
        remove();
      }
    });
  });
});
