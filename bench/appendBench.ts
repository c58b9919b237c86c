// append/s through Ledger.append on a DirectoryStore (validation, canonical JSON, SHA-256, one
// write + fdatasync per event) against a raw loop that writes the very same lines with
// write + fdatasync into the same directory, so both pay the same disk; and against a raw loop
// of one write() per line on an O_DSYNC descriptor run on the thread pool: the floor of any
// append that does not block the event loop for an fsync.
import { close, closeSync, constants, fdatasyncSync, open as openCb, openSync, readFileSync, write, writeSync } from 'node:fs';
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

/**
 * The raw non-blocking floor: one fs.write (callback: one thread-pool hop) per line on a
 * descriptor opened O_WRONLY | O_APPEND | O_CREAT | O_DSYNC, so the write returns once the line
 * is synchronized, as write + fdatasync would; one write at a time.
 */
async function rawDsyncAppender(file: string, lines: Buffer[]): Promise<Appender> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;
  const fd = await new Promise<number>((resolve, reject) => openCb(file, flags, 0o644, (err, f) => (err ? reject(err) : resolve(f))));
  const put = (b: Buffer) =>
    new Promise<void>((resolve, reject) =>
      write(fd, b, 0, b.length, null, (err, n) => (err ? reject(err) : n === b.length ? resolve() : reject(new Error(`short write: ${n} of ${b.length} bytes`)))),
    );
  for (let i = 0; i < WARMUP; i++) await put(lines[i]!);
  return {
    async block(from, count, lat) {
      for (let i = from; i < from + count; i++) {
        const s = process.hrtime.bigint();
        await put(lines[WARMUP + i]!);
        lat.push(process.hrtime.bigint() - s);
      }
    },
    close: () => new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve()))),
  };
}

type Side = 'ledger' | 'raw' | 'sync' | 'dsync';

