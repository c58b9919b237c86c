// The directory store's indexes (issue 13): <dir>/index.sqlite, an SQLite database (WAL) with
// one row per line of ledger.jsonl. SQLite rather than hand-written index files: B-tree indexes
// on every filter, transactions that survive a SIGKILL at any instant, a reader that sees a
// consistent snapshot while the writer inserts (WAL), and an integrity check of its own.
//
// The index is derived data and never trusted. The line is the truth: a row is written only
// after its line is durable, a writer brings the index up to date on open (and rebuilds it when
// it does not describe this ledger file), every offset is checked against the line it points at,
// and the Ledger checks every line it reads against the hash the index holds.
import Database from 'better-sqlite3';
import { readSync } from 'node:fs';
import { lstat, readdir, rename, unlink, open } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { LedgerConnectionError, LedgerCorruptionError, LedgerEventIdConflictError, LedgerStreamConflictError } from '../errors/errors.js';
import { scanCanonicalEventBytes } from '../contract/canonicalLine.js';
import { readLineBatches } from '../contract/lineReader.js';
import { fsyncDirectory } from './fsyncDirectory.js';
import { AUTO_CHECKPOINT_PAGES, IndexCheckpointer } from './indexCheckpointer.js';
import { checkBatchRecords, type AppendRecord, type IndexEntry, type IndexQuery, type IndexVerdict, type LedgerIndex, type StreamHead, type StreamRange, type Tip } from '../ledger/ledgerStore.js';
import { proveRows, ROW_COLUMNS, rowOfLine, type IndexRow, type RowMismatch } from './directoryIndexRows.js';

export { rowOfLine, type IndexRow } from './directoryIndexRows.js';

export const INDEX_FILE = 'index.sqlite';
/** Bumped when the schema changes: an index of another format is rebuilt. */
const FORMAT = '1';
const PAGE = 512;
/** A reader indexes at most this many lines past index.sqlite in memory. */
export const DEFAULT_MAX_UNINDEXED = 100_000;

