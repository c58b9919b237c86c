// The explorer's HTTP server: a read-only JSON API over one ledger and the page that shows it.
// It never writes: the caller opens the store read-only, every route is a GET, and the only
// state kept is the ledger handle. Payloads are untrusted; the page renders them as text and
// the Content-Security-Policy forbids inline script, so a payload cannot become code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { LedgerNotFoundError, LedgerValidationError } from '../errors/errors.js';
import type { LedgerEvent } from '../contract/event.js';
import { canonicalJson } from '../contract/canonicalJson.js';
import { sha256 } from '../contract/hash.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ProjectionRegistry } from '../../projections/projectionRegistry.js';
import { ReplayEngine } from '../../replay/replayEngine.js';
import type { ApiError, EventDetail, EventsPage, EventSummary, SearchResponse, StateResponse, StreamPage, TipResponse, VerifyOutcome, VerifyProgress } from './apiTypes.js';
import { INDEX_HTML, STYLE_CSS } from './page.js';
import type { NoteVerifier } from '../proofs/note.js';
import { checkKnown, errorBody, HttpError, parseInteger } from './apiInput.js';
import { registerProofRoutes } from './explorerProofs.js';
import { parseSearchQuery, search, streamPage, summary } from './explorerSearch.js';

export interface ExplorerOptions {
  /** The ledger to show, opened over a read-only store. */
  readonly ledger: Ledger;
  /** Projections for GET /api/state; without them the route answers 404. */
  readonly projections?: ProjectionRegistry;
  /** Warnings from replay (skipped snapshots). */
  readonly warn?: (message: string) => void;
  /** The log's verifier key: GET /api/checkpoint then says whether the signature holds. */
  readonly logKey?: NoteVerifier;
  /**
   * Witnesses' cosignature verifier keys: each cosignature line by one of them is checked. Given
   * by whoever starts the explorer, never read from beside the ledger: whoever can write the
   * ledger's files could plant a key of their own there.
   */
  readonly witnessKeys?: readonly NoteVerifier[];
  /** A directory of earlier signed checkpoints, each shown and checked for consistency with the latest. */
  readonly checkpointsDir?: string;
  /** Where a store without a directory keeps its latest checkpoint (immudb: the key merkle/<prefix>checkpoint). */
  readonly readLatestCheckpoint?: () => Promise<string | undefined>;
}

/** Largest page of the timeline. */
export const MAX_PAGE = 500;
/** Events one timeline request reads at most while filtering; the page's `next` resumes after them. */
export const SCAN_BUDGET = 20_000;

/** Sent with every answer, API and page alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/**
 * A fastify instance serving the explorer for `options.ledger` (not yet listening).
 * `loopbackOnly`: refuse requests whose Host header is not a loopback name, so a web page on
 * another origin cannot reach the API through DNS rebinding.
 */
export function createExplorer(options: ExplorerOptions & { readonly loopbackOnly?: boolean }): FastifyInstance {
  if (!existsSync(`${WEB_DIR}main.js`)) {
    throw new Error(`the explorer page is not built (no ${WEB_DIR}main.js): run npm run build`);
  }
  const { ledger, projections } = options;
  const app = Fastify({ logger: false });

  app.addHook('onRequest', async (request, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (options.loopbackOnly && !LOOPBACK_HOST.test(request.headers.host ?? '')) {
      throw new HttpError(403, 'FORBIDDEN_HOST', `host ${JSON.stringify(request.headers.host ?? '')} is not a loopback address`);
    }
  });

  app.setErrorHandler((error: unknown, _request, reply) => {
    const body = errorBody(error);
    void reply.status(body.status).send(body.error);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } } satisfies ApiError);
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(INDEX_HTML));
  app.get('/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE_CSS));
  void app.register(fastifyStatic, { root: WEB_DIR, prefix: '/web/', index: false, list: false, dotfiles: 'deny', serveDotFiles: false, allowedPath: (path) => path.endsWith('.js') });

  app.get('/api/tip', async (): Promise<TipResponse> => ledger.getTip());

  app.get('/api/events', async (request): Promise<EventsPage> => timeline(ledger, parseTimelineQuery(request.query as Record<string, unknown>)));

  app.get('/api/events/:seq', async (request): Promise<EventDetail> => {
    const seq = parseInteger('params.seq', (request.params as Record<string, unknown>).seq, 0);
    const event = await ledger.read(seq);
    const tip = (await ledger.getTip()).sequence_number;
    const previous = seq > 0 ? { sequence: seq - 1, hash: (await ledger.read(seq - 1)).hash } : null;
    const next = seq < tip ? { sequence: seq + 1, previous_hash: (await ledger.read(seq + 1)).previous_hash } : null;
    const { hash: _stored, ...content } = event;
    return { event: event as unknown as EventDetail['event'], content_hash: sha256(canonicalJson(content)), previous, next };
  });

  app.get('/api/verify', async (request, reply) => streamVerify(ledger, request, reply));

  app.get('/api/search', async (request): Promise<SearchResponse> => search(ledger, parseSearchQuery(request.query as Record<string, unknown>)));

  app.get('/api/stream', async (request): Promise<StreamPage> => streamPage(ledger, request.query as Record<string, unknown>));

  registerProofRoutes(app, { ledger, logKey: options.logKey, witnessKeys: options.witnessKeys, checkpointsDir: options.checkpointsDir, readLatestCheckpoint: options.readLatestCheckpoint });

  app.get('/api/state', async (request): Promise<StateResponse> => {
    if (!projections) throw new HttpError(404, 'NO_PROJECTIONS', 'the explorer was started without --projections');
    const seq = parseInteger('query.seq', (request.query as Record<string, unknown>).seq, 0);
    const tip = (await ledger.getTip()).sequence_number;
    if (seq > tip) throw new LedgerNotFoundError(seq, `no event at sequence ${seq}: the tip is ${tip}`);
    const engine = new ReplayEngine(ledger, { projections, logger: { warn: options.warn ?? (() => undefined) } });
    const result = await engine.replay({ to: seq });
    return { sequence: result.sequence, states: result.states as Record<string, unknown> };
  });

  return app;
}