export async function appendBench(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.appendEvents;
  // Blocks of ~50 appends alternate between the sides within a round: fsync latency on a shared
  // disk drifts within seconds, and a whole round per side would pair different weather.
  const blocks = Math.max(1, Math.round(n / 50));
  const lines = await ledgerLines(join(o.dir, 'lines'), n);
  const lineBytes = lines.slice(WARMUP).reduce((sum, b) => sum + b.length, 0) / n;
  const runs: Record<Side, Run[]> = { ledger: [], raw: [], sync: [], dsync: [] };
  // How long the event loop is held up while appending: an append must never block it for an
  // fsync. Measured over the ledger's blocks and, for reference, over every raw loop's: the sync
  // loop's timer can only fire once its block has ended (see below).
  const delay: Record<Side, RecordableHistogram> = { ledger: createHistogram(), raw: createHistogram(), sync: createHistogram(), dsync: createHistogram() };
  // The time each of the sync loop's appends holds the loop (its write + fdatasync: nothing else runs).
  const syncHeld = createHistogram();
  const open_: Record<Side, (r: number) => Promise<Appender> | Appender> = {
    ledger: (r) => ledgerAppender(join(o.dir, `ledger-${r}`)),
    raw: (r) => rawAsyncAppender(join(o.dir, `raw-${r}.jsonl`), lines),
    sync: (r) => rawSyncAppender(join(o.dir, `rawsync-${r}.jsonl`), lines),
    dsync: (r) => rawDsyncAppender(join(o.dir, `rawdsync-${r}.jsonl`), lines),
  };
  const current: Partial<Record<Side, { appender: Appender; lat: bigint[]; ns: bigint; cpuUs: number }>> = {};
  const side = (name: Side) => async (r: number, b: number) => {
    if (b === 0) current[name] = { appender: await open_[name](r), lat: [], ns: 0n, cpuUs: 0 };
    const c = current[name]!;
    const from = Math.floor((b * n) / blocks);
    const count = Math.floor(((b + 1) * n) / blocks) - from;
    const h = delay[name];
    // One turn of the event loop first: after the synchronous side's block the loop's cached
    // clock is that block's length behind, and the probe's first timer would fire at once.
    await new Promise((resolve) => setImmediate(resolve));
    const stop = delayProbe(h);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const before = c.lat.length;
    await c.appender.block(from, count, c.lat);
    const ns = process.hrtime.bigint() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (name === 'sync') {
      for (let i = before; i < c.lat.length; i++) syncHeld.record(Math.max(1, Number(c.lat[i]!)));
      // The probe's timer, due 1 ms into the block, could not fire during it: let it fire now
      // (untimed), so it records how late the block made it.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    stop();
    c.ns += ns;
    c.cpuUs += cpu.user + cpu.system;
    if (b === blocks - 1) {
      await c.appender.close();
      runs[name].push(summariseRun(c.lat, c.ns, c.cpuUs));
    }
    return { work: count, seconds: Number(ns) / 1e9 };
  };
  const result = await pairedBlocks(o.rounds, blocks, { ledger: side('ledger'), raw: side('raw'), sync: side('sync'), dsync: side('dsync') }, (line) => o.log(`append ${line}`));
  const lat = (xs: Run[]) =>
    `p50 ${median(xs.map((x) => x.p50)).toFixed(3)} ms, p99 ${median(xs.map((x) => x.p99)).toFixed(3)} ms, CPU ${median(xs.map((x) => x.cpuUs)).toFixed(0)} us/append (medians over rounds)`;
  const loop = (h: RecordableHistogram) => `event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms, max ${(h.max / 1e6).toFixed(2)} ms`;
  const row = (metric: string, baseline: Side, baselineMetric: string, target: number | undefined, note: string, of: Side = 'ledger'): BenchRow => {
    const ratio = result.ratio(of, baseline);
    return {
      bench: 'append', metric, value: result.summary(of).median, unit: 'events/s',
      baseline: { metric: baselineMetric, value: result.summary(baseline).median },
      ratio: ratio.median, ratioSpread: ratio, ...(target === undefined ? {} : { target: `>= ${target}`, pass: ratio.median >= target }), note: `ratio ${formatRatio(ratio)}; ${note}`,
    };
  };
  return [
    row('Ledger.append, DirectoryStore (synchronized write each)', 'raw', 'raw write+fdatasync (fs/promises)', 0.9,
      `${n} appends per round in ${blocks} interleaved blocks; ${lat(runs.ledger)}; ${loop(delay.ledger)}; lines ~${lineBytes.toFixed(0)} B`),
    row('Ledger.append vs the synchronous loop', 'sync', 'raw writeSync+fdatasyncSync', 0.75, `ledger ${lat(runs.ledger)}; raw sync ${lat(runs.sync)}; without blocking the loop no append gets past the raw O_DSYNC pool loop's ratio to it, ${formatRatio(result.ratio('dsync', 'sync'))}`),
    { bench: 'append', metric: 'raw write+fdatasync loop (fs/promises)', value: result.summary('raw').median, unit: 'events/s', note: `same lines, same dir; ${lat(runs.raw)}; ${loop(delay.raw)}` },
    {
      bench: 'append', metric: 'raw writeSync+fdatasyncSync loop', value: result.summary('sync').median, unit: 'events/s',
      note: `same lines, same dir; ${lat(runs.sync)}; blocks the event loop for every fdatasync: each append holds it p50 ${(syncHeld.percentile(50) / 1e6).toFixed(3)} ms, p99 ${(syncHeld.percentile(99) / 1e6).toFixed(3)} ms, and a timer due during a block of ~${Math.round(n / blocks)} appends waits for the whole block (${loop(delay.sync)})`,
    },
    row('raw O_DSYNC pool loop vs the synchronous loop', 'sync', 'raw writeSync+fdatasyncSync', undefined,
      `fs.write (one thread-pool hop) per line on an O_WRONLY|O_APPEND|O_CREAT|O_DSYNC descriptor, one at a time, same lines, same dir: the best any append that keeps the event loop free can do here; ${lat(runs.dsync)}; ${loop(delay.dsync)}`, 'dsync'),
    row('Ledger.append vs the raw O_DSYNC pool loop', 'dsync', 'raw O_DSYNC pool loop (fs.write)', undefined,
      `what the ledger's own work (validation, canonical JSON, SHA-256, the store) costs on top of the non-blocking floor; ledger ${lat(runs.ledger)}`),
  ];
}
