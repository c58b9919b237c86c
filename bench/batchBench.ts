// Atomic batches (issue 22), paired (bench/paired.ts):
//   - a batch of 10 events (appendBatch) against 10 single appends, on a DirectoryStore: events/s
//     in interleaved blocks, and the synchronized writes to ledger.jsonl (and fsync/fdatasync
//     calls) per event, counted by strace over a child doing the same appends;
//   - our appendToStream with batches of 10 against Emmett's appendToStream on SQLite (WAL,
//     synchronous FULL) with the same batches of the same events.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger } from '../src/index.js';
import { benchInput } from './appendBench.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, pairedBlocks } from './paired.js';
import { emmettAppend, emmettRetryCount, loadEmmett, toEmmett, type EmmettStore } from './peersBench.js';

const BATCH = 10;
const CHILD = fileURLToPath(new URL('./batchChild.js', import.meta.url));

/** The events of batch `k`: inputs 10k..10k+9. */
const batchOf = (k: number) => Array.from({ length: BATCH }, (_, j) => benchInput(k * BATCH + j));

/** Synchronized writes to ledger.jsonl and fsync-family calls of a child appending `n` events in `mode`, by strace. */
function straceCounts(mode: 'single' | 'batch', n: number, dir: string): { ledgerWrites: number; syncs: number } {
  const out = join(dir, `strace-${mode}.txt`);
  execFileSync('strace', ['-f', '-qq', '-y', '-e', 'trace=write,pwrite64,writev,pwritev,fsync,fdatasync', '-e', 'signal=none', '-o', out, process.execPath, CHILD, mode, String(n), join(dir, `strace-${mode}`)], { stdio: 'ignore' });
  const lines = readFileSync(out, 'utf8').split('\n');
  return {
    ledgerWrites: lines.filter((l) => /\b(write|pwrite64|writev|pwritev)\(\d+<[^>]*ledger\.jsonl>/.test(l)).length,
    syncs: lines.filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length,
  };
}

/** Events per round (whole batches in every block of 50), the number of blocks, events per block. */
function sizes(o: BenchOptions): { n: number; blocks: number; perBlock: number } {
  const n = Math.ceil(o.appendEvents / (BATCH * 5)) * BATCH * 5;
  const blocks = Math.max(1, n / (BATCH * 5));
  return { n, blocks, perBlock: n / blocks };
}

export async function batchBench(o: BenchOptions): Promise<BenchRow[]> {
  return [...(await batchVsSingle(o)), ...(await batchVsEmmett(o))];
}

/** appendBatch of 10 against 10 single appends: events/s, and synchronized writes by strace. */
export async function batchVsSingle(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { n, blocks, perBlock } = sizes(o);

  // ---- a batch of 10 vs 10 single appends -------------------------------------------------------
  const ledgers: Record<string, Ledger[]> = { batch: [], single: [] };
  const side = (name: 'batch' | 'single') => async (r: number, b: number) => {
    if (b === 0) ledgers[name]![r] = await Ledger.open(await DirectoryStore.open(join(o.dir, `${name}-${r}`)));
    const ledger = ledgers[name]![r]!;
    const from = b * perBlock;
    const t0 = process.hrtime.bigint();
    if (name === 'single') for (let i = from; i < from + perBlock; i++) await ledger.append(benchInput(i));
    else for (let k = from / BATCH; k < (from + perBlock) / BATCH; k++) await ledger.appendBatch(batchOf(k));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (b === blocks - 1) await ledger.close();
    return { work: perBlock, seconds };
  };
  const vsSingle = await pairedBlocks(o.rounds, blocks, { batch: side('batch'), single: side('single') }, (l) => o.log(`batch vs single ${l}`));
  const counted = Math.min(n, 1000);
  const single = straceCounts('single', counted, o.dir);
  const batch = straceCounts('batch', counted, o.dir);
  const s = vsSingle.ratio('batch', 'single');
  rows.push({
    bench: 'batch', metric: `durable appends: appendBatch of ${BATCH} (DirectoryStore)`, value: vsSingle.summary('batch').median, unit: 'events/s',
    baseline: { metric: `${BATCH} single Ledger.append calls`, value: vsSingle.summary('single').median },
    ratio: s.median, ratioSpread: s,
    note: `ratio ${formatRatio(s)}; ${n} events per round in ${blocks} interleaved blocks. strace over ${counted} events: synchronized (O_DSYNC) writes to ledger.jsonl ${batch.ledgerWrites} batched vs ${single.ledgerWrites} single (${(single.ledgerWrites / Math.max(1, batch.ledgerWrites)).toFixed(1)}x fewer); fsync/fdatasync calls ${batch.syncs} vs ${single.syncs}`,
  });
  rows.push({ bench: 'batch', metric: 'synchronized writes to ledger.jsonl per event (strace): batches of 10', value: batch.ledgerWrites / counted, unit: 'writes/event', baseline: { metric: 'single appends', value: single.ledgerWrites / counted } });

  return rows;
}

/** Our appendToStream against Emmett's on SQLite, the same batches of 10 events. */
export async function batchVsEmmett(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { n, blocks, perBlock } = sizes(o);
  const getSQLiteEventStore = await loadEmmett(o.log);
  const ours: Ledger[] = [];
  const theirs: EmmettStore[] = [];
  const retriesBefore = emmettRetryCount();
  const vsEmmett = await pairedBlocks(
    o.rounds,
    blocks,
    {
      ledger: async (r, b) => {
        if (b === 0) ours[r] = await Ledger.open(await DirectoryStore.open(join(o.dir, `ours-${r}`)));
        const t0 = process.hrtime.bigint();
        for (let k = (b * perBlock) / BATCH; k < ((b + 1) * perBlock) / BATCH; k++) await ours[r]!.appendToStream('bench', batchOf(k));
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (b === blocks - 1) await ours[r]!.close();
        return { work: perBlock, seconds };
      },
      emmett: async (r, b) => {
        if (b === 0) {
          theirs[r] = getSQLiteEventStore({ fileName: join(o.dir, `emmett-${r}.db`) });
          await emmettAppend(theirs[r]!, 'warmup', [toEmmett(benchInput(0))]); // schema created outside the timing
        }
        const t0 = process.hrtime.bigint();
        for (let k = (b * perBlock) / BATCH; k < ((b + 1) * perBlock) / BATCH; k++) await emmettAppend(theirs[r]!, 'bench', batchOf(k).map(toEmmett));
        return { work: perBlock, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
      },
    },
    (l) => o.log(`batch vs emmett ${l}`),
  );
  const e = vsEmmett.ratio('ledger', 'emmett');
  rows.push({
    bench: 'batch', metric: `durable batches of ${BATCH}: Ledger.appendToStream (DirectoryStore)`, value: vsEmmett.summary('ledger').median, unit: 'events/s',
    baseline: { metric: `Emmett 0.38.5 appendToStream of the same ${BATCH} events, SQLite (WAL, synchronous FULL)`, value: vsEmmett.summary('emmett').median },
    ratio: e.median, ratioSpread: e, note: `ratio ${formatRatio(e)}; ${n} events per round in ${blocks} interleaved blocks; Emmett SQLITE_BUSY retries: ${emmettRetryCount() - retriesBefore}`,
  });
  return rows;
}
