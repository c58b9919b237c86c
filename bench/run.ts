// `npm run bench` (= build, then node --expose-gc dist/bench/run.js): every benchmark side by
// side in one run; prints a table and writes bench-results.json at the repository root.
//
//   --events N      events in the big-file benchmarks (default 1000000)
//   --append N      appends per round in the append and immudb benchmarks (default 2000)
//   --rounds R      rounds of every paired comparison, at least 5 (default 5): A and B alternate
//                   within each round; the ratio is the median of per-round ratios [min..max]
//   --only a,b      run only these benchmarks: append, verify, replay, proofs, immudb, cli (the
//                   CLI's start: --version and tip against bare node); and the opt-in ones,
//                   which run only when named: scaling (verify, replay, stateAt and peak RSS at
//                   100k, 300k, 1M events up to --events); peers (Emmett on SQLite: durable
//                   appends and read-and-fold; installs bench/peers with npm ci when missing);
//                   replicas (readRange from an immudb replica vs the primary, replica catch-up)
//                   streams (append with stream + expected version vs plain; readStream and
//                   query vs a full scan in a ledger of --ledger events)
//                   batch (atomic batches: appendBatch of 10 vs 10 single appends, events/s and
//                   synchronized writes counted by strace; appendToStream vs Emmett's on SQLite
//                   with the same batches; installs bench/peers like peers)
//   --ledger N      events in the streams benchmark's ledger (default 20000; the issue's figure: 1000000)
//   --out FILE      where to write the JSON (default <repo>/bench-results.json)
//   --keep          keep the temporary directory
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendBench } from './appendBench.js';
import { cliStartBench } from './cliStartBench.js';
import { batchBench } from './batchBench.js';
import { proofsBench } from './proofsBench.js';
import type { BenchFn, BenchOptions, BenchRow } from './benchTypes.js';
import type { RatioSummary } from './paired.js';
import { peersBench } from './peersBench.js';
import { scalingBench } from './scalingBench.js';
import { streamsBench } from './streamsBench.js';
import { verifyBench } from './verifyBench.js';

/**
 * A benchmark that another piece of work provides: loaded from dist/bench/<file>.js if that
 * file exists, so it runs once it is there and is skipped (with a line saying so) until then.
 * `adapt` maps BenchOptions to the helper's own options when they differ.
 */
function optional(
  file: string,
  exportName: string,
  adapt?: (o: BenchOptions) => unknown,
  toRows?: (result: never) => readonly BenchRow[],
): () => Promise<BenchFn | undefined> {
  return async () => {
    const url = new URL(file, import.meta.url);
    if (!existsSync(fileURLToPath(url))) return undefined;
    const mod = (await import(url.href)) as Record<string, unknown>;
    const fn = mod[exportName] as ((x: unknown) => Promise<unknown>) | undefined;
    if (typeof fn !== 'function') throw new Error(`${file} does not export a function ${exportName}`);
    return async (o: BenchOptions) => {
      const result = await fn(adapt ? adapt(o) : o);
      return toRows ? toRows(result as never) : (result as readonly BenchRow[]);
    };
  };
}

/** immudbBench resolves with a flat record of figures: as table rows. */
function immudbRows(r: Record<string, number | string | RatioSummary>): readonly BenchRow[] {
  const n = (k: string) => Number(r[k]);
  const ratio = (k: string) => r[k] as RatioSummary;
  const note = `${r.events} events, ~${r.value_bytes_avg} B values; ${r.server}`;
  return [
    {
      bench: 'immudb', metric: 'Ledger.append, ImmudbStore', value: n('ledger_append_per_s'), unit: 'events/s',
      baseline: { metric: 'raw immudb-node set loop', value: n('raw_immudb_node_set_per_s') }, ratio: ratio('append_ratio').median, ratioSpread: ratio('append_ratio'), target: '>= 0.8', pass: ratio('append_ratio').median >= 0.8, note,
    },
    {
      bench: 'immudb', metric: 'Ledger.readRange, ImmudbStore', value: n('ledger_read_range_events_per_s'), unit: 'events/s',
      baseline: { metric: 'raw immudb-node get per key', value: n('raw_single_get_events_per_s') }, ratio: ratio('read_ratio').median, ratioSpread: ratio('read_ratio'),
    },
  ];
}

