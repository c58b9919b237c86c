// append/s through Ledger.append on a DirectoryStore (validation, canonical JSON, SHA-256, one
// write + fdatasync per event) against a raw loop that writes the very same lines with
// write + fdatasync into the same directory, so both pay the same disk.
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { DirectoryStore, Ledger, type SeedAppendInput } from '../src/index.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, median, pairedBlocks } from './paired.js';

const WARMUP = 20;

const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-bench', actor: 'system' } as const;

/** A realistic append input (~300-byte line), varied per index. */
export function benchInput(i: number): SeedAppendInput {
  switch (i % 3) {
    case 0:
      return { event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id: `sess-${i}`, actor_id: `agent-${i % 17}`, purpose: 'benchmark run' } };
    case 1:
      return {
        event_type: 'node_creation', schema_version: '1.0.0', provenance,
        payload: { node_id: `node-${i}`, node_type: 'concept', label: `nœud n°${i} — café`, parent_id: i > 3 ? `node-${i - 3}` : null, attributes: { weight: '0.75', tags: ['a', 'b'], depth: i % 7 } },
      };
    default:
      return { event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: `node-${i - 1}`, signal: 'attention', delta: i % 2 ? 1 : '-0.25', reason: 'benchmark' } };
  }
}

/**
 * Records the event loop's delay while a block runs: the lateness of a 1 ms timer, tick by
 * tick, until the returned stop() is called. Not monitorEventLoopDelay toggled per block: its
 * first tick after enable() measures from its last tick before disable(), so the other sides'
 * blocks (tens of ms) would be counted as delay.
 */
function delayProbe(h: RecordableHistogram): () => void {
  let last = process.hrtime.bigint();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = process.hrtime.bigint();
    h.record(Math.max(1, Number(now - last) - 1e6));
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return () => clearTimeout(timer);
}

interface Run {
  perSec: number;
  p50: number;
  p99: number;
  /** CPU time (user + system, every thread of the process: the thread pool's too) per append, us. */
  cpuUs: number;
}

function summariseRun(latenciesNs: bigint[], totalNs: bigint, cpuUs: number): Run {
  const ms = latenciesNs.map((x) => Number(x) / 1e6).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  return { perSec: (latenciesNs.length * 1e9) / Number(totalNs), p50: q(0.5), p99: q(0.99), cpuUs: cpuUs / latenciesNs.length };
}

/**
 * One side of the comparison: opened for a round (with WARMUP appends), then asked for blocks
 * of appends that alternate with the other sides' blocks, then closed.
 */
interface Appender {
  /** Appends events `from` .. `from + count - 1`, pushing each latency. */
  block(from: number, count: number, lat: bigint[]): Promise<void> | void;
  close(): Promise<void> | void;
}

async function ledgerAppender(dir: string): Promise<Appender> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  for (let i = 0; i < WARMUP; i++) await ledger.append(benchInput(i));
  return {
    async block(from, count, lat) {
      for (let i = from; i < from + count; i++) {
        const s = process.hrtime.bigint();
        await ledger.append(benchInput(WARMUP + i));
        lat.push(process.hrtime.bigint() - s);
      }
    },
    close: () => ledger.close(),
  };
}

/** The exact lines (with newline) a ledger writes for WARMUP + n appends, for the raw loops. */
async function ledgerLines(dir: string, n: number): Promise<Buffer[]> {
  const store = await DirectoryStore.open(dir);
  const ledger = await Ledger.open(store);
  for (let i = 0; i < WARMUP + n; i++) await ledger.append(benchInput(i));
  await ledger.close();
  return readFileSync(store.file, 'utf8').split('\n').slice(0, -1).map((l) => Buffer.from(`${l}\n`, 'utf8'));
}

/** The raw loop with the API the store used before (fs/promises FileHandle: two hops). */
async function rawAsyncAppender(file: string, lines: Buffer[]): Promise<Appender> {
  const fh = await open(file, 'a');
  for (let i = 0; i < WARMUP; i++) {
    await fh.write(lines[i]!);
    await fh.datasync();
  }
  return {
    async block(from, count, lat) {
      for (let i = from; i < from + count; i++) {
        const s = process.hrtime.bigint();
        const b = lines[WARMUP + i]!;
        await fh.write(b, 0, b.length);
        await fh.datasync();
        lat.push(process.hrtime.bigint() - s);
      }
    },
    close: () => fh.close(),
  };
}

/** The rawest loop Node offers: writeSync + fdatasyncSync (blocks the event loop for each fsync). */
function rawSyncAppender(file: string, lines: Buffer[]): Appender {
  const fd = openSync(file, 'a');
  for (let i = 0; i < WARMUP; i++) {
    writeSync(fd, lines[i]!);
    fdatasyncSync(fd);
  }
  return {
    block(from, count, lat) {
      for (let i = from; i < from + count; i++) {
        const s = process.hrtime.bigint();
        writeSync(fd, lines[WARMUP + i]!);
        fdatasyncSync(fd);
        lat.push(process.hrtime.bigint() - s);
      }
    },
    close: () => closeSync(fd),
  };
}

