// The writer's index.sqlite is checkpointed on a thread of its own (indexCheckpointer.ts), so the
// event loop never waits on a checkpoint's fsyncs. Who could hurt it: the process killed with a
// checkpoint under way, the thread lost, a rebuild swapping the file while the thread holds it,
// a close while it is open, a full disk. Each ends with every row there and the index checking out.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { DirectoryStore } from '../../src/stores/directoryStore.js';
import { DirectoryIndex, INDEX_FILE } from '../../src/stores/directoryIndex.js';
import { AUTO_CHECKPOINT_PAGES } from '../../src/stores/indexCheckpointer.js';
import { script, startChild } from '../support/childProcess.js';
import { appendSpec, collect } from '../support/indexRecords.js';
import { tempDir } from '../support/tempDir.js';

const indexOf = (store: DirectoryStore) => store.index as DirectoryIndex;
const dbOf = (store: DirectoryStore) => (indexOf(store) as unknown as { db: Database.Database }).db;

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !done(); await sleep(10)) if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
}

/** Rows in index.sqlite as a fresh read-only connection sees them, and its quick_check. */
function rowsOnDisk(dir: string): { rows: number; check: unknown } {
  const db = new Database(join(dir, INDEX_FILE), { readonly: true, fileMustExist: true });
  try {
    return { rows: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, check: db.pragma('quick_check', { simple: true }) };
  } finally {
    db.close();
  }
}