// ---- the timeline -------------------------------------------------------------------------

interface TimelineQuery {
  readonly from: number;
  readonly limit: number;
  readonly type?: string;
  readonly actor?: string;
  readonly since?: number;
  readonly until?: number;
}

function parseTimelineQuery(q: Record<string, unknown>): TimelineQuery {
  checkKnown(q, ['from', 'limit', 'type', 'actor', 'since', 'until']);
  const limit = q.limit === undefined ? 50 : parseInteger('query.limit', q.limit, 1);
  if (limit > MAX_PAGE) throw new LedgerValidationError('query.limit', `at most ${MAX_PAGE}`, limit);
  return {
    from: q.from === undefined ? 0 : parseInteger('query.from', q.from, 0),
    limit,
    ...optionalText(q, 'type'),
    ...optionalText(q, 'actor'),
    ...optionalTime(q, 'since'),
    ...optionalTime(q, 'until'),
  };
}

async function timeline(ledger: Ledger, q: TimelineQuery): Promise<EventsPage> {
  const tip = (await ledger.getTip()).sequence_number;
  const events: EventSummary[] = [];
  if (q.from > tip) return { events, next: null, tip, scanned: null };
  const last = Math.min(tip, q.from + SCAN_BUDGET - 1);
  let seen = q.from - 1;
  for await (const e of ledger.readRange(q.from, last)) {
    seen = e.sequence;
    if (!matches(e, q)) continue;
    events.push(summary(e));
    if (events.length === q.limit) break;
  }
  return { events, next: seen < tip ? seen + 1 : null, tip, scanned: { from: q.from, to: seen } };
}

function matches(e: LedgerEvent, q: TimelineQuery): boolean {
  if (q.type !== undefined && e.event_type !== q.type) return false;
  if (q.actor !== undefined && e.provenance.actor !== q.actor) return false;
  if (q.since === undefined && q.until === undefined) return true;
  const t = Date.parse(e.timestamp);
  return (q.since === undefined || t >= q.since) && (q.until === undefined || t <= q.until);
}

// ---- verify, streamed ---------------------------------------------------------------------

/** Server-sent events: `progress` {count, total} as the chain is walked, then `result`. */
async function streamVerify(ledger: Ledger, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const total = (await ledger.getTip()).sequence_number + 1;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
  let open = true;
  request.raw.on('close', () => (open = false));
  const send = (event: string, data: VerifyProgress | VerifyOutcome | ApiError) => {
    if (open) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  send('progress', { count: 0, total });
  try {
    const r = await ledger.verifyChain(0, undefined, {
      progressEvery: Math.max(1, Math.ceil(total / 100)),
      onProgress: (count) => send('progress', { count, total }),
    });
    send('result', { valid: r.valid, break_at: r.break_at, count: r.count, ...(r.reason === undefined ? {} : { reason: r.reason }) });
  } catch (e) {
    send('failure', errorBody(e).error);
  }
  res.end();
}

// ---- input and errors ---------------------------------------------------------------------

function optionalText(q: Record<string, unknown>, field: 'type' | 'actor'): { [K in typeof field]?: string } {
  const v = q[field];
  if (v === undefined || v === '') return {};
  if (typeof v !== 'string') throw new LedgerValidationError(`query.${field}`, 'expected one value', v);
  return { [field]: v };
}

function optionalTime(q: Record<string, unknown>, field: 'since' | 'until'): { [K in typeof field]?: number } {
  const v = q[field];
  if (v === undefined || v === '') return {};
  const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new LedgerValidationError(`query.${field}`, 'expected an ISO-8601 time like 2026-01-01T00:00:00Z', v);
  return { [field]: t };
}
