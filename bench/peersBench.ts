// The peer a TypeScript user would pick instead: Emmett with its SQLite store (WAL; SQLite's
// default synchronous=FULL syncs the WAL at every commit, so an acknowledged append is durable,
// as ours is). Same work on both sides, paired (bench/paired.ts):
//   - durable appends, one event per call: Ledger.append on a DirectoryStore against
//     appendToStream(stream, [event]), the same inputs, blocks alternating within each round;
//   - read and fold: a full replay (ReplayEngine.stateAt(tip), every event re-hashed and linked)
//     against aggregateStream with the same fold over the same events.
// Emmett lives in its own package (bench/peers: its peer dependencies, uuid 10 and commander 12,
// clash with the root's pins), installed with `npm ci --prefix bench/peers` when missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DirectoryStore, Ledger, ReplayEngine, canonicalJson, type AppendInput } from '../src/index.js';
import { benchInput } from './appendBench.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, paired, pairedBlocks, summarise } from './paired.js';
import { generateReplayLedger } from './replayBench.js';
import { benchProjection, type BenchState } from './replayBenchProjection.js';

/** bench/peers in the source tree (this file runs from dist/bench). */
const PEERS_DIR = fileURLToPath(new URL('../../bench/peers/', import.meta.url));

/** The slice of Emmett's SQLite store the bench uses (its types are not visible from the root). */
export interface EmmettEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}
export interface EmmettStore {
  appendToStream(stream: string, events: EmmettEvent[]): Promise<unknown>;
  aggregateStream<S>(stream: string, o: { evolve: (s: S, e: EmmettEvent) => S; initialState: () => S }): Promise<{ state: S }>;
}
export type GetStore = (o: { fileName: string }) => EmmettStore;

/** Installs bench/peers (once) and loads Emmett's SQLite store from it. */
export async function loadEmmett(log: (m: string) => void): Promise<GetStore> {
  if (!existsSync(join(PEERS_DIR, 'node_modules', '@event-driven-io', 'emmett-sqlite'))) {
    log(`peers: installing ${PEERS_DIR} (npm ci --prefix bench/peers; sqlite3 may build from source) ...`);
    execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', process.stderr, process.stderr] });
  }
  const resolved = createRequire(join(PEERS_DIR, 'package.json')).resolve('@event-driven-io/emmett-sqlite');
  const mod = (await import(pathToFileURL(resolved).href)) as { getSQLiteEventStore: GetStore };
  return mod.getSQLiteEventStore;
}

/**
 * Emmett 0.38.5's SQLite connection (node-sqlite3, statements not serialised) can fail a COMMIT
 * under load with SQLITE_BUSY "SQL statements in progress"; the transaction is rolled back, so
 * a user retries, and so does the bench, counting the retries (reported in the row's note).
 */
let emmettRetries = 0;
/** Emmett SQLITE_BUSY retries so far (this process). */
export const emmettRetryCount = (): number => emmettRetries;
export async function emmettAppend(store: EmmettStore, stream: string, events: EmmettEvent[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.appendToStream(stream, events);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 10) throw e;
      emmettRetries++;
    }
  }
}

export const toEmmett = (input: AppendInput): EmmettEvent => ({ type: input.event_type, data: input.payload as Record<string, unknown> });

/** benchProjection's fold, over Emmett's event shape. */
const emmettEvolve = (s: BenchState, e: EmmettEvent): BenchState => ({
  events: s.events + 1,
  byType: { ...s.byType, [e.type]: (s.byType[e.type] ?? 0) + 1 },
  signal: s.signal + (e.type === 'signal_delta' && typeof e.data.delta === 'number' ? e.data.delta : 0),
});