describe('DirectoryIndex checkpoints off the event loop', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('the writer turns automatic checkpoints off; its thread checkpoints as rows accumulate; close folds the WAL in and leaves no -wal or -shm', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      expect(dbOf(store).pragma('wal_autocheckpoint', { simple: true })).to.equal(0);
      expect(indexOf(store).checkpoints?.thread, 'no thread before it is needed').to.equal(undefined);
      for (let i = 0; i < 2600; i++) await appendSpec(store, { event_type: 'bulk' });
      await until('two checkpoints', () => (indexOf(store).checkpoints?.completed ?? 0) >= 2);
    } finally {
      await store.close();
    }
    for (const suffix of ['-wal', '-shm']) expect(existsSync(join(dir, INDEX_FILE + suffix)), suffix).to.equal(false);
    expect(rowsOnDisk(dir)).to.deep.equal({ rows: 2600, check: 'ok' });
  });

  it('a writer reopening an index that is up to date starts no thread; one that catches up rows checkpoints them', async () => {
    const first = await DirectoryStore.open(dir);
    for (let i = 0; i < 10; i++) await appendSpec(first, { event_type: 'bulk' });
    await first.close();
    const again = await DirectoryStore.open(dir);
    try {
      expect(indexOf(again).checkpoints?.thread).to.equal(undefined);
    } finally {
      await again.close();
    }
    const child = startChild(process.execPath, [script('indexChild'), 'bulk', dir, '20'], { env: { ...process.env, FMWK_LEDGER_TEST_KILL_AFTER_SYNC: '5' } });
    expect(await child.exited).to.equal('SIGKILL'); // 5 lines past the index's last row
    const behind = await DirectoryStore.open(dir);
    try {
      await until('the catch-up checkpointed', () => (indexOf(behind).checkpoints?.completed ?? 0) === 1);
    } finally {
      await behind.close();
    }
    expect(rowsOnDisk(dir)).to.deep.equal({ rows: 15, check: 'ok' });
  });

  it('the thread lost: the writer turns SQLite\'s own checkpoints back on and goes on', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      for (let i = 0; i < 1100; i++) await appendSpec(store, { event_type: 'bulk' });
      const cp = indexOf(store).checkpoints!;
      await until('the thread', () => cp.thread !== undefined);
      await cp.thread!.terminate();
      await until('automatic checkpoints back on', () => dbOf(store).pragma('wal_autocheckpoint', { simple: true }) === AUTO_CHECKPOINT_PAGES);
      for (let i = 0; i < 1100; i++) await appendSpec(store, { event_type: 'bulk' });
    } finally {
      await store.close();
    }
    expect(rowsOnDisk(dir)).to.deep.equal({ rows: 2200, check: 'ok' });
  });

  it('a rebuild while the thread holds the database: the thread lets go first, the new database gets its own', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      for (let i = 0; i < 1100; i++) await appendSpec(store, { event_type: 'bulk' });
      await until('a checkpoint', () => (indexOf(store).checkpoints?.completed ?? 0) >= 1);
      const before = indexOf(store).checkpoints;
      expect(await indexOf(store).rebuild()).to.equal(1100);
      expect(indexOf(store).checkpoints).to.not.equal(before);
      expect(dbOf(store).pragma('wal_autocheckpoint', { simple: true })).to.equal(0);
      for (let i = 0; i < 1100; i++) await appendSpec(store, { event_type: 'bulk' });
      await until('a checkpoint of the new database', () => (indexOf(store).checkpoints?.completed ?? 0) >= 1);
    } finally {
      await store.close();
    }
    expect(rowsOnDisk(dir)).to.deep.equal({ rows: 2200, check: 'ok' });
  });

  it('SIGKILL with checkpoints under way: the next writer opens the index, catches it up, and every line has its row', async () => {
    const child = startChild(process.execPath, [script('indexChild'), 'bulk', dir, '3000'], { env: { ...process.env, FMWK_LEDGER_TEST_KILL_AFTER_SYNC: '2450' } });
    expect(await child.exited).to.equal('SIGKILL');
    const store = await DirectoryStore.open(dir);
    try {
      expect((await store.tip()).sequence_number).to.equal(2449);
      expect((await collect(store.index.query({ event_type: 'bulk' }))).length).to.equal(2450);
    } finally {
      await store.close();
    }
    expect(rowsOnDisk(dir)).to.deep.equal({ rows: 2450, check: 'ok' });
  });

  it('index.sqlite swapped for a symbolic link before the thread opens it: the thread refuses it and the writer checkpoints itself', async () => {
    const store = await DirectoryStore.open(dir);
    try {
      const path = join(dir, INDEX_FILE);
      renameSync(path, join(dir, 'moved.sqlite'));
      symlinkSync(join(dir, 'moved.sqlite'), path);
      for (let i = 0; i < 1100; i++) await appendSpec(store, { event_type: 'bulk' });
      await until('automatic checkpoints back on', () => dbOf(store).pragma('wal_autocheckpoint', { simple: true }) === AUTO_CHECKPOINT_PAGES);
      expect(indexOf(store).checkpoints?.completed).to.equal(0);
    } finally {
      await store.close();
    }
  });

  it('a full disk fails the checkpoint: the WAL stays whole, SQLite\'s own checkpoints come back, and with room again every row is there', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs and must run as root');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    try {
      const storeDir = join(mnt, 'store');
      const store = await DirectoryStore.open(storeDir);
      const filler = join(mnt, 'filler');
      try {
        // Rows in the WAL, not yet in index.sqlite (fewer than a checkpoint request's worth).
        for (let i = 0; i < 900; i++) await appendSpec(store, { event_type: 'bulk' });
        await sleep(50); // the group commit timer
        const fd = openSync(filler, 'w');
        try {
          for (;;) writeSync(fd, Buffer.alloc(4096, 0x61));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        } finally {
          closeSync(fd);
        }
        // The checkpoint must grow index.sqlite: refused, so the thread is given up.
        indexOf(store).checkpoints!.request();
        await until('automatic checkpoints back on', () => dbOf(store).pragma('wal_autocheckpoint', { simple: true }) === AUTO_CHECKPOINT_PAGES);
        expect(indexOf(store).checkpoints?.completed).to.equal(0);
        unlinkSync(filler);
        for (let i = 0; i < 300; i++) await appendSpec(store, { event_type: 'bulk' });
      } finally {
        await store.close();
      }
      for (const suffix of ['-wal', '-shm']) expect(existsSync(join(storeDir, INDEX_FILE + suffix)), suffix).to.equal(false);
      expect(rowsOnDisk(storeDir)).to.deep.equal({ rows: 1200, check: 'ok' });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
