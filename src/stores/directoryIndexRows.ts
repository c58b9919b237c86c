// What a row of the directory store's index.sqlite says about its line of ledger.jsonl, and the
// proof that every row says exactly that (issue 21 §2). A row answers negative questions too
// ("no event holds this id", "no later version of this stream", "no other event of this type"),
// and a negative answer cannot be checked from the row that is not there: only an index whose
// every row was compared with its line, in one streamed pass, may give one.
import type Database from 'better-sqlite3';
import type { FileHandle } from 'node:fs/promises';
import { readLineBatches } from '../contract/lineReader.js';

/** One row: where a line is and the fields the queries filter on (null where a line is damaged). */
export interface IndexRow {
  readonly sequence: number;
  readonly hash: string | null;
  readonly event_id: string | null;
  readonly event_type: string | null;
  readonly actor: string | null;
  readonly framework_id: string | null;
  readonly timestamp: string | null;
  readonly stream_id: string | null;
  readonly stream_version: number | null;
  /** Byte offset of the line in ledger.jsonl and its length without the newline. */
  readonly offset: number;
  readonly length: number;
}

export const ROW_COLUMNS = 'sequence, hash, event_id, event_type, actor, framework_id, timestamp, stream_id, stream_version, offset, length';
/** The columns compared with the line, in the order a difference is named. */
const FIELDS = ['offset', 'length', 'hash', 'event_id', 'event_type', 'actor', 'framework_id', 'timestamp', 'stream_id', 'stream_version'] as const;
/** The columns the table keeps unique; a row of a damaged ledger that repeats one keeps its position only. */
const IDENTITY = ['hash', 'event_id', 'stream_id', 'stream_version'] as const;
/** Where each column is in a raw row (ROW_COLUMNS order). */
const COLUMN_AT: Record<(typeof FIELDS)[number], number> = {
  hash: 1, event_id: 2, event_type: 3, actor: 4, framework_id: 5, timestamp: 6, stream_id: 7, stream_version: 8, offset: 9, length: 10,
};
/** Rows read per page of the pass (a page, not a live cursor: the connection stays usable). */
const PAGE_ROWS = 4096;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The row of a stored line at `offset`. Lenient on purpose: a damaged line still gets a row
 * (its position), with null where a field cannot be read; finding and naming the damage is the
 * verifier's job, and the Ledger checks every line it reads.
 */
export function rowOfLine(bytes: Buffer, sequence: number, offset: number): IndexRow {
  let e: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(strictUtf8.decode(bytes));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) e = v as Record<string, unknown>;
  } catch {
    /* a damaged line: a row with its position only */
  }
  const p = (e.provenance !== null && typeof e.provenance === 'object' ? e.provenance : {}) as Record<string, unknown>;
  const sid = str(e.stream_id);
  const sv = sid !== null && Number.isSafeInteger(e.stream_version) ? (e.stream_version as number) : null;
  return {
    sequence,
    hash: str(e.hash),
    event_id: str(e.event_id),
    event_type: str(e.event_type),
    actor: str(p.actor),
    framework_id: str(p.framework_id),
    timestamp: str(e.timestamp),
    stream_id: sv === null ? null : sid,
    stream_version: sv,
    offset,
    length: bytes.length,
  };
}

/** Where index.sqlite and ledger.jsonl first disagree. */
export interface RowMismatch {
  readonly sequence: number;
  /** The column that differs, or 'row' when the row is missing or has no line. */
  readonly field: string;
  readonly reason: string;
}

/** What the pass compared: rows checked, and the first disagreement if any. */
export interface RowProof {
  readonly rows: number;
  readonly mismatch?: RowMismatch;
}

const shown = (v: unknown): string => (v === null || v === undefined ? 'null' : JSON.stringify(v));

/**
 * Compares every row of `db` with the line it describes, in one pass over the rows (paged by
 * sequence) and the lines (streamed from byte 0 to `end`): flat memory, one JSON.parse a line.
 * Rows may stop before the lines (an index behind the file: caught up from the lines); with
 * `rowsPastEnd: 'mismatch'` a row past the last line is a mismatch (the writer, whose file
 * cannot grow under it), with 'ignore' it is left alone (a reader: its writer may be ahead).
 *
 * A row of a damaged ledger whose hash, event id or stream version repeats an earlier line's
 * keeps its position only (the unique constraints): accepted only if an earlier row holds one
 * of those values, else a row emptied to hide an event id would pass.
 */
export async function proveRows(db: Database.Database, fh: FileHandle, end: number, rowsPastEnd: 'mismatch' | 'ignore'): Promise<RowProof> {
  // Raw rows (arrays in ROW_COLUMNS order): a third of the cost of row objects, measured.
  const page = db.prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE sequence > ? ORDER BY sequence LIMIT ${PAGE_ROWS}`).raw();
  let rows: unknown[][] = [];
  let at = 0;
  let after = -1;
  const next = (): unknown[] | undefined => {
    if (at === rows.length) {
      rows = page.all(after) as unknown[][];
      at = 0;
      if (rows.length === 0) return undefined;
    }
    const r = rows[at++]!;
    after = r[0] as number;
    return r;
  };
  let sequence = 0;
  let offset = 0;
  for await (const batch of readLineBatches(fh, 0, end)) {
    for (const bytes of batch) {
      const raw = next();
      if (raw === undefined) return { rows: sequence };
      if (raw[0] !== sequence) {
        return { rows: sequence, mismatch: { sequence, field: 'row', reason: `no row for sequence ${sequence} (the next row is ${String(raw[0])})` } };
      }
      const want = rowOfLine(bytes, sequence, offset);
      let field = FIELDS.find((f) => raw[COLUMN_AT[f]] !== want[f]);
      if (field !== undefined && emptiedForRepeat(db, raw, want)) field = undefined;
      if (field !== undefined) {
        return {
          rows: sequence,
          mismatch: { sequence, field, reason: `the row of sequence ${sequence} has ${field} ${shown(raw[COLUMN_AT[field]])}, its line ${shown(want[field])}` },
        };
      }
      sequence++;
      offset += bytes.length + 1;
    }
  }
  const extra = next();
  if (extra !== undefined && rowsPastEnd === 'mismatch') {
    return { rows: sequence, mismatch: { sequence: extra[0] as number, field: 'row', reason: `a row for sequence ${String(extra[0])}, past the last line (sequence ${sequence - 1})` } };
  }
  return { rows: sequence };
}

/** True if the raw row is `want` with its unique columns emptied because an earlier row holds one of them. */
function emptiedForRepeat(db: Database.Database, raw: readonly unknown[], want: IndexRow): boolean {
  if (IDENTITY.some((f) => raw[COLUMN_AT[f]] !== null)) return false;
  if (FIELDS.some((f) => !(IDENTITY as readonly string[]).includes(f) && raw[COLUMN_AT[f]] !== want[f])) return false;
  const earlier = db.prepare(
    'SELECT 1 FROM events WHERE sequence < ? AND (hash = ? OR event_id = ? OR (stream_id = ? AND stream_version = ?)) LIMIT 1',
  ).get(want.sequence, want.hash, want.event_id, want.stream_id, want.stream_version);
  return earlier !== undefined;
}
