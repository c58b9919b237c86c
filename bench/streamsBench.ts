// Streams and queries (issue 13 §7), on the directory store:
//  (a) Ledger.append with stream_id + expected_version against a plain append, paired blocks
//      in one round (both fdatasync each event: the difference is the index and the check);
//  (b) in a ledger of N events (`--ledger N`): readStream of a 100-event stream and a query
//      returning 1,000 events, each against the full scan that answers the same question
//      without indexes (readSince + filter). The indexed reads must cost what they return.
//
//   npm run bench -- --only streams                      N = 20,000 (about a minute)
//   npm run bench -- --only streams --ledger 1000000     the 1M-event figure
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { DirectoryStore, GENESIS_HASH, Ledger, canonicalJson, sha256, type AppendInput } from '../src/index.js';
import { benchInput } from './appendBench.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, paired, pairedBlocks } from './paired.js';

const WARMUP = 20;
/** Streams the stream-append side cycles through: most appends extend an existing stream. */
const STREAMS = 100;
const TARGET_STREAM = 'bench/target';
const TARGET_EVENTS = 100;
const RARE_TYPE = 'session_end';
const RARE_EVENTS = 1000;

type Side = 'stream' | 'plain' | 'unindexed';

/**
 * Appends `count` events per block; the stream side passes stream_id and the version it expects.
 * The unindexed side is a plain append on a store whose index is switched off here, in the
 * bench only (its event-id check and row insert made no-ops): the index's share of a plain append.
 */
async function appender(dir: string, side: Side) {
  const withStreams = side === 'stream';
  const store = await DirectoryStore.open(dir);
  if (side === 'unindexed') {
    const idx = (store as unknown as { idx: { checkAppend(): Promise<void>; recordAppended(): void } }).idx;
    idx.checkAppend = async () => undefined;
    idx.recordAppended = () => undefined;
  }
  const ledger = await Ledger.open(store);
  const versions = new Map<string, number>();
  let i = 0;
  const one = async () => {
    const input: AppendInput = benchInput(i);
    if (!withStreams) await ledger.append(input as Parameters<typeof ledger.append>[0]);
    else {
      const stream_id = `bench/s-${i % STREAMS}`;
      const expected_version = versions.get(stream_id) ?? -1;
      const r = await ledger.append({ ...input, stream_id, expected_version } as Parameters<typeof ledger.append>[0]);
      versions.set(stream_id, r.stream_version!);
    }
    i++;
  };
  for (let k = 0; k < WARMUP; k++) await one();
  return {
    async block(count: number) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < count; k++) await one();
      return Number(process.hrtime.bigint() - t0) / 1e9;
    },
    close: () => ledger.close(),
  };
}

async function appendRatio(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.appendEvents;
  const blocks = Math.max(1, Math.round(n / 50));
  const current: Partial<Record<Side, Awaited<ReturnType<typeof appender>>>> = {};
  const side = (name: Side) => async (r: number, b: number) => {
    if (b === 0) current[name] = await appender(join(o.dir, `${name}-${r}`), name);
    const count = Math.floor(((b + 1) * n) / blocks) - Math.floor((b * n) / blocks);
    const seconds = await current[name]!.block(count);
    if (b === blocks - 1) await current[name]!.close();
    return { work: count, seconds };
  };
  const result = await pairedBlocks(o.rounds, blocks, { stream: side('stream'), plain: side('plain'), unindexed: side('unindexed') }, (l) => o.log(`streams append ${l}`));
  const ratio = result.ratio('stream', 'plain');
  const indexed = result.ratio('plain', 'unindexed');
  return [
    {
      bench: 'streams', metric: 'append with stream_id + expected_version, DirectoryStore', value: result.summary('stream').median, unit: 'events/s',
      baseline: { metric: 'plain Ledger.append', value: result.summary('plain').median }, ratio: ratio.median, ratioSpread: ratio,
      note: `ratio ${formatRatio(ratio)}; ${n} appends per round in ${blocks} interleaved blocks, ${STREAMS} streams`,
    },
    {
      bench: 'streams', metric: 'plain append with the index (event-id check + row insert)', value: result.summary('plain').median, unit: 'events/s',
      baseline: { metric: 'plain append, index switched off (bench only)', value: result.summary('unindexed').median }, ratio: indexed.median, ratioSpread: indexed,
      note: `ratio ${formatRatio(indexed)}; same blocks as the stream row`,
    },
  ];
}

/**
 * Writes an N-event ledger straight to ledger.jsonl (no fsync per event), as the byte contract
 * builds it: TARGET_EVENTS events of one stream and RARE_EVENTS of one type, spread evenly.
 * The store's indexes are then brought up to date when it opens (as after a crash).
 */
