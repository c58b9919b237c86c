// append/s through Ledger.append on a DirectoryStore (validation, canonical JSON, SHA-256, one
// write + fdatasync per event) against a raw loop that writes the very same lines with
// write + fdatasync into the same directory, so both pay the same disk.
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryStore, Ledger, type AppendInput } from '../src/index.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';

const WARMUP = 20;

const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-bench', actor: 'system' } as const;

/** A realistic append input (~300-byte line), varied per index. */
export function benchInput(i: number): AppendInput {
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

async function ledgerRun(dir: string, n: number): Promise<{ run: Run; lines: Buffer[] }> {
  const store = await DirectoryStore.open(dir);
  const ledger = await Ledger.open(store);
  for (let i = 0; i < WARMUP; i++) await ledger.append(benchInput(i));
  const lat: bigint[] = new Array(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await ledger.append(benchInput(WARMUP + i));
    lat[i] = process.hrtime.bigint() - s;
  }
  const total = process.hrtime.bigint() - t0;
  await ledger.close();
  const text = readFileSync(store.file, 'utf8');
  const lines = text.split('\n').slice(0, -1).map((l) => Buffer.from(`${l}\n`, 'utf8'));
  return { run: summarise(lat, total), lines };
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

const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.perSec > a.perSec ? b : a));

export async function appendBench(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.appendEvents;
  const ledgerRuns: Run[] = [];
  const rawRuns: Run[] = [];
  const syncRuns: Run[] = [];
  let lineBytes = 0;
  for (let r = 0; r < o.rounds; r++) {
    // Alternate the order so neither side always gets the warmer disk.
    const { run, lines } = await ledgerRun(join(o.dir, `ledger-${r}`), n);
    lineBytes = lines.slice(WARMUP).reduce((s, b) => s + b.length, 0) / n;
    if (r % 2 === 0) {
      ledgerRuns.push(run);
      rawRuns.push(await rawAsyncRun(join(o.dir, `raw-${r}.jsonl`), lines, n));
    } else {
      rawRuns.push(await rawAsyncRun(join(o.dir, `raw-${r}.jsonl`), lines, n));
      ledgerRuns.push((await ledgerRun(join(o.dir, `ledger-${r}b`), n)).run);
    }
    syncRuns.push(rawSyncRun(join(o.dir, `rawsync-${r}.jsonl`), lines, n));
    const l = ledgerRuns.at(-1)!;
    const w = rawRuns.at(-1)!;
    o.log(`append round ${r + 1}/${o.rounds}: ledger ${l.perSec.toFixed(0)}/s, raw ${w.perSec.toFixed(0)}/s, raw sync ${syncRuns.at(-1)!.perSec.toFixed(0)}/s`);
  }
  const L = best(ledgerRuns);
  const W = best(rawRuns);
  const S = best(syncRuns);
  const lat = (x: Run) => `p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`;
  return [
    {
      bench: 'append', metric: 'Ledger.append, DirectoryStore (fdatasync each)', value: L.perSec, unit: 'events/s',
      baseline: { metric: 'raw write+fdatasync (fs/promises)', value: W.perSec }, ratio: L.perSec / W.perSec, target: '>= 0.85',
      pass: L.perSec / W.perSec >= 0.85, note: `${n} appends x ${o.rounds} rounds, best round; ${lat(L)}; lines ~${lineBytes.toFixed(0)} B`,
    },
    { bench: 'append', metric: 'raw write+fdatasync loop (fs/promises)', value: W.perSec, unit: 'events/s', note: `same lines, same dir; ${lat(W)}` },
    {
      bench: 'append', metric: 'raw writeSync+fdatasyncSync loop', value: S.perSec, unit: 'events/s',
      baseline: { metric: 'Ledger.append', value: L.perSec }, ratio: L.perSec / S.perSec, note: `ratio = ledger / this (info); ${lat(S)}`,
    },
  ];
}