export async function peersBench(o: BenchOptions): Promise<BenchRow[]> {
  const getSQLiteEventStore = await loadEmmett(o.log);
  const rows: BenchRow[] = [];

  // ---- durable appends, one event per call --------------------------------------------------
  const n = o.appendEvents;
  const blocks = Math.max(1, Math.round(n / 50));
  const ledgers: Ledger[] = [];
  const stores: EmmettStore[] = [];
  const appends = await pairedBlocks(
    o.rounds,
    blocks,
    {
      ledger: async (r, b) => {
        if (b === 0) ledgers[r] = await Ledger.open(await DirectoryStore.open(join(o.dir, `ledger-${r}`)));
        const from = Math.floor((b * n) / blocks);
        const to = Math.floor(((b + 1) * n) / blocks);
        const t0 = process.hrtime.bigint();
        for (let i = from; i < to; i++) await ledgers[r]!.append(benchInput(i));
        const ns = process.hrtime.bigint() - t0;
        if (b === blocks - 1) await ledgers[r]!.close();
        return { work: to - from, seconds: Number(ns) / 1e9 };
      },
      emmett: async (r, b) => {
        if (b === 0) {
          stores[r] = getSQLiteEventStore({ fileName: join(o.dir, `emmett-${r}.db`) });
          await emmettAppend(stores[r]!, 'warmup', [toEmmett(benchInput(0))]); // schema created outside the timing
        }
        const from = Math.floor((b * n) / blocks);
        const to = Math.floor(((b + 1) * n) / blocks);
        const t0 = process.hrtime.bigint();
        for (let i = from; i < to; i++) await emmettAppend(stores[r]!, 'bench', [toEmmett(benchInput(i))]);
        return { work: to - from, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
      },
    },
    (l) => o.log(`peers append ${l}`),
  );
  const a = appends.ratio('ledger', 'emmett');
  rows.push({
    bench: 'peers', metric: 'durable appends, one event per call: Ledger.append (DirectoryStore)', value: appends.summary('ledger').median, unit: 'events/s',
    baseline: { metric: 'Emmett 0.38.5 appendToStream, SQLite (WAL, synchronous FULL)', value: appends.summary('emmett').median },
    ratio: a.median, ratioSpread: a, note: `ratio ${formatRatio(a)}; ${n} appends per round in ${blocks} interleaved blocks; same inputs; Emmett SQLITE_BUSY retries: ${emmettRetries}`,
  });

  // ---- read and fold ------------------------------------------------------------------------
  const events = Math.min(o.events, 100_000);
  const dir = join(o.dir, 'fold-ledger');
  generateReplayLedger(dir, events, [], join(o.dir, 'fold-snapshots'));
  const foldStore = getSQLiteEventStore({ fileName: join(o.dir, 'fold.db') });
  for (let i = 0; i < events; i += 1000) {
    const batch: EmmettEvent[] = [];
    for (let j = i; j < Math.min(events, i + 1000); j++) batch.push(toEmmett(benchInput(j)));
    await emmettAppend(foldStore, 'fold', batch);
  }
  const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
  let ours: BenchState | undefined;
  let theirs: BenchState | undefined;
  try {
    const tip = (await ledger.getTip()).sequence_number;
    const fold = await paired(
      o.rounds,
      {
        ledger: async () => {
          const engine = new ReplayEngine(ledger, { projections: [benchProjection], snapshots: false });
          const t0 = process.hrtime.bigint();
          ours = (await engine.stateAt(tip)).states.bench as BenchState;
          return (events * 1e9) / Number(process.hrtime.bigint() - t0);
        },
        emmett: async () => {
          const t0 = process.hrtime.bigint();
          theirs = (await foldStore.aggregateStream<BenchState>('fold', { evolve: emmettEvolve, initialState: () => benchProjection.initial })).state;
          return (events * 1e9) / Number(process.hrtime.bigint() - t0);
        },
      },
      (l) => o.log(`peers fold ${l}`),
    );
    if (canonicalJson(ours) !== canonicalJson(theirs)) throw new Error(`peers: the two folds differ: ${canonicalJson(ours)} vs ${canonicalJson(theirs)}`);
    const f = summarise(fold.values.ledger.map((v, r) => v / fold.values.emmett[r]!));
    rows.push({
      bench: 'peers', metric: 'read and fold: full replay (ReplayEngine.stateAt)', value: fold.summary('ledger').median, unit: 'events/s',
      baseline: { metric: 'Emmett aggregateStream, SQLite', value: fold.summary('emmett').median },
      ratio: f.median, ratioSpread: f, note: `ratio ${formatRatio(f)}; ${events} events, the same fold and the same final state; ours re-hashes and links every event`,
    });
  } finally {
    await ledger.close();
  }
  return rows;
}
