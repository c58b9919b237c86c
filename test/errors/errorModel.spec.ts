// One error model: every error the framework throws (ledger, projections, snapshots) is a
// LedgerError with a stable code, and one guard, isLedgerError(e, code), recognises them all.
import { expect } from 'chai';
import {
  Ledger, LedgerError, MemoryStore, ProjectionError, ProjectionRunner, SnapshotError, decodeSnapshot, isLedgerError,
  type LedgerErrorCode, type LedgerEvent,
} from '../../src/index.js';
import { delta, totals, counts } from '../support/replayFixtures.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return expect.fail('expected a throw');
}

async function events(n: number): Promise<LedgerEvent[]> {
  const ledger = await Ledger.open(new MemoryStore());
  for (let i = 0; i < n; i++) await ledger.append(delta('a', i));
  const out: LedgerEvent[] = [];
  for await (const e of ledger.readSince(-1)) out.push(e);
  await ledger.close();
  return out;
}

describe('one error model', () => {
  it('projection errors are LedgerErrors, recognised by isLedgerError with their code', () => {
    const e = thrown(() => new ProjectionRunner([totals, totals]));
    expect(e).to.be.instanceOf(ProjectionError).and.instanceOf(LedgerError);
    expect(isLedgerError(e)).to.equal(true);
    expect(isLedgerError(e, 'PROJECTION_DUPLICATE')).to.equal(true);
    expect(isLedgerError(e, 'PROJECTION_FAILED')).to.equal(false);
    expect((e as Error).name).to.equal('DuplicateProjectionError');
  });

  it('snapshot errors are LedgerErrors, recognised by isLedgerError with their code', () => {
    const e = thrown(() => decodeSnapshot(new TextEncoder().encode('{"not":"canonical" }')));
    expect(e).to.be.instanceOf(SnapshotError).and.instanceOf(LedgerError);
    expect(isLedgerError(e, 'SNAPSHOT_INVALID')).to.equal(true);
    expect((e as SnapshotError).field).to.be.a('string');
    expect((e as Error).name).to.equal('SnapshotError');
  });

  it('a runner asked for its states while a projection is still ahead throws a typed error naming both positions', async () => {
    // counts starts from a (pretend) snapshot at 2, totals from genesis: the runner is at -1.
    const runner = new ProjectionRunner([totals, counts], new Map([['counts', { sequence: 2, state: { last: 2, byType: {} } }]]));
    const e = thrown(() => runner.current());
    expect(isLedgerError(e, 'PROJECTION_POSITION'), String(e)).to.equal(true);
    expect(e).to.include({ projection: 'counts', position: 2, runnerPosition: -1 });
    expect((e as Error).message).to.equal('projection "counts" is at sequence 2, the runner at -1: fold up to 2 first');
    for (const ev of (await events(3)).slice(0, 3)) runner.apply(ev);
    expect(runner.current().sequence).to.equal(2);
  });

  it('plain errors and non-errors are not LedgerErrors; the guard narrows the code', () => {
    expect(isLedgerError(new Error('x'))).to.equal(false);
    expect(isLedgerError({ code: 'LEDGER_SEQUENCE' }, 'LEDGER_SEQUENCE')).to.equal(false);
    const e: unknown = thrown(() => new ProjectionRunner([counts, counts]));
    if (isLedgerError(e, 'PROJECTION_DUPLICATE')) {
      const code: 'PROJECTION_DUPLICATE' = e.code; // type-level check: narrowed to the literal
      expect(code).to.equal('PROJECTION_DUPLICATE');
    } else expect.fail('not recognised');
    const all: LedgerErrorCode[] = ['LEDGER_VALIDATION', 'PROJECTION_ORDER', 'SNAPSHOT_UNAVAILABLE'];
    expect(all).to.have.length(3);
  });
});
