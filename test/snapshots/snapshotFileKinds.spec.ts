// A snapshot or checkpoint path that is not a regular file is never opened as a stream: a FIFO
// would block replay forever, a symlink could point anywhere. It is skipped with a warning.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, openSync, closeSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore, DirectoryStore, Ledger, ReplayEngine, SnapshotStore } from '../../src/index.js';
import { collectingLogger, delta, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

/** Resolves with `p`, or rejects after `ms` (then `onTimeout` unblocks whatever hung). */
async function within<T>(ms: number, p: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens and closes the FIFO for writing, so that a reader blocked on it (old code) gets EOF. */
const unblock = (fifo: string) => () => {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // no reader: nothing was blocked
  }
};

describe('snapshot files that are not regular files', () => {
  let dir: string;
  let remove: () => void;
  let store: DirectoryStore;
  let ledger: Ledger;
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = await DirectoryStore.open(join(dir, 'ledger'));
    ledger = await Ledger.open(store);
    for (let i = 1; i <= 4; i++) await ledger.append(delta('a', i));
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  it('a FIFO named like the newest snapshot is skipped promptly with a warning; the older snapshot is used', async () => {
    const older = await new ReplayEngine(ledger, { projections: [totals] }).takeSnapshot(); // 3.snapshot, record at 4
    for (let i = 5; i <= 7; i++) await ledger.append(delta('a', i));
    const fifo = join(dir, 'ledger', 'snapshots', '7.snapshot');
    execFileSync('mkfifo', [fifo]);
    const logger = collectingLogger();
    const result = await within(10_000, new ReplayEngine(ledger, { projections: [totals], logger }).replay(), unblock(fifo));
    expect(result).to.deep.equal({ sequence: 7, states: { totals: { a: 28 } } });
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]).to.contain('7.snapshot skipped: (file): is a FIFO, not a regular file: not read');
    expect(older.sequence).to.equal(3);
  });

  it('a symlink (even to a genuine snapshot) or a directory is skipped with a warning; genesis is used', async () => {
    const record = await new ReplayEngine(ledger, { projections: [totals] }).takeSnapshot(); // 3.snapshot
    const elsewhere = join(dir, 'elsewhere.snapshot');
    renameSync(record.path, elsewhere);
    symlinkSync(elsewhere, record.path);
    mkdirSync(join(dir, 'ledger', 'snapshots', '2.snapshot'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, join(dir, 'ledger', 'snapshots', '1.snapshot'));
    const logger = collectingLogger();
    const result = await within(10_000, new ReplayEngine(ledger, { projections: [totals], logger }).replay(), unblock(fifo));
    expect(result).to.deep.equal({ sequence: 4, states: { totals: { a: 10 } } });
    expect(logger.warnings).to.deep.equal([
      `snapshot ${join(dir, 'ledger', 'snapshots', '3.snapshot')} skipped: (file): is a symbolic link, not a regular file: not read`,
      `snapshot ${join(dir, 'ledger', 'snapshots', '2.snapshot')} skipped: (file): is a directory, not a regular file: not read`,
      `snapshot ${join(dir, 'ledger', 'snapshots', '1.snapshot')} skipped: (file): is a symbolic link, not a regular file: not read`,
    ]);
  });

  it('a checkpoint that is a FIFO is skipped with a warning, promptly', async () => {
    const checkpoints = CheckpointStore.beside(store, 'graph');
    mkdirSync(checkpoints.dir, { recursive: true });
    execFileSync('mkfifo', [checkpoints.path]);
    const logger = collectingLogger();
    const engine = new ReplayEngine(ledger, { projections: [totals], logger, checkpoints, snapshots: SnapshotStore.beside(store) });
    const result = await within(10_000, engine.replay(), unblock(checkpoints.path));
    expect(result.states).to.deep.equal({ totals: { a: 10 } });
    expect(logger.warnings).to.deep.equal([`checkpoint ${checkpoints.path} skipped: (file): is a FIFO, not a regular file: not read`]);
  });
});