/** What the index needs of the ledger file: its handle and where its complete lines end. */
export interface LedgerFileView {
  readonly file: string;
  readonly fh: FileHandle;
  /** The tip and the end of complete lines, current (a reader looks at the file again). */
  current(): Promise<{ readonly tip: Tip; readonly end: number }>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS events (
  sequence INTEGER PRIMARY KEY,
  hash TEXT UNIQUE,
  event_id TEXT UNIQUE,
  event_type TEXT,
  actor TEXT,
  framework_id TEXT,
  timestamp TEXT,
  stream_id TEXT,
  stream_version INTEGER,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  UNIQUE (stream_id, stream_version)
) STRICT;
`;

const INDEXES = `
-- sequence is the rowid: each index below is ordered by sequence within a key, so a filter
-- walks only its matches, in either direction.
CREATE INDEX IF NOT EXISTS events_type ON events(event_type);
CREATE INDEX IF NOT EXISTS events_actor ON events(actor);
CREATE INDEX IF NOT EXISTS events_framework ON events(framework_id);
CREATE INDEX IF NOT EXISTS events_time ON events(timestamp);
`;

const COLUMNS = ROW_COLUMNS;
const SCHEMA_ROWS = `SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`;
let schemaText: string | undefined;
/** sqlite_master as SCHEMA and INDEXES create it (in memory, once). */
function expectedSchema(): string {
  if (schemaText === undefined) {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    db.exec(INDEXES);
    schemaText = JSON.stringify(db.prepare(SCHEMA_ROWS).all());
    db.close();
  }
  return schemaText;
}
// Positional parameters: binding an array is cheaper than binding an object by names (rebuild, catch-up).
const INSERT = `INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** Rebuild and catch-up commit once per this many rows: each commit rewrites the pages it touched. */
const ROWS_PER_TRANSACTION = 32_768;
/** The writer's appended rows are committed at most this many at a time, and within PENDING_MS. */
const PENDING_MAX = 256;
const PENDING_MS = 20;
/** Writer: rows committed between checkpoint requests (~3 WAL pages a row here: a WAL of ~12 MiB at most; measured, 300 cost ~6% of append throughput, 1000 nothing measurable). */
const CHECKPOINT_ROWS = 1000;
const HEADS_MAX = 10_000;
const valuesOf = (r: IndexRow): unknown[] => [r.sequence, r.hash, r.event_id, r.event_type, r.actor, r.framework_id, r.timestamp, r.stream_id, r.stream_version, r.offset, r.length];

/**
 * The sequence a line claims (the verification fast path's scan, else a lenient parse), or
 * undefined: only to steer or check a position, never to judge the line (the verifier does).
 * Shared by the store's reads and the index's offset checks.
 */
export function lineSequence(bytes: Buffer): number | undefined {
  const fast = scanCanonicalEventBytes(bytes);
  if (fast) return fast.sequence;
  try {
    const s = (JSON.parse(bytes.toString('utf8')) as { sequence?: unknown }).sequence;
    return Number.isSafeInteger(s) ? (s as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The hash, event id and stream fields a stored line holds, as rowOfLine would read them: from
 * the fast path's one scan when the line is canonical (no decode, no JSON.parse: this is on the
 * append path, for the stream head), else from rowOfLine.
 */
function identityOfLine(bytes: Buffer): Pick<IndexRow, 'hash' | 'event_id' | 'stream_id' | 'stream_version'> {
  const c = scanCanonicalEventBytes(bytes);
  const id = c && bytes.subarray(c.idFrom, c.idTo);
  // A canonical string id is its text in quotes; any other id (an escape inside, not a string) is left to the parse.
  if (c && id![0] === QUOTE && id!.indexOf(BACKSLASH) < 0) {
    return { hash: c.hash, event_id: id!.toString('utf8', 1, id!.length - 1), stream_id: c.stream_id ?? null, stream_version: c.stream_version ?? null };
  }
  return rowOfLine(bytes, 0, 0);
}
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The smallest string greater than every string starting with `prefix` (undefined: none). */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix].map((c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    let last = cps.pop()! + 1;
    if (last === 0xd800) last = 0xe000; // no surrogates: UTF-8 order is code point order
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return undefined;
}

function matches(row: IndexRow, q: IndexQuery): boolean {
  return (
    (q.event_type === undefined || row.event_type === q.event_type) &&
    (q.actor === undefined || row.actor === q.actor) &&
    (q.framework_id === undefined || row.framework_id === q.framework_id) &&
    (q.stream_id_prefix === undefined || (row.stream_id !== null && row.stream_id.startsWith(q.stream_id_prefix))) &&
    (q.since === undefined || (row.timestamp !== null && row.timestamp >= q.since)) &&
    (q.until === undefined || (row.timestamp !== null && row.timestamp <= q.until))
  );
}

/** The same row (every column): what was confirmed of one holds for the other. */
function sameRow(a: IndexRow, b: IndexRow): boolean {
  return (
    a.sequence === b.sequence && a.offset === b.offset && a.length === b.length && a.hash === b.hash && a.event_id === b.event_id &&
    a.stream_id === b.stream_id && a.stream_version === b.stream_version
  );
}

/**
 * Where the line of an entry this index gave is (offset, length), so the store reads a page of
 * lines without a lookup per event; kept beside the entry, which stays a plain
 * { sequence, hash } for callers. A hint, never trusted: the store checks that the bytes there
 * frame one whole line claiming the sequence, else searches the file.
 */
const PLACES = new WeakMap<IndexEntry, Pick<IndexRow, 'offset' | 'length'>>();
function placed<E extends IndexEntry>(e: E, r: Pick<IndexRow, 'offset' | 'length'>): E {
  PLACES.set(e, { offset: r.offset, length: r.length });
  return e;
}
const entry = (r: IndexRow): IndexEntry => placed({ sequence: r.sequence, hash: r.hash ?? '' }, r);

/** Where the line of `e` is, if this index gave it. */
export const placeOf = (e: IndexEntry): Pick<IndexRow, 'offset' | 'length'> | undefined => PLACES.get(e);

/** Refuses an index path that is not a regular file (a planted symlink, a directory, a fifo). */
async function assertRegularOrAbsent(path: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (!st.isFile()) {
      throw new LedgerConnectionError(`${path} is not a regular file (${st.isSymbolicLink() ? 'a symbolic link' : 'not a file'}); the index is never opened through it: remove it and open the store for writing, which rebuilds the index from the ledger`);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

type Db = Database.Database;

/** The directory store's LedgerIndex over index.sqlite (see the file comment). */
export class DirectoryIndex implements LedgerIndex {
  private current: Db | undefined;
  /** Prepared statements of the open database (preparing costs more than a lookup). */
  private statements = new Map<string, Database.Statement>();
  /** Writer: the database is behind the file (an insert failed); caught up before use. */
  private behind = false;
  /** Reader: rows of lines past the database's last row, in sequence order. */
  private tailRows: IndexRow[] = [];
  /**
   * Set by each sync: the tip the call answers as of, and the first sequence the reader's tail
   * holds (database rows from there on are left to the tail, so no row is answered twice).
   */
  private bound = { tip: -1, split: Number.MAX_SAFE_INTEGER };
  /**
   * Writer: the last row rowDescribes confirmed, so the store's check does not re-read the
   * stream head the ledger's streamHead lookup confirmed a moment before in the same append
   * (under the writer lock, the lines it describes are not ours to change). Cleared when the
   * append's check ends: it never outlives one append.
   */
  private confirmed: IndexRow | undefined;
  /**
   * Writer: rows of lines already durable, not yet in the database. An insert is a commit (a WAL
   * write of every page it touched): rows go in together, PENDING_MAX at a time, or at the next
   * lookup that needs the database, a short timer, or close. The append path's own lookups (the
   * event-id and stream-head checks) consult them first. A crash loses only rows whose lines the
   * next writer catches up, as before.
   */
  private pending: IndexRow[] = [];
  private pendingIds = new Map<string, IndexRow>();
  /**
   * Writer: the head row of each stream this writer appended to (at most HEADS_MAX, oldest
   * dropped), kept across commits: a stream append then asks the database nothing about its
   * stream. Cleared when the index is caught up or rebuilt from the lines.
   */
  private heads = new Map<string, IndexRow>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Reader: the inode of index.sqlite last opened and checked (a writer's rebuild renames a new one in). */
  private checkedIno: number | undefined;
  /** Writer: runs the database's checkpoints off the event loop (indexCheckpointer.ts). */
  private checkpointer: IndexCheckpointer | undefined;
  /** Writer: rows committed since the last checkpoint request. */
  private sinceCheckpoint = 0;
  /**
   * Writer: SQLite's data_version of the connection when the index was last proved or written
   * by it. Another connection's commit to index.sqlite (sqlite3 run beside the writer) changes
   * it; the next append then proves the index again before trusting a negative answer.
   */
  private dataVersion: number | undefined;
  /** Why index.sqlite was last found unusable (a row that did not hold, a damaged file): a writer rebuilt it, a reader left it unused. */
  private rejectedBecause: string | undefined;

  private constructor(
    private readonly dir: string,
    private readonly view: LedgerFileView,
    private readonly readOnly: boolean,
    private readonly maxUnindexed: number,
  ) {}

  private get db(): Db | undefined {
    return this.current;
  }

  private set db(db: Db | undefined) {
    this.statements.clear();
    this.stopCheckpoints();
    this.current = db;
    if (db && !this.readOnly) {
      // The writer's checkpoints (and their fsyncs) go to a thread; if it is lost, SQLite's own come back.
      db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new IndexCheckpointer(this.path, () => {
        if (this.current === db && db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      });
      this.sinceCheckpoint = 0;
      this.dataVersion = this.readDataVersion();
    }
  }

  /** Writer: why index.sqlite was last rebuilt instead of used (a row that did not hold its line, a damaged file), if it was. */
  get rebuiltBecause(): string | undefined {
    return this.readOnly ? undefined : this.rejectedBecause;
  }

  private readDataVersion(): number {
    return this.stmt('PRAGMA data_version').pluck().get() as number;
  }

  /**
   * Writer: if another connection committed to index.sqlite since this writer proved or wrote
   * it (data_version moved), every row is proved again, and the index rebuilt if one does not
   * hold. One pragma per append; a change made to the file's bytes without SQLite (which
   * data_version cannot see) is caught at the next open and by verify --store.
   */
  private async reproveIfChanged(): Promise<void> {
    const db = this.db;
    if (!db || this.readDataVersion() === this.dataVersion) return;
    this.flush();
    const { mismatch } = await this.proveAgainstLines(db, (await this.view.current()).end, false);
    if (mismatch) {
      this.rejectedBecause = mismatch.reason;
      await this.rebuild();
      return;
    }
    this.heads.clear(); // rows of other streams may have moved: asked of the proved database again
    this.dataVersion = this.readDataVersion();
  }

  /**
   * Every row of index.sqlite against the line it describes, and SQLite's integrity_check
   * (index corruption, reported apart from the chain's: `verify --store`). Repairs nothing. No
   * index.sqlite is valid (nothing derived to lie; a writer builds one from the lines); one a
   * reader cannot use (another ledger's, unreadable) is not.
   */
  async audit(): Promise<IndexVerdict> {
    if (this.readOnly) await this.reopenIfReplaced();
    else this.flush();
    const db = this.db;
    if (!db) {
      const present = await assertRegularOrAbsent(this.path).catch(() => true);
      if (!present) return { valid: true, count: 0, break_at: null };
      return { valid: false, count: 0, break_at: null, reason: `${this.path} is not usable: ${this.rejectedBecause ?? 'not a regular file'}` };
    }
    const { mismatch, rows } = await this.proveAgainstLines(db, (await this.view.current()).end, true);
    if (!mismatch) return { valid: true, count: rows, break_at: null };
    return { valid: false, count: rows, break_at: mismatch.sequence < 0 ? null : mismatch.sequence, reason: `${this.path}: ${mismatch.reason} (field ${mismatch.field}); run fmwk-ledger reindex` };
  }

  /** The checkpoint thread lets go of the database: before the writer's connection closes or the file is replaced. */
  private stopCheckpoints(): void {
    this.checkpointer?.stop();
    this.checkpointer = undefined;
  }

  /** Writer: a checkpoint once CHECKPOINT_ROWS rows (or `rows` more) were committed since the last. */
  private committed(rows: number): void {
    this.sinceCheckpoint += rows;
    if (this.sinceCheckpoint < CHECKPOINT_ROWS) return;
    this.sinceCheckpoint = 0;
    this.checkpointer?.request();
  }

  /** Tests: the writer's checkpointer. @internal */
  get checkpoints(): IndexCheckpointer | undefined {
    return this.checkpointer;
  }

  /** The statement for `sql` on the open database, prepared once. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db!.prepare(sql)));
    return s;
  }

  get path(): string {
    return join(this.dir, INDEX_FILE);
  }

  /**
   * The writer's index: opened, proved (the format, SQLite's integrity_check, every row against
   * the line it describes: proveRows), rebuilt if anything fails (rebuiltBecause says what),
   * then caught up with the lines appended since its last row. Called under the writer lock.
   *
   * Rebuilt rather than refused: the lines are the truth and the writer holds the lock, so a
   * rebuild is exactly what `reindex` would do; refusing would let whoever can write
   * index.sqlite stop every append until an operator ran it.
   */
  static async openWriter(dir: string, view: LedgerFileView): Promise<DirectoryIndex> {
    const index = new DirectoryIndex(dir, view, false, Infinity);
    await index.checkPaths();
    await index.removeStaleTemporaries();
    index.db = await index.openChecked(false);
    if (index.db && (await index.mostlyBehind(index.db))) {
      // Building afresh indexes a line about twice as fast as inserting it into the existing
      // B-trees: with more of the file unindexed than indexed, a rebuild finishes first.
      index.close();
    }
    if (!index.db) {
      await index.buildAndSwap();
    } else {
      await index.catchUp();
    }
    return index;
  }

  /**
   * A reader's index: index.sqlite read-only if present and it checks out (never written), and
   * the lines past its last row indexed in memory, at most `maxUnindexed` of them.
   */
  static async openReader(dir: string, view: LedgerFileView, maxUnindexed = DEFAULT_MAX_UNINDEXED): Promise<DirectoryIndex> {
    const index = new DirectoryIndex(dir, view, true, maxUnindexed);
    await index.checkPaths();
    await index.reopenIfReplaced();
    return index;
  }

  private async checkPaths(): Promise<void> {
    for (const suffix of ['', '-wal', '-shm', '-journal']) await assertRegularOrAbsent(this.path + suffix);
  }

  private async removeStaleTemporaries(): Promise<void> {
    // A rebuild cut short by a crash leaves its temporary file; under the lock, nobody else builds.
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(`.${INDEX_FILE}.`) && /\.tmp(-wal|-shm|-journal)?$/.test(name)) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  /**
   * Opens index.sqlite and checks it against the ledger file; undefined when it does not hold.
   * A writer proves every row (proveAgainstLines); a reader, which answers no question a writer
   * relies on and never writes, checks rows 0 and last and the row count (README "What the
   * index can and cannot get wrong").
   */
  private async openChecked(readOnly: boolean, justBuilt = false): Promise<Db | undefined> {
    if (!(await assertRegularOrAbsent(this.path))) return undefined;
    let db: Db | undefined;
    try {
      db = new Database(this.path, { readonly: readOnly, fileMustExist: true });
      if (!readOnly) {
        db.pragma('journal_mode = WAL');
        // A SIGKILL never loses a committed row in WAL mode; a power loss may lose the last
        // ones, which the next open catches up from the lines.
        db.pragma('synchronous = NORMAL');
        // Catch-up inserts into the unique hash index in random order: a page cache that holds
        // the index (grown only as used) keeps that from re-reading pages.
        db.pragma('cache_size = -65536');
      }
      db.pragma('busy_timeout = 5000');
      const format = (db.prepare(`SELECT value FROM meta WHERE key = 'format'`).get() as { value: string } | undefined)?.value;
      if (format !== FORMAT) throw new Error(`format ${format ?? 'none'}, expected ${FORMAT}`);
      const { tip, end } = await this.view.current();
      if (!readOnly && !justBuilt) {
        // The writer relies on negative answers (no event holds this id, no later version of
        // this stream): every row is proved against its line before any is trusted. (An index
        // it has just built from the lines gets the reader's spot checks below.)
        const { mismatch } = await this.proveAgainstLines(db, end, false);
        if (mismatch) throw new Error(mismatch.reason);
        return db;
      }
      const last = db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY sequence DESC LIMIT 1`).get() as IndexRow | undefined;
      if (last) {
        // A reader may look at the file just before its writer's next row: only a writer insists.
        const lastInFile = last.sequence <= tip.sequence_number;
        const first = db.prepare(`SELECT ${COLUMNS} FROM events WHERE sequence = 0`).get() as IndexRow | undefined;
        // Row 0 holds the first event's hash (which covers its event id): another ledger's index fails here.
        if (!first || !(await this.rowHolds(first, end))) throw new Error('row 0 does not describe the first line of this ledger');
        if (lastInFile && !(await this.rowHolds(last, end))) throw new Error(`row ${last.sequence} does not describe its line`);
        // A row deleted would turn a lookup into a miss (and let an event id be reused).
        const n = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
        if (n !== last.sequence + 1) throw new Error(`${n} rows for sequences 0..${last.sequence}`);
      }
      return db;
    } catch (e) {
      // Unreadable, corrupt or another ledger's: derived data, rebuilt (writer) or not used (reader).
      this.rejectedBecause = (e as Error).message;
      db?.close();
      return undefined;
    }
  }

  /**
   * The proof a writer (at open, or when another connection wrote) and `verify --store` run:
   * the schema is the one this code creates (an index redefined, say partial, would make a
   * lookup skip rows), SQLite's own check, then every row against its line (proveRows).
   * `full`: integrity_check, which also compares each index B-tree (the event-id and stream
   * ones the writer's checks consult, the query filters) with the table; otherwise quick_check,
   * O(N) and ~8x cheaper here, which does not (a page edited behind SQLite's back to desync an
   * index from the table is then left to verify --store).
   */
  private async proveAgainstLines(db: Db, end: number, full: boolean): Promise<{ rows: number; mismatch?: RowMismatch }> {
    const schema = JSON.stringify(db.prepare(SCHEMA_ROWS).all());
    if (schema !== expectedSchema()) return { rows: 0, mismatch: { sequence: -1, field: 'schema', reason: `the schema is not this version's: ${schema}` } };
    const check = db.pragma(full ? 'integrity_check(1)' : 'quick_check(1)', { simple: true });
    if (check !== 'ok') return { rows: 0, mismatch: { sequence: -1, field: 'database', reason: `${full ? 'integrity_check' : 'quick_check'}: ${String(check)}` } };
    return proveRows(db, this.view.fh, end, this.readOnly ? 'ignore' : 'mismatch');
  }

  /**
   * True if `row` points at a whole line of the file (newline before and after, inside the
   * complete lines) with the row's hash and event id.
   */
  private async rowHolds(row: IndexRow, end: number): Promise<boolean> {
    // Compared by hash and event id, not by the sequence the line claims: in a damaged ledger
    // (a line cut out) positions and claims differ, and naming that is the verifier's job.
    const bytes = await this.lineAt(row, end);
    if (!bytes) return false;
    const r = identityOfLine(bytes);
    return r.hash === row.hash && r.event_id === row.event_id;
  }

  /**
   * The bytes of the line a row points at, if the offset and length frame a whole line. One
   * pread, done synchronously: a line's page is almost always cached, and a thread-pool round
   * trip would cost more than the read (this is on the append path, for the stream head).
   */
  async lineAt(row: Pick<IndexRow, 'offset' | 'length'>, end: number): Promise<Buffer | undefined> {
    const { offset, length } = row;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length + 1 > end) return undefined;
    const from = offset === 0 ? 0 : offset - 1;
    const buf = Buffer.alloc(offset + length + 1 - from);
    if (readSync(this.view.fh.fd, buf, 0, buf.length, from) !== buf.length) return undefined;
    if ((offset > 0 && buf[0] !== 0x0a) || buf[buf.length - 1] !== 0x0a) return undefined;
    const line = buf.subarray(offset - from, buf.length - 1);
    return line.includes(0x0a) ? undefined : line;
  }

  /** The row of `sequence` (database or reader's tail), for a read by offset. */
  async row(sequence: number): Promise<IndexRow | undefined> {
    await this.sync();
    return this.lookup(sequence);
  }

  /** The row of `sequence` in the database or the reader's in-memory rows, as they are now. */
  private lookup(sequence: number): IndexRow | undefined {
    const r = this.db && (this.stmt(`SELECT ${COLUMNS} FROM events WHERE sequence = ?`).get(sequence) as IndexRow | undefined);
    if (r) return r;
    const t = this.tailRows;
    return t.length > 0 && sequence >= t[0]!.sequence ? t[sequence - t[0]!.sequence] : undefined;
  }

  /**
   * The row of `sequence` as far as the index knows it already: a hint for locating one line.
   * A reader indexes no new lines for it (that would read up to maxUnindexed lines to find one
   * line the file's binary search finds in O(log n) small reads); the writer's index is current.
   */
  async knownRow(sequence: number): Promise<IndexRow | undefined> {
    return this.readOnly ? this.lookup(sequence) : this.row(sequence);
  }

  /** The rows of `sequences`, in the order given (one sync for all: a page of an index-served read). */
  async rows(sequences: readonly number[]): Promise<Array<IndexRow | undefined>> {
    await this.sync();
    const get = this.db && this.stmt(`SELECT ${COLUMNS} FROM events WHERE sequence = ?`);
    const t = this.tailRows;
    return sequences.map((sequence) => {
      const r = get?.get(sequence) as IndexRow | undefined;
      if (r) return r;
      return t.length > 0 && sequence >= t[0]!.sequence ? t[sequence - t[0]!.sequence] : undefined;
    });
  }

  private lastRow(db: Db): IndexRow | undefined {
    return db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY sequence DESC LIMIT 1`).get() as IndexRow | undefined;
  }

  /** Rows for the lines from the one after `after` (or the file start) to the end of complete lines. */
  private async *linesAfter(after: IndexRow | undefined, end: number): AsyncGenerator<IndexRow[]> {
    let sequence = after ? after.sequence + 1 : 0;
    let offset = after ? after.offset + after.length + 1 : 0;
    for await (const batch of readLineBatches(this.view.fh, offset, end)) {
      const rows: IndexRow[] = [];
      for (const bytes of batch) {
        rows.push(rowOfLine(bytes, sequence++, offset));
        offset += bytes.length + 1;
      }
      yield rows;
    }
  }

  /** Inserts rows in one transaction; a row whose unique key is taken (a damaged ledger) keeps its position only. */
  private insertRows(db: Db, rows: IndexRow[]): void {
    const insert = db === this.db ? this.stmt(INSERT) : db.prepare(INSERT);
    db.transaction(() => {
      for (const r of rows) {
        try {
          insert.run(valuesOf(r));
        } catch (e) {
          if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
          insert.run(valuesOf({ ...r, hash: null, event_id: null, stream_id: null, stream_version: null }));
        }
      }
    })();
  }

  /** Indexes the lines after `after` into `db`: large transactions, so a rebuild or catch-up commits rarely. */
  private async insertLinesAfter(db: Db, after: IndexRow | undefined, end: number): Promise<void> {
    let pending: IndexRow[] = [];
    for await (const rows of this.linesAfter(after, end)) {
      for (const r of rows) pending.push(r);
      if (pending.length >= ROWS_PER_TRANSACTION) {
        this.insertRows(db, pending);
        pending = [];
      }
    }
    if (pending.length > 0) this.insertRows(db, pending);
  }

  /** Reader: opens index.sqlite if it appeared or was replaced (rebuilt) since it was opened. */
  private async reopenIfReplaced(): Promise<void> {
    let ino: number | undefined;
    try {
      const st = await lstat(this.path);
      ino = st.isFile() ? st.ino : undefined;
    } catch {
      ino = undefined;
    }
    if (ino === this.checkedIno) return;
    this.db?.close();
    this.db = ino === undefined ? undefined : await this.openChecked(true);
    this.checkedIno = ino;
  }

  /** True if more bytes of the file lie past the database's last row than before it. */
  private async mostlyBehind(db: Db): Promise<boolean> {
    const last = this.lastRow(db);
    const indexed = last ? last.offset + last.length + 1 : 0;
    return (await this.view.current()).end - indexed > indexed;
  }

  /** Writer: indexes the lines past the database's last row. */
  private async catchUp(): Promise<void> {
    this.dropPending(); // their lines are past the last row: indexed below
    const db = this.db!;
    const { end } = await this.view.current();
    const last = this.lastRow(db);
    await this.insertLinesAfter(db, last, end);
    this.behind = false;
    // A catch-up that inserted rows committed them in large transactions: their WAL goes back
    // now. One that found nothing to do starts no thread (every writer's open catches up).
    if (this.lastRow(db)?.sequence !== last?.sequence) this.committed(CHECKPOINT_ROWS);
  }

  /** Reader: the rows past the database's last row, refreshed from the file's new lines. */
  private async sync(flush = true): Promise<void> {
    if (!this.readOnly) {
      if (flush) this.flush();
      if (this.behind) await this.catchUp();
      await this.reproveIfChanged(); // the append path's lookups (event id, stream head) come through here
      this.bound = { tip: (await this.view.current()).tip.sequence_number, split: Number.MAX_SAFE_INTEGER };
      return;
    }
    await this.reopenIfReplaced();
    const { tip, end } = await this.view.current();
    try {
      await this.syncTail(tip, end);
    } finally {
      this.bound = { tip: tip.sequence_number, split: this.tailRows[0]?.sequence ?? Number.MAX_SAFE_INTEGER };
    }
  }

  private async syncTail(tip: Tip, end: number): Promise<void> {
    const dbLast = this.db ? this.lastRow(this.db) : undefined;
    const t = this.tailRows;
    // Drop what the database now covers; continue after whichever is further.
    const dbSeq = dbLast?.sequence ?? -1;
    if (t.length > 0 && t[0]!.sequence <= dbSeq) this.tailRows = t.slice(Math.min(t.length, dbSeq + 1 - t[0]!.sequence));
    const from = this.tailRows.at(-1) ?? dbLast;
    const behind = tip.sequence_number - (from?.sequence ?? -1);
    if (behind <= 0) return;
    if (this.tailRows.length + behind > this.maxUnindexed) {
      throw new LedgerConnectionError(
        `${this.path}: the index is ${tip.sequence_number - dbSeq} events behind ${this.view.file} (a reader indexes at most ${this.maxUnindexed} in memory); open the store for writing once or run reindex`,
      );
    }
    for await (const rows of this.linesAfter(from, end)) this.tailRows.push(...rows);
  }

  /**
   * Writer, under the lock, before the line is written: refuses a record whose stream version
   * does not follow the stream's head or whose event id is held. A head or holder row that does
   * not describe its line means the index was tampered with: rebuilt, then checked again.
   */
  async checkAppend(records: readonly AppendRecord[]): Promise<void> {
    // Within the batch (sequences, repeated ids, versions) first; then each record against the
    // index, a stream's version only at its first record of the batch (the rest follow it).
    const firsts = new Set(checkBatchRecords(records, this.path).values());
    try {
      if (this.behind) await this.catchUp();
      await this.reproveIfChanged();
      for (const record of records) {
        for (let attempt = 0; ; attempt++) {
          const problem = await this.findConflict(record, firsts.has(record));
          if (problem === undefined) break;
          if (problem.row && !(await this.rowDescribes(problem.row)) && attempt === 0) {
            await this.rebuild();
            continue;
          }
          throw problem.error;
        }
      }
    } finally {
      this.confirmed = undefined;
    }
  }

  private async findConflict(record: AppendRecord, checkStream = true): Promise<{ error: Error; row?: IndexRow } | undefined> {
    const db = this.db!;
    const held = this.pendingIds.get(record.event_id) ?? (this.stmt(`SELECT ${COLUMNS} FROM events WHERE event_id = ?`).get(record.event_id) as IndexRow | undefined);
    if (held) return { row: held, error: new LedgerEventIdConflictError(record.event_id, held.sequence, 'the ledger already holds this event id; nothing was written') };
    if (!checkStream) return undefined;
    const { stream_id, stream_version } = record.fields;
    if (stream_id === undefined) return undefined;
    const head = this.headRow(stream_id);
    const actual = head?.stream_version ?? -1;
    const expected = (stream_version ?? 0) - 1;
    if (actual !== expected) return { row: head, error: new LedgerStreamConflictError(stream_id, expected, actual) };
    // The head agrees; it must also be true (a tampered row could let a version be repeated).
    if (head && !(await this.rowDescribes(head))) return { row: head, error: new LedgerCorruptionError(head.sequence, `${this.path}: the row of sequence ${head.sequence} does not describe its line`) };
    return undefined;
  }

  /** The row's line, read at its offset, holds exactly the row's sequence, hash, event id and stream fields. */
  private async rowDescribes(row: IndexRow): Promise<boolean> {
    if (!this.readOnly && this.confirmed !== undefined && sameRow(this.confirmed, row)) return true;
    const { end } = await this.view.current();
    const bytes = await this.lineAt(row, end);
    if (!bytes) return false;
    const r = identityOfLine(bytes);
    const holds = r.hash === row.hash && r.event_id === row.event_id && r.stream_id === row.stream_id && r.stream_version === row.stream_version;
    this.confirmed = holds && !this.readOnly ? row : undefined;
    return holds;
  }

  /** Writer, after the line is durable: its row. A failure leaves the index behind, caught up before its next use. */
  recordAppended(record: AppendRecord, offset: number, length: number, settle = true): void {
    const f = record.fields;
    const row: IndexRow = {
      sequence: record.sequence, hash: record.hash, event_id: record.event_id, event_type: f.event_type, actor: f.actor,
      framework_id: f.framework_id, timestamp: f.timestamp, stream_id: f.stream_id ?? null,
      stream_version: f.stream_id === undefined ? null : (f.stream_version ?? null), offset, length,
    };
    this.pending.push(row);
    this.pendingIds.set(row.event_id!, row);
    if (row.stream_id !== null) {
      this.heads.delete(row.stream_id); // re-inserted last: the oldest entry is the first
      this.heads.set(row.stream_id, row);
      if (this.heads.size > HEADS_MAX) this.heads.delete(this.heads.keys().next().value!);
    }
    // `settle`: false for all but a batch's last record, so a batch's rows go into one transaction.
    if (!settle) return;
    if (this.pending.length >= PENDING_MAX) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), PENDING_MS).unref();
  }

  /** Writer: the pending rows into the database, one transaction. A failure leaves the index behind, caught up before its next use. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.pendingIds.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.db) return;
    try {
      this.insertRows(this.db, rows);
      this.committed(rows.length);
    } catch {
      this.behind = true;
      this.heads.clear();
    }
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingIds.clear();
    this.heads.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Writer: the stream's newest row, pending or in the database. */
  private headRow(streamId: string): IndexRow | undefined {
    return this.heads.get(streamId) ?? (this.db && (this.stmt(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1`).get(streamId) as IndexRow | undefined));
  }

  /**
   * A point lookup, checked: the row's line, read at its offset, must carry the row's hash, event
   * id and stream fields. A row that does not is tampering: a writer rebuilds the index and asks
   * again; a reader refuses (it never writes the index).
   */
  private async checkedLookup(find: () => IndexRow | undefined, flush = true): Promise<IndexRow | undefined> {
    await this.sync(flush);
    for (let attempt = 0; ; attempt++) {
      const row = find();
      if (!row || (await this.rowDescribes(row))) return row;
      if (this.readOnly || attempt > 0) {
        throw new LedgerCorruptionError(row.sequence, `${this.path}: the index row of sequence ${row.sequence} does not describe the line at its offset; run reindex from a writer`);
      }
      await this.rebuild();
    }
  }

  private findRow(column: 'event_id' | 'hash', value: string): IndexRow | undefined {
    const t = this.tailRows.find((r) => r[column] === value);
    return t ?? (this.db && (this.stmt(`SELECT ${COLUMNS} FROM events WHERE ${column} = ?`).get(value) as IndexRow | undefined));
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    // On the append path (the ledger asks before every stream append): the writer's pending rows
    // answer without a commit; a reader's tail rows are newer than its database.
    const r = await this.checkedLookup(() => {
      if (!this.readOnly) return this.headRow(streamId);
      for (let i = this.tailRows.length - 1; i >= 0; i--) if (this.tailRows[i]!.stream_id === streamId) return this.tailRows[i];
      return this.db && (this.stmt(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1`).get(streamId) as IndexRow | undefined);
    }, false);
    return r && { stream_id: streamId, version: r.stream_version!, sequence: r.sequence, hash: r.hash ?? '' };
  }

  async *streamEntries(streamId: string, range: StreamRange = {}): AsyncIterable<IndexEntry & { readonly stream_version: number }> {
    await this.sync();
    const backward = range.direction === 'backward';
    const lo = backward ? (range.to ?? 0) : (range.from ?? 0);
    const hi = backward ? (range.from ?? Number.MAX_SAFE_INTEGER) : (range.to ?? Number.MAX_SAFE_INTEGER);
    let left = range.limit ?? Infinity;
    const tail = this.tailRows.filter((r) => r.stream_id === streamId && r.stream_version! >= lo && r.stream_version! <= hi && r.sequence <= this.bound.tip);
    const out = (r: IndexRow) => placed({ sequence: r.sequence, hash: r.hash ?? '', stream_version: r.stream_version! }, r);
    if (backward) for (const r of tail.reverse()) { if (left-- <= 0) return; yield out(r); }
    const db = this.db;
    if (db) {
      const sql = `SELECT sequence, hash, stream_version, offset, length FROM events WHERE stream_id = ? AND stream_version >= ? AND stream_version <= ? AND sequence <= ? AND sequence < ? ORDER BY stream_version ${backward ? 'DESC' : 'ASC'} LIMIT ${PAGE}`;
      const { tip, split } = this.bound;
      let [a, b] = [lo, hi];
      for (;;) {
        // Pages, not a live cursor: the connection stays free for appends between yields.
        const page = this.stmt(sql).all(streamId, a, b, tip, split) as IndexRow[];
        for (const r of page) { if (left-- <= 0) return; yield out(r); }
        if (page.length < PAGE) break;
        if (backward) b = page.at(-1)!.stream_version! - 1;
        else a = page.at(-1)!.stream_version! + 1;
      }
    }
    if (!backward) for (const r of tail) { if (left-- <= 0) return; yield out(r); }
  }

  async byEventId(eventId: string): Promise<IndexEntry | undefined> {
    const r = await this.checkedLookup(() => this.findRow('event_id', eventId));
    return r && entry(r);
  }

  async byHash(hash: string): Promise<IndexEntry | undefined> {
    const r = await this.checkedLookup(() => this.findRow('hash', hash));
    return r && entry(r);
  }

  async *query(q: IndexQuery): AsyncIterable<IndexEntry> {
    await this.sync();
    const backward = q.direction === 'backward';
    let left = q.limit ?? Infinity;
    // As of the call: appends made while the caller consumes the results are not mixed in.
    const { tip, split } = this.bound;
    const tail = this.tailRows.filter((r) => r.sequence <= tip && matches(r, q));
    if (backward) for (const r of tail.reverse()) { if (left-- <= 0) return; yield entry(r); }
    const db = this.db;
    if (db) {
      const where: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.event_type !== undefined) (where.push('event_type = @event_type'), (params.event_type = q.event_type));
      if (q.actor !== undefined) (where.push('actor = @actor'), (params.actor = q.actor));
      if (q.framework_id !== undefined) (where.push('framework_id = @framework_id'), (params.framework_id = q.framework_id));
      if (q.since !== undefined) (where.push('timestamp >= @since'), (params.since = q.since));
      if (q.until !== undefined) (where.push('timestamp <= @until'), (params.until = q.until));
      if (q.stream_id_prefix !== undefined) {
        where.push('stream_id >= @prefix');
        params.prefix = q.stream_id_prefix;
        const upper = prefixUpperBound(q.stream_id_prefix);
        if (upper !== undefined) (where.push('stream_id < @upper'), (params.upper = upper));
      }
      // Never past the tip the call started at (a reader's database may be ahead of its look at
      // the file), nor into the reader's tail.
      params.tip = tip;
      params.split = split;
      where.push('sequence <= @tip', 'sequence < @split', backward ? 'sequence < @cursor' : 'sequence > @cursor');
      const stmt = this.stmt(`SELECT sequence, hash, offset, length FROM events WHERE ${where.join(' AND ')} ORDER BY sequence ${backward ? 'DESC' : 'ASC'} LIMIT ${PAGE}`);
      let cursor = backward ? Number.MAX_SAFE_INTEGER : -1;
      for (;;) {
        const page = stmt.all({ ...params, cursor }) as IndexRow[];
        for (const r of page) { if (left-- <= 0) return; yield entry(r); }
        if (page.length < PAGE) break;
        cursor = page.at(-1)!.sequence;
      }
    }
    if (!backward) for (const r of tail) { if (left-- <= 0) return; yield entry(r); }
  }

  /**
   * Rebuilds index.sqlite from the lines: a new file built aside, fsync'd, renamed over the
   * old one (a crash leaves the old index or the new, never half of one). Writer only.
   */
  async rebuild(): Promise<number> {
    if (this.readOnly) throw new LedgerConnectionError(`${this.path}: the store is open read-only; rebuild the index from a writer`);
    this.dropPending(); // the lines are the source: the rebuild indexes them all
    await this.checkPaths();
    this.stopCheckpoints();
    this.db?.close();
    this.db = undefined;
    await this.buildAndSwap();
    return (await this.view.current()).tip.sequence_number + 1;
  }

  private async buildAndSwap(): Promise<void> {
    const temp = join(this.dir, `.${INDEX_FILE}.${process.pid}.${randomBytes(16).toString('hex')}.tmp`);
    const db = new Database(temp);
    try {
      db.pragma('journal_mode = OFF'); // a crash loses only the temporary file
      db.pragma('synchronous = OFF');
      db.pragma('cache_size = -65536'); // 64 MiB: the unique hash index takes rows in random order
      db.exec(SCHEMA);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('format', ?)`).run(FORMAT);
      const { end } = await this.view.current();
      await this.insertLinesAfter(db, undefined, end);
      db.exec(INDEXES); // built once over the rows: faster than kept up row by row
      db.pragma('journal_mode = WAL');
      db.close();
      const fh = await open(temp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      // Stale WAL and shared-memory files of the old database must never meet the new one.
      for (const suffix of ['-wal', '-shm']) await unlink(this.path + suffix).catch(() => undefined);
      await rename(temp, this.path);
      await fsyncDirectory(this.dir);
    } catch (e) {
      if (db.open) db.close();
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    const opened = await this.openChecked(false, true);
    if (!opened) throw new LedgerConnectionError(`${this.path}: the rebuilt index does not check out against ${this.view.file}`);
    this.db = opened;
    this.behind = false;
  }

  close(): void {
    this.flush();
    // The writer's connection must be the last to close (SQLite then folds the WAL back in).
    this.stopCheckpoints();
    // Back to a rollback journal when the writer leaves: SQLite then removes its -wal and -shm
    // files, and a read-only opener (follow, serve, verify) creates none of its own. Busy (a
    // reader mid-query) just leaves WAL on; the next writer sets it again either way.
    if (this.db && !this.readOnly) {
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch {
        /* WAL stays: harmless */
      }
    }
    this.db?.close();
    this.db = undefined;
  }
}
