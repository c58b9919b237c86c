// `npm run bench` (= build, then node --expose-gc dist/bench/run.js): every benchmark side by
// side in one run; prints a table and writes bench-results.json at the repository root.
//
//   --events N      events in the big-file benchmarks (default 1000000)
//   --append N      appends per round in the append benchmark (default 2000)
//   --rounds R      rounds per measurement, best reported (default 2)
//   --only a,b      run only these benchmarks: append, verify, replay, immudb
//   --out FILE      where to write the JSON (default <repo>/bench-results.json)
//   --keep          keep the temporary directory
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendBench } from './appendBench.js';
import type { BenchFn, BenchOptions, BenchRow } from './benchTypes.js';
import { verifyBench } from './verifyBench.js';

/**
 * A benchmark that another piece of work provides: loaded from dist/bench/<file>.js if it
 * exists, so it runs once its file is there and is skipped (with a line saying so) until then.
 */
function optional(file: string, exportName: string): () => Promise<BenchFn | undefined> {
  return async () => {
    const specifier: string = new URL(file, import.meta.url).href;
    try {
      const mod = (await import(specifier)) as Record<string, unknown>;
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new Error(`${file} does not export a function ${exportName}`);
      return fn as BenchFn;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(file.replace('./', ''))) return undefined;
      throw e;
    }
  };
}

// ---- the benchmarks, in run order (verify leaves the generated ledger for replay) ----------
const BENCHES: ReadonlyArray<{ name: string; load: () => Promise<BenchFn | undefined> }> = [
  { name: 'append', load: async () => appendBench },
  { name: 'verify', load: async () => verifyBench },
  // Helper benchmarks: one line each. `replayBench(opts)` / `immudbBench(opts)` take
  // BenchOptions (bench/benchTypes.ts) and resolve with BenchRow[]; anything else they return
  // is printed and stored as-is.
  { name: 'replay', load: optional('./replayBench.js', 'replayBench') },
  { name: 'immudb', load: optional('./immudbBench.js', 'immudbBench') },
];

function parseArgs(argv: string[]) {
  const o = { events: 1_000_000, append: 2000, rounds: 2, only: undefined as string[] | undefined, out: undefined as string | undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${a}: expected a positive integer, got ${v}`);
      return n;
    };
    if (a === '--events') o.events = int(next());
    else if (a === '--append') o.append = int(next());
    else if (a === '--rounds') o.rounds = int(next());
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--out') o.out = next();
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  const unknown = o.only?.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown?.length) throw new Error(`--only: unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
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
    r.bench, r.metric, fmt(r.value, r.unit), r.unit, r.baseline ? fmt(r.baseline.value) : '', r.ratio === undefined ? '' : r.ratio.toFixed(3),
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
      if (args.only && !args.only.includes(b.name)) continue;
      const fn = await b.load();
      if (!fn) {
        skipped.push(b.name);
        log(`${b.name}: not available yet (no dist/bench/${b.name}Bench.js), skipped`);
        continue;
      }
      const dir = mkdtempSync(join(tmp, `${b.name}-`));
      const options: BenchOptions = { events: args.events, appendEvents: args.append, rounds: args.rounds, dir, log, shared };
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

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
