// The explorer's search box and stream view. Users refer to an event by its sequence, its hash or
// its event_id, and to a stream by its id: one string is read as each of these it can be, and
// each lookup goes through the ledger's index-served reads (getByHash, getByEventId,
// streamHead, readStream), which read the event from the store and check its line, hash and
// what the index claimed of it. A lying index therefore yields an error or nothing, never
// another event. The string is only ever a lookup key: it is never joined to a path.
import { LedgerValidationError, isLedgerError } from '../errors/errors.js';
import type { LedgerEvent } from '../contract/event.js';
import type { Ledger } from '../ledger/ledger.js';
import { checkKnown, parseInteger } from './apiInput.js';
import type { EventSummary, SearchHit, SearchKind, SearchResponse, StreamEventSummary, StreamPage } from './apiTypes.js';

/** Longest search string: far above a stream id anyone types, far below a request's limits. */
export const MAX_QUERY = 1024;
/** Largest page of a stream. */
export const MAX_STREAM_PAGE = 500;

const SEQUENCE = /^(0|[1-9]\d{0,15})$/;
const HASH = /^(sha256:)?[0-9a-fA-F]{64}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const summary = (e: LedgerEvent): EventSummary => ({ sequence: e.sequence, timestamp: e.timestamp, event_type: e.event_type, actor: e.provenance.actor, hash: e.hash });

/** The search string of `?q=`, checked: one non-empty value of at most MAX_QUERY characters. */
export function parseSearchQuery(q: Record<string, unknown>): string {
  checkKnown(q, ['q']);
  const v = q.q;
  if (typeof v !== 'string') throw new LedgerValidationError('query.q', v === undefined ? 'expected a sequence, a hash, an event id or a stream id' : 'expected one value', v);
  if (v.trim().length === 0) throw new LedgerValidationError('query.q', 'is empty', v);
  if (v.length > MAX_QUERY) throw new LedgerValidationError('query.q', `is ${v.length} characters; at most ${MAX_QUERY}`, `${v.slice(0, 64)}…`);
  return v;
}

/**
 * Every reading of `q` that names something. Surrounding whitespace is ignored for the readings
 * that cannot contain it (sequence, hash, uuid); a stream id is looked up exactly as typed, and
 * also trimmed when that differs. Hex is read in either case (the ledger writes lowercase).
 */
export async function search(ledger: Ledger, q: string): Promise<SearchResponse> {
  const t = q.trim();
  const readings: Array<{ kind: SearchKind; look: () => Promise<SearchHit | undefined> }> = [];
  if (SEQUENCE.test(t) && Number.isSafeInteger(Number(t))) {
    const seq = Number(t);
    readings.push({
      kind: 'sequence',
      look: async () => (seq <= (await ledger.getTip()).sequence_number ? { kind: 'sequence', event: summary(await ledger.read(seq)) } : undefined),
    });
  }
  if (HASH.test(t)) {
    const hash = `sha256:${t.slice(t.length - 64).toLowerCase()}`;
    readings.push({ kind: 'hash', look: async () => ((e) => e && { kind: 'hash' as const, event: summary(e) })(await ledger.getByHash(hash)) });
  }
  if (UUID.test(t)) {
    const id = t.toLowerCase();
    readings.push({ kind: 'event_id', look: async () => ((e) => e && { kind: 'event_id' as const, event: summary(e) })(await ledger.getByEventId(id)) });
  }
  for (const id of new Set([q, t])) {
    if (id.length === 0) continue;
    readings.push({
      kind: 'stream',
      look: async () => ((h) => h && { kind: 'stream' as const, stream: { stream_id: h.stream_id, version: h.version, sequence: h.sequence, hash: h.hash } })(await ledger.streamHead(id)),
    });
  }
  const hits: SearchHit[] = [];
  const errors: Array<SearchResponse['errors'][number]> = [];
  for (const r of readings) {
    try {
      const hit = await r.look();
      if (hit) hits.push(hit);
    } catch (e) {
      // A corrupt index or store is reported for that reading; the others still answer.
      if (!isLedgerError(e)) throw e;
      errors.push({ kind: r.kind, code: e.code, message: e.message });
    }
  }
  return { q, tried: [...new Set(readings.map((r) => r.kind))], hits, errors };
}

/** GET /api/stream?id=ID&from=V&limit=N: versions from V (default 0), in order, at most N (default 50). */
export async function streamPage(ledger: Ledger, q: Record<string, unknown>): Promise<StreamPage> {
  checkKnown(q, ['id', 'from', 'limit']);
  const id = q.id;
  if (typeof id !== 'string' || id.length === 0) throw new LedgerValidationError('query.id', 'expected one non-empty stream id', id);
  if (id.length > MAX_QUERY) throw new LedgerValidationError('query.id', `is ${id.length} characters; at most ${MAX_QUERY}`, `${id.slice(0, 64)}…`);
  const from = q.from === undefined ? 0 : parseInteger('query.from', q.from, 0);
  const limit = q.limit === undefined ? 50 : parseInteger('query.limit', q.limit, 1);
  if (limit > MAX_STREAM_PAGE) throw new LedgerValidationError('query.limit', `at most ${MAX_STREAM_PAGE}`, limit);
  const events: StreamEventSummary[] = [];
  let more = false;
  // One more than the page: whether a next page exists, without trusting the index's head.
  for await (const e of ledger.readStream(id, { from, limit: limit + 1 })) {
    if (events.length === limit) {
      more = true;
      break;
    }
    events.push({ ...summary(e), stream_version: e.stream_version! });
  }
  return { stream_id: id, events, next: more ? from + limit : null };
}