function generate(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'ledger.jsonl'), 'w');
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  const targetEvery = Math.floor(n / TARGET_EVENTS);
  const rareEvery = Math.floor(n / RARE_EVENTS);
  let previous = GENESIS_HASH;
  let version = 0;
  let buf: string[] = [];
  let size = 0;
  try {
    for (let i = 0; i < n; i++) {
      const input = benchInput(i);
      const target = i % targetEvery === 0 && version < TARGET_EVENTS;
      const rare = !target && i % rareEvery === 1;
      const event: Record<string, unknown> = {
        event_id: uuidv7(), event_type: rare ? RARE_TYPE : input.event_type, schema_version: input.schema_version,
        timestamp: new Date(base + i).toISOString(), provenance: input.provenance, previous_hash: previous,
        payload: rare ? { session_id: `sess-${i}` } : input.payload, sequence: i,
        ...(target ? { stream_id: TARGET_STREAM, stream_version: version++ } : {}),
      };
      const hash = sha256(canonicalJson(event));
      previous = hash;
      const line = canonicalJson({ ...event, hash });
      buf.push(line);
      size += line.length + 1;
      if (size > 8 << 20) {
        writeSync(fd, `${buf.join('\n')}\n`);
        buf = [];
        size = 0;
      }
    }
    if (buf.length > 0) writeSync(fd, `${buf.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}

async function readCosts(o: BenchOptions): Promise<BenchRow[]> {
  const n = ledgerSize(o);
  const dir = join(o.dir, 'big');
  let t0 = Date.now();
  generate(dir, n);
  o.log(`streams: generated ${n} events in ${Date.now() - t0} ms`);
  t0 = Date.now();
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  const indexMs = Date.now() - t0;
  o.log(`streams: opened (indexes brought up to date) in ${indexMs} ms`);
  try {
    const timed = async (want: number, events: AsyncIterable<unknown>) => {
      const s = process.hrtime.bigint();
      let got = 0;
      for await (const _ of events) got++;
      if (got !== want) throw new Error(`streams bench: expected ${want} events, got ${got}`);
      return Number(process.hrtime.bigint() - s) / 1e6;
    };
    async function* scan(keep: (e: { stream_id?: string; event_type: string }) => boolean) {
      for await (const e of ledger.readSince(-1)) if (keep(e)) yield e;
    }
    const result = await paired(o.rounds, {
      readStream: () => timed(TARGET_EVENTS, ledger.readStream(TARGET_STREAM)),
      scanStream: () => timed(TARGET_EVENTS, scan((e) => e.stream_id === TARGET_STREAM)),
      query: () => timed(RARE_EVENTS, ledger.query({ event_type: RARE_TYPE })),
      scanQuery: () => timed(RARE_EVENTS, scan((e) => e.event_type === RARE_TYPE)),
    }, (l) => o.log(`streams read ${l}`));
    const row = (metric: string, side: 'readStream' | 'query', baseline: 'scanStream' | 'scanQuery', returned: number): BenchRow => {
      const speedup = result.ratio(baseline, side);
      return {
        bench: 'streams', metric: `${metric} (${returned} of ${n} events)`, value: result.summary(side).median, unit: 'ms',
        baseline: { metric: 'readSince(-1) + filter', value: result.summary(baseline).median },
        ratio: speedup.median, ratioSpread: speedup,
        note: `ratio = scan time / indexed time, ${formatRatio(speedup)}; ${(result.summary(side).median * 1000 / returned).toFixed(1)} µs per event returned`,
      };
    };
    return [
      row('Ledger.readStream', 'readStream', 'scanStream', TARGET_EVENTS),
      row('Ledger.query by event_type', 'query', 'scanQuery', RARE_EVENTS),
      { bench: 'streams', metric: `DirectoryStore.open indexing ${n} events`, value: indexMs, unit: 'ms', note: 'ledger written without indexes; the store indexes it on open' },
    ];
  } finally {
    await ledger.close();
  }
}

/** The read part's ledger size, checked before anything runs. */
function ledgerSize(o: BenchOptions): number {
  const n = o.ledgerEvents ?? 20_000;
  if (n < RARE_EVENTS * 4) throw new Error(`--ledger: at least ${RARE_EVENTS * 4} events (the query returns ${RARE_EVENTS}), got ${n}`);
  return n;
}

/** Both parts; see the header. */
export async function streamsBench(o: BenchOptions): Promise<BenchRow[]> {
  ledgerSize(o);
  return [...(await appendRatio(o)), ...(await readCosts(o))];
}