type Side = 'ledger' | 'raw' | 'sync';

export async function appendBench(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.appendEvents;
  // Blocks of ~50 appends alternate between the sides within a round: fsync latency on a shared
  // disk drifts within seconds, and a whole round per side would pair different weather.
  const blocks = Math.max(1, Math.round(n / 50));
  const lines = await ledgerLines(join(o.dir, 'lines'), n);
  const lineBytes = lines.slice(WARMUP).reduce((sum, b) => sum + b.length, 0) / n;
  const runs: Record<Side, Run[]> = { ledger: [], raw: [], sync: [] };
  // How long the event loop is held up while appending: an append must never block it for an
  // fsync. Measured over the ledger's blocks and, for reference, over the raw async loop's.
  const delay: Record<'ledger' | 'raw', RecordableHistogram> = { ledger: createHistogram(), raw: createHistogram() };
  const open_: Record<Side, (r: number) => Promise<Appender> | Appender> = {
    ledger: (r) => ledgerAppender(join(o.dir, `ledger-${r}`)),
    raw: (r) => rawAsyncAppender(join(o.dir, `raw-${r}.jsonl`), lines),
    sync: (r) => rawSyncAppender(join(o.dir, `rawsync-${r}.jsonl`), lines),
  };
  const current: Partial<Record<Side, { appender: Appender; lat: bigint[]; ns: bigint; cpuUs: number }>> = {};
  const side = (name: Side) => async (r: number, b: number) => {
    if (b === 0) current[name] = { appender: await open_[name](r), lat: [], ns: 0n, cpuUs: 0 };
    const c = current[name]!;
    const from = Math.floor((b * n) / blocks);
    const count = Math.floor(((b + 1) * n) / blocks) - from;
    const h = name === 'sync' ? undefined : delay[name];
    // One turn of the event loop first: after the synchronous side's block the loop's cached
    // clock is that block's length behind, and the probe's first timer would fire at once.
    if (h) await new Promise((resolve) => setImmediate(resolve));
    const stop = h && delayProbe(h);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await c.appender.block(from, count, c.lat);
    const ns = process.hrtime.bigint() - t0;
    const cpu = process.cpuUsage(cpu0);
    stop?.();
    c.ns += ns;
    c.cpuUs += cpu.user + cpu.system;
    if (b === blocks - 1) {
      await c.appender.close();
      runs[name].push(summariseRun(c.lat, c.ns, c.cpuUs));
    }
    return { work: count, seconds: Number(ns) / 1e9 };
  };
  const result = await pairedBlocks(o.rounds, blocks, { ledger: side('ledger'), raw: side('raw'), sync: side('sync') }, (line) => o.log(`append ${line}`));
  const lat = (xs: Run[]) =>
    `p50 ${median(xs.map((x) => x.p50)).toFixed(3)} ms, p99 ${median(xs.map((x) => x.p99)).toFixed(3)} ms, CPU ${median(xs.map((x) => x.cpuUs)).toFixed(0)} us/append (medians over rounds)`;
  const loop = (h: RecordableHistogram) => `event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms, max ${(h.max / 1e6).toFixed(2)} ms`;
  const row = (metric: string, baseline: 'raw' | 'sync', baselineMetric: string, target: number, note: string): BenchRow => {
    const ratio = result.ratio('ledger', baseline);
    return {
      bench: 'append', metric, value: result.summary('ledger').median, unit: 'events/s',
      baseline: { metric: baselineMetric, value: result.summary(baseline).median },
      ratio: ratio.median, ratioSpread: ratio, target: `>= ${target}`, pass: ratio.median >= target, note: `ratio ${formatRatio(ratio)}; ${note}`,
    };
  };
  return [
    row('Ledger.append, DirectoryStore (synchronized write each)', 'raw', 'raw write+fdatasync (fs/promises)', 0.9,
      `${n} appends per round in ${blocks} interleaved blocks; ${lat(runs.ledger)}; ${loop(delay.ledger)}; lines ~${lineBytes.toFixed(0)} B`),
    row('Ledger.append vs the synchronous loop', 'sync', 'raw writeSync+fdatasyncSync', 0.75, `ledger ${lat(runs.ledger)}; raw sync ${lat(runs.sync)}`),
    { bench: 'append', metric: 'raw write+fdatasync loop (fs/promises)', value: result.summary('raw').median, unit: 'events/s', note: `same lines, same dir; ${lat(runs.raw)}; ${loop(delay.raw)}` },
    {
      bench: 'append', metric: 'raw writeSync+fdatasyncSync loop', value: result.summary('sync').median, unit: 'events/s',
      note: `same lines, same dir; ${lat(runs.sync)}; blocks the event loop for every fsync (no delay figure: nothing else can run)`,
    },
  ];
}