// ---- the benchmarks, in run order -----------------------------------------------------------
// `optIn` benchmarks run only when --only names them (they take minutes or install packages).
const BENCHES: ReadonlyArray<{ name: string; load: () => Promise<BenchFn | undefined>; optIn?: true }> = [
  { name: 'append', load: async () => appendBench },
  { name: 'verify', load: async () => verifyBench },
  // Helper benchmarks: one line each. `replayBench(opts)` / `immudbBench(opts)` take
  // BenchOptions (bench/benchTypes.ts) and resolve with BenchRow[]; anything else they return
  // is printed and stored as-is.
  { name: 'replay', load: optional('./replayBench.js', 'replayBench') },
  { name: 'proofs', load: async () => proofsBench },
  { name: 'immudb', load: optional('./immudbBench.js', 'immudbBench', (o) => ({ events: o.appendEvents, log: o.log, rounds: o.rounds }), immudbRows) },
  { name: 'cli', load: async () => cliStartBench },
  { name: 'scaling', load: async () => scalingBench, optIn: true },
  { name: 'peers', load: async () => peersBench, optIn: true },
  { name: 'replicas', load: optional('./replicaBench.js', 'replicaBench'), optIn: true },
  { name: 'streams', load: async () => streamsBench, optIn: true },
  { name: 'batch', load: async () => batchBench, optIn: true },
];

function parseArgs(argv: string[]) {
  const o = { events: 1_000_000, ledger: 20_000, append: 2000, rounds: 5, only: undefined as string[] | undefined, out: undefined as string | undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${a}: expected a positive integer, got ${v}`);
      return n;
    };
    if (a === '--events') o.events = int(next());
    else if (a === '--append') o.append = int(next());
    else if (a === '--ledger') o.ledger = int(next());
    else if (a === '--rounds') {
      o.rounds = int(next());
      if (o.rounds < 5) throw new UsageError('--rounds: at least 5 rounds (a paired ratio needs a spread)');
    }
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--out') o.out = next();
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      const header = text.slice(0, text.findIndex((l) => !l.startsWith('//')));
      process.stdout.write(`${header.map((l) => l.slice(3)).join('\n')}\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a} (try --help)`);
  }
  const unknown = o.only?.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown?.length) throw new UsageError(`--only: unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  return o;
}

function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    /* not Linux */
  }
  return { nproc: availableParallelism(), cpu, memGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, os: `${process.platform} ${release()}`, tmpdir: tmpdir() };
}

const fmt = (x: number | undefined, unit = ''): string =>
  x === undefined ? '' : unit === 'MB' ? x.toFixed(1) : Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);

function table(rows: readonly BenchRow[]): string {
  const head = ['bench', 'metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'ok'];
  const body = rows.map((r) => [
    r.bench, r.metric, fmt(r.value, r.unit), r.unit, r.baseline ? fmt(r.baseline.value) : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}${r.ratioSpread ? ` [${r.ratioSpread.min.toFixed(2)}..${r.ratioSpread.max.toFixed(2)}]` : ''}`,
    r.target ?? '', r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 4 || i === 5 ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ');
  const notes = rows.filter((r) => r.note).map((r) => `  - ${r.bench} / ${r.metric}: ${r.note}`);
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '', 'notes:', ...notes].join('\n');
}

const isRows = (x: unknown): x is BenchRow[] =>
  Array.isArray(x) && x.every((r) => typeof r === 'object' && r !== null && typeof (r as BenchRow).metric === 'string' && typeof (r as BenchRow).value === 'number');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const out = args.out ?? join(root, 'bench-results.json');
  const tmp = mkdtempSync(join(tmpdir(), 'fmwk-ledger-bench-'));
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const shared: Record<string, string | number | undefined> = {};
  const rows: BenchRow[] = [];
  const other: Record<string, unknown> = {};
  const skipped: string[] = [];
  const m = machine();
  log(`${m.cpu}, ${m.nproc} CPUs, node ${m.node}; temp ${tmp}`);
  try {
    for (const b of BENCHES) {
      if (args.only ? !args.only.includes(b.name) : b.optIn) continue;
      const fn = await b.load();
      if (!fn) {
        skipped.push(b.name);
        log(`${b.name}: not available yet (no dist/bench/${b.name}Bench.js), skipped`);
        continue;
      }
      const dir = mkdtempSync(join(tmp, `${b.name}-`));
      const options: BenchOptions = { events: args.events, ledgerEvents: args.ledger, appendEvents: args.append, rounds: args.rounds, dir, log, shared };
      const t0 = Date.now();
      const result = await fn(options);
      log(`${b.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (isRows(result)) rows.push(...result.map((r) => ({ ...r, bench: r.bench ?? b.name })));
      else other[b.name] = result;
      (globalThis as { gc?: () => void }).gc?.();
    }
  } finally {
    if (!args.keep) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  process.stdout.write(`\n${command}\n${m.cpu}, ${m.nproc} CPUs, ${m.memGB} GB, node ${m.node}, ${m.os}\n\n${table(rows)}\n`);
  for (const [name, value] of Object.entries(other)) process.stdout.write(`\n${name}:\n${JSON.stringify(value, null, 2)}\n`);
  if (skipped.length) process.stdout.write(`\nskipped (not available yet): ${skipped.join(', ')}\n`);
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), command, machine: m, options: args, rows, other, skipped }, null, 2)}\n`);
  process.stdout.write(`\nwrote ${out}\n`);
}

class UsageError extends Error {}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof UsageError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
