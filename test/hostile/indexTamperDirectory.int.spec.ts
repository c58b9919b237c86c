// Issue 21 §2, directory store: index.sqlite is derived data that whoever owns the directory can
// rewrite with sqlite3. Each attack edits rows (closed store, and beside an open writer), then
// checks that the writer never breaks the ledger's rules (an event id written twice, a stream
// version repeated) and that `verify --store` names the row, apart from the chain (exit 3).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const id = (i: number): string => `01890a5d-ac96-774b-bcce-${String(i).padStart(12, '0')}`;
const ACTORS = ['system', 'agent', 'operator'] as const;

/** Event i: stream order-(i % 2), explicit event id, actor by i % 3. */
const input = (i: number) => ({
  event_type: 'session_start' as const, schema_version: '1.0.0',
  provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: ACTORS[i % 3]! },
  payload: { session_id: `s${i}` }, stream_id: `order-${i % 2}`, event_id: id(i),
});
const EVENTS = 12;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string; last: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {} };
}

/** Runs SQL on index.sqlite as a second connection (sqlite3 beside the ledger). */
function tamper(dir: string, sql: string): void {
  const db = new Database(join(dir, 'index.sqlite'));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

const lineCount = (dir: string): number => readFileSync(join(dir, 'ledger.jsonl'), 'utf8').split('\n').length - 1;
const eventIds = (dir: string): string[] => readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id);

