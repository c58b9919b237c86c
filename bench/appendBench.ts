// append/s through Ledger.append on a DirectoryStore (validation, canonical JSON, SHA-256, one
// write + fdatasync per event) against a raw loop that writes the very same lines with
// write + fdatasync into the same directory, so both pay the same disk.
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DirectoryStore, Ledger, type SeedAppendInput } from '../src/index.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, median, paired } from './paired.js';

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

interface Run {
  perSec: number;
  p50: number;
  p99: number;
}

function summarise(latenciesNs: bigint[], totalNs: bigint): Run {
  const ms = latenciesNs.map((x) => Number(x) / 1e6).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  return { perSec: (latenciesNs.length * 1e9) / Number(totalNs), p50: q(0.5), p99: q(0.99) };
}

async function ledgerRun(dir: string, n: number): Promise<Run & { loopDelayP99: number }> {
  const store = await DirectoryStore.open(dir);
  const ledger = await Ledger.open(store);
  for (let i = 0; i < WARMUP; i++) await ledger.append(benchInput(i));
  // How long the event loop is held up while appending: appends must not block it for an fsync.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const lat: bigint[] = new Array(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await ledger.append(benchInput(WARMUP + i));
    lat[i] = process.hrtime.bigint() - s;
  }
  const total = process.hrtime.bigint() - t0;
  delay.disable();
  await ledger.close();
  return { ...summarise(lat, total), loopDelayP99: delay.percentile(99) / 1e6 };
}

/** The exact lines (with newline) a ledger writes for WARMUP + n appends, for the raw loops. */
async function ledgerLines(dir: string, n: number): Promise<Buffer[]> {
  const store = await DirectoryStore.open(dir);
  const ledger = await Ledger.open(store);
  for (let i = 0; i < WARMUP + n; i++) await ledger.append(benchInput(i));
  await ledger.close();
  return readFileSync(store.file, 'utf8').split('\n').slice(0, -1).map((l) => Buffer.from(`${l}\n`, 'utf8'));
}

/** The raw loop with the same API the store uses (fs/promises FileHandle). */
async function rawAsyncRun(file: string, lines: Buffer[], n: number): Promise<Run> {
  const fh = await open(file, 'a');
  try {
    for (let i = 0; i < WARMUP; i++) {
      await fh.write(lines[i]!);
      await fh.datasync();
    }
    const lat: bigint[] = new Array(n);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      const b = lines[WARMUP + i]!;
      await fh.write(b, 0, b.length);
      await fh.datasync();
      lat[i] = process.hrtime.bigint() - s;
    }
    return summarise(lat, process.hrtime.bigint() - t0);
  } finally {
    await fh.close();
  }
}

/** The rawest loop Node offers: writeSync + fdatasyncSync. */
function rawSyncRun(file: string, lines: Buffer[], n: number): Run {
  const fd = openSync(file, 'a');
  try {
    for (let i = 0; i < WARMUP; i++) {
      writeSync(fd, lines[i]!);
      fdatasyncSync(fd);
    }
    const lat: bigint[] = new Array(n);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      writeSync(fd, lines[WARMUP + i]!);
      fdatasyncSync(fd);
      lat[i] = process.hrtime.bigint() - s;
    }
    return summarise(lat, process.hrtime.bigint() - t0);
  } finally {
    closeSync(fd);
  }
}

export async function appendBench(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.appendEvents;
  const lines = await ledgerLines(join(o.dir, 'lines'), n);
  const lineBytes = lines.slice(WARMUP).reduce((sum, b) => sum + b.length, 0) / n;
  const runs: { ledger: Run[]; raw: Run[]; sync: Run[] } = { ledger: [], raw: [], sync: [] };
  let loopDelayP99 = 0;
  const result = await paired(
    o.rounds,
    {
      ledger: async (r) => {
        const run = await ledgerRun(join(o.dir, `ledger-${r}`), n);
        loopDelayP99 = Math.max(loopDelayP99, run.loopDelayP99);
        runs.ledger.push(run);
        return run.perSec;
      },
      raw: async (r) => {
        const run = await rawAsyncRun(join(o.dir, `raw-${r}.jsonl`), lines, n);
        runs.raw.push(run);
        return run.perSec;
      },
      sync: (r) => {
        const run = rawSyncRun(join(o.dir, `rawsync-${r}.jsonl`), lines, n);
        runs.sync.push(run);
        return run.perSec;
      },
    },
    (line) => o.log(`append ${line}`),
  );
  const lat = (xs: Run[]) => `p50 ${median(xs.map((x) => x.p50)).toFixed(3)} ms, p99 ${median(xs.map((x) => x.p99)).toFixed(3)} ms (medians over rounds)`;
  const row = (metric: string, side: 'ledger', baseline: 'raw' | 'sync', baselineMetric: string, target: number, note: string): BenchRow => {
    const ratio = result.ratio(side, baseline);
    return {
      bench: 'append', metric, value: result.summary(side).median, unit: 'events/s',
      baseline: { metric: baselineMetric, value: result.summary(baseline).median },
      ratio: ratio.median, ratioSpread: ratio, target: `>= ${target}`, pass: ratio.median >= target, note: `ratio ${formatRatio(ratio)}; ${note}`,
    };
  };
  return [
    row('Ledger.append, DirectoryStore (fdatasync each)', 'ledger', 'raw', 'raw write+fdatasync (fs/promises)', 0.9,
      `${n} appends per round; ${lat(runs.ledger)}; event-loop delay p99 ${loopDelayP99.toFixed(2)} ms; lines ~${lineBytes.toFixed(0)} B`),
    row('Ledger.append vs the synchronous loop', 'ledger', 'sync', 'raw writeSync+fdatasyncSync', 0.75, `raw sync ${lat(runs.sync)}`),
    { bench: 'append', metric: 'raw write+fdatasync loop (fs/promises)', value: result.summary('raw').median, unit: 'events/s', note: `same lines, same dir; ${lat(runs.raw)}` },
  ];
}
