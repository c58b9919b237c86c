// The central property of snapshots: they change the cost of a replay, never its result.
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { Ledger, MemoryStore, ReplayEngine, SnapshotStore } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { collectingLogger, counts, delta, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

type Op =
  | { readonly op: 'event'; readonly node: string; readonly amount: number }
  | { readonly op: 'session' }
  | { readonly op: 'snapshot'; readonly back: number }
  | { readonly op: 'tamper'; readonly pick: number; readonly byte: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('event' as const), node: fc.constantFrom('a', 'b', 'c'), amount: fc.integer({ min: -50, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('session' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('snapshot' as const), back: fc.nat({ max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tamper' as const), pick: fc.nat(), byte: fc.nat() }) },
);

describe('replay with snapshots (property)', () => {
  it('equals a full replay from genesis, for random events, snapshot points, tampering and targets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (ops, targets) => {
        const { dir, remove } = tempDir();
        const ledger = await Ledger.open(new MemoryStore());
        try {
          const snapshots = SnapshotStore.at(dir);
          const withSnapshots = new ReplayEngine(ledger, { projections: [totals, counts], snapshots, logger: collectingLogger() });
          const fromGenesis = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false });
          for (const op of ops) {
            const tip = (await ledger.getTip()).sequence_number;
            if (op.op === 'event') await ledger.append(delta(op.node, op.amount));
            else if (op.op === 'session') await ledger.append(sessionStart('s'));
            else if (op.op === 'snapshot' && tip >= 0) await withSnapshots.takeSnapshot({ at: Math.max(0, tip - op.back) });
            else if (op.op === 'tamper') {
              const files = await snapshots.list();
              if (files.length === 0) continue;
              const path = snapshots.path(files[op.pick % files.length]!);
              const bytes = readFileSync(path);
              const at = op.byte % bytes.length;
              bytes[at] = bytes[at]! ^ 0x01;
              writeFileSync(path, bytes);
            }
          }
          const tip = (await ledger.getTip()).sequence_number;
          if (tip < 0) return;
          for (const t of [...targets.map((n) => n % (tip + 1)), tip]) {
            expect(await withSnapshots.stateAt(t), `target ${t}`).to.deep.equal(await fromGenesis.stateAt(t));
          }
        } finally {
          await ledger.close();
          remove();
        }
      }),
      { numRuns: 100 },
    );
  });
});