describe('hostile: a tampered index.sqlite (directory store)', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  beforeEach(async () => {
    ({ dir, remove } = tempDir('fmwk-ledger-index-tamper-'));
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < EVENTS; i++) await ledger.append(input(i));
    await ledger.close();
  });
  afterEach(() => remove());

  /** verify --store: the chain valid, the index named corrupt at `at` (exit 3, its own JSON field), the field on stderr. */
  function expectIndexCorruptAt(at: number, field: string): void {
    const r = cli(['verify', '--store', dir]);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.last).to.deep.equal({ valid: true, break_at: null, count: EVENTS, index: { valid: false, break_at: at, count: at } });
    expect(r.stderr).to.contain(`at sequence ${at}`).and.to.contain(`field ${field}`).and.to.contain('reindex');
  }

  /** After the writer reopened: every answer right again, verify --store clean. */
  function expectClean(events: number): void {
    const r = cli(['verify', '--store', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.last).to.deep.equal({ valid: true, break_at: null, count: events });
  }

  it('a changed event_id row: the retry of that event resolves with the original, nothing is written twice', async () => {
    tamper(dir, `UPDATE events SET event_id = 'not-the-id' WHERE sequence = 5`);
    expectIndexCorruptAt(5, 'event_id');
    const store = await DirectoryStore.open(dir);
    expect(store.index instanceof Object && (store.index as { rebuiltBecause?: string }).rebuiltBecause).to.contain('sequence 5 has event_id "not-the-id"');
    const ledger = await Ledger.open(store);
    const again = await ledger.append(input(5));
    expect(again.sequence).to.equal(5);
    await ledger.close();
    expect(lineCount(dir)).to.equal(EVENTS);
    expect(new Set(eventIds(dir)).size).to.equal(EVENTS);
    expectClean(EVENTS);
  });

  it('a changed event_id row beside an open writer (another connection): the next append proves the index again', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    tamper(dir, `UPDATE events SET event_id = 'not-the-id' WHERE sequence = 5`);
    expect((await ledger.append(input(5))).sequence).to.equal(5);
    expect((await ledger.store.index.byEventId(id(5)))?.sequence).to.equal(5);
    await ledger.close();
    expect(lineCount(dir)).to.equal(EVENTS);
    expectClean(EVENTS);
  });

  it('a stream head row moved to another stream: the next append takes the true next version', async () => {
    // order-1's head is event 11 (version 5): moved to order-0 (a version order-0 does not have).
    tamper(dir, `UPDATE events SET stream_id = 'order-9' WHERE sequence = 11`);
    expectIndexCorruptAt(11, 'stream_id');
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    const r = await ledger.append({ ...input(12), stream_id: 'order-1', event_id: id(100) });
    expect(r.stream_version).to.equal(6);
    await ledger.close();
    expectClean(EVENTS + 1);
  });

  it('a stream head row moved beside an open writer: the version is not repeated', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    tamper(dir, `UPDATE events SET stream_id = 'order-9' WHERE sequence = 11`);
    const r = await ledger.append({ ...input(12), stream_id: 'order-1', event_id: id(100) });
    expect(r.stream_version).to.equal(6);
    const refused = await ledger.append({ ...input(13), stream_id: 'order-1', expected_version: 5, event_id: id(101) }).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error).with.property('code', 'LEDGER_STREAM_CONFLICT');
    await ledger.close();
    expectClean(EVENTS + 1);
  });

  for (const [field, sql, query] of [
    ['event_type', `UPDATE events SET event_type = 'session_end' WHERE sequence = 4`, ['--type', 'session_start']],
    ['actor', `UPDATE events SET actor = 'agent' WHERE sequence = 3`, ['--actor', 'system']],
    ['stream_id', `UPDATE events SET stream_id = 'elsewhere' WHERE sequence = 2`, ['--stream-prefix', 'order-']],
  ] as const) {
    it(`a changed ${field} row: verify --store names it (exit 3); once a writer has opened, the query omits nothing`, async () => {
      const at = Number(/sequence = (\d+)/.exec(sql)![1]);
      const before = cli(['query', '--store', dir, ...query]).stdout.trim().split('\n').length;
      tamper(dir, sql);
      expectIndexCorruptAt(at, field);
      // A reader still answers from the rows (README: what a reader's index can get wrong); the writer proves them.
      expect(cli(['query', '--store', dir, ...query]).stdout.trim().split('\n').length).to.equal(before - 1);
      await (await DirectoryStore.open(dir)).close();
      const after = cli(['query', '--store', dir, ...query]);
      expect(after.code, after.stderr).to.equal(0);
      expect(after.stdout.trim().split('\n')).to.have.length(before);
      expectClean(EVENTS);
    });
  }

  it('deleted rows: verify --store names the first; the writer rebuilds; a retry of a deleted row\'s event writes nothing', async () => {
    tamper(dir, `DELETE FROM events WHERE sequence IN (3, 7)`);
    const r = cli(['verify', '--store', dir]);
    // A reader does not use an index with rows missing (its own count check): the index is named unusable.
    expect(r.code, r.stderr).to.equal(3);
    expect(r.last).to.have.property('index').that.deep.includes({ valid: false });
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    expect((await ledger.append(input(7))).sequence).to.equal(7);
    await ledger.close();
    expect(lineCount(dir)).to.equal(EVENTS);
    expectClean(EVENTS);
  });

  it('a query index redefined (partial) or dropped: the schema is named (exit 3), the writer rebuilds it', async () => {
    tamper(dir, `DROP INDEX events_type; CREATE INDEX events_type ON events(event_type) WHERE sequence <> 4`);
    const r = cli(['verify', '--store', dir]);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.last).to.deep.include({ index: { valid: false, break_at: null, count: 0 } });
    expect(r.stderr).to.contain('field schema');
    await (await DirectoryStore.open(dir)).close();
    expectClean(EVENTS);
  });

  it('an untouched index is proved, not rebuilt, at every open; a damaged ledger\'s repeated line keeps its emptied row across opens', async () => {
    for (let k = 0; k < 2; k++) {
      const store = await DirectoryStore.open(dir);
      expect((store.index as { rebuiltBecause?: string }).rebuiltBecause).to.equal(undefined);
      await store.close();
    }
    // A line repeated in the middle (a damaged ledger, which the writer still opens): its row
    // keeps its position only (unique hash and id), explained by the earlier row.
    const file = join(dir, 'ledger.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(3, 0, lines[2]!);
    writeFileSync(file, lines.join('\n'));
    await (await DirectoryStore.open(dir)).close(); // rebuilt: the rows were the undamaged file's
    const again = await DirectoryStore.open(dir);
    expect((again.index as { rebuiltBecause?: string }).rebuiltBecause).to.equal(undefined);
    expect(await again.index.audit!()).to.deep.equal({ valid: true, count: EVENTS + 1, break_at: null });
    await again.close();
  });

  it('a row emptied (hash, event_id and stream fields null, as for a damaged ledger\'s repeat) where no earlier row holds the values: caught', async () => {
    tamper(dir, `UPDATE events SET hash = NULL, event_id = NULL, stream_id = NULL, stream_version = NULL WHERE sequence = 6`);
    expectIndexCorruptAt(6, 'hash');
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    expect((await ledger.append(input(6))).sequence).to.equal(6);
    await ledger.close();
    expect(lineCount(dir)).to.equal(EVENTS);
  });
});
