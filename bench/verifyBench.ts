// Cold verification of a big ledger file against plain SHA-256 over the same lines, both read
// as bytes with readLineBatches, each run in its own child process (peak RSS from its maxRSS).
// Rounds alternate the order; the printed ratios are the paired per-round ratios (median, min,
// max), the events/s figures each side's best round.
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { GENESIS_HASH, canonicalJson } from '../src/index.js';
import { buildEventLine } from '../src/contract/eventLine.js';
import { benchInput } from './appendBench.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, summarise } from './paired.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./verifyChild.js', import.meta.url));
/** The C floor's source, from dist/bench/ back to the repository's bench/cfloor/. */
const CFLOOR_SOURCE = fileURLToPath(new URL('../../bench/cfloor/sha_lines.c', import.meta.url));

/**
 * Compiles bench/cfloor/sha_lines.c into `dir` (cc -O2 ... -lcrypto). Without a compiler or
 * OpenSSL's headers the reason comes back instead and the bench goes on without the C row.
 */
export function buildCFloor(dir: string): { binary: string } | { missing: string } {
  const binary = join(dir, 'sha_lines');
  try {
    execFileSync('cc', ['-O2', '-o', binary, CFLOOR_SOURCE, '-lcrypto'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { binary };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === 'ENOENT' ? 'no C compiler (cc) on PATH' : `cc failed: ${String(err.stderr ?? err.message).trim().split('\n')[0]}`;
    return { missing: `${why} (needs cc and OpenSSL headers, e.g. gcc and libssl-dev)` };
  }
}

export interface ChildResult {
  mode: string;
  count: number;
  valid: boolean;
  ms: number;
  maxRssKB: number;
}

/**
 * Writes `n` chained events to `<dir>/ledger.jsonl` quickly: lines built with buildEventLine
 * directly (no per-event fsync), written in large chunks.
 */
export function generateLedger(dir: string, n: number): { bytes: number; ms: number } {
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const fd = openSync(join(dir, 'ledger.jsonl'), 'w');
  let previous = GENESIS_HASH;
  let buf: string[] = [];
  let size = 0;
  let bytes = 0;
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  try {
    for (let i = 0; i < n; i++) {
      const input = benchInput(i);
      const { hash, line } = buildEventLine({
        event_id: uuidv7(),
        sequence: i,
        event_type: input.event_type,
        schema_version: input.schema_version,
        timestamp: new Date(base + i).toISOString(),
        provenanceJson: canonicalJson(input.provenance),
        previous_hash: previous,
        payloadJson: canonicalJson(input.payload),
      });
      previous = hash;
      buf.push(line);
      size += line.length + 1;
      if (size > 8 << 20) {
        bytes += writeSync(fd, `${buf.join('\n')}\n`);
        buf = [];
        size = 0;
      }
    }
    if (buf.length > 0) bytes += writeSync(fd, `${buf.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  return { bytes, ms: Date.now() - t0 };
}

export async function runChild(mode: string, dir: string, ...extra: string[]): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [CHILD, mode, dir, ...extra], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
}

export async function verifyBench(o: BenchOptions): Promise<BenchRow[]> {
  const dir = join(o.dir, 'ledger');
  o.log(`verify: generating ${o.events} events in ${dir} ...`);
  const gen = generateLedger(dir, o.events);
  o.log(`verify: ${(gen.bytes / 1e6).toFixed(0)} MB in ${(gen.ms / 1000).toFixed(1)} s`);
  o.shared.ledgerDir = dir;
  o.shared.ledgerEvents = o.events;

  const cfloor = buildCFloor(o.dir);
  if ('missing' in cfloor) o.log(`verify: no C floor: ${cfloor.missing}`);
  const results: Record<string, ChildResult[]> = { verify: [], 'verify-2w': [], sha: [], online: [], read: [], csha: [] };
  // Warm the page cache once so every measured run reads the same (cached) file.
  results.read!.push(await runChild('read', dir));
  for (let r = 0; r < o.rounds; r++) {
    const modes = ['sha', 'verify', 'verify-2w', 'online', ...('binary' in cfloor ? ['csha'] : [])];
    for (const mode of r % 2 === 0 ? modes : modes.reverse()) {
      const c = mode === 'csha' && 'binary' in cfloor ? await runChild(mode, dir, cfloor.binary) : await runChild(mode, dir);
      if (c.count !== o.events || !c.valid) throw new Error(`${mode}: count ${c.count}, valid ${c.valid} (expected ${o.events}, true)`);
      results[mode]!.push(c);
      o.log(`verify round ${r + 1}/${o.rounds}: ${mode} ${((c.count * 1000) / c.ms).toFixed(0)} events/s, ${(c.ms / 1000).toFixed(2)} s, maxRSS ${(c.maxRssKB / 1024).toFixed(0)} MB`);
    }
  }
  const bestOf = (xs: ChildResult[]) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const perSec = (c: ChildResult) => (c.count * 1000) / c.ms;
  const peak = (xs: ChildResult[]) => Math.max(...xs.map((x) => x.maxRssKB)) / 1024;
  const V = bestOf(results.verify!);
  const V2 = bestOf(results['verify-2w']!);
  const H = bestOf(results.sha!);
  const On = bestOf(results.online!);
  const Rd = bestOf(results.read!);
  // The printed ratios are paired (bench/paired.ts): round r's run against round r's SHA-256
  // baseline, the median of those with min and max; the events/s values are each side's best.
  const pairedRatio = (mode: string) => summarise(results[mode]!.map((c, r) => results.sha![r]!.ms / c.ms));
  const ratio = pairedRatio('verify');
  const ratio2 = pairedRatio('verify-2w');
  const ratioOn = pairedRatio('online');
  // The workers' speed-up, paired the same way: round r's 1-thread time over round r's 2-worker time.
  const speedUp = summarise(results['verify-2w']!.map((c, r) => results.verify![r]!.ms / c.ms));
  const paired = (mode: string) => `paired per-round ratios ${formatRatio(pairedRatio(mode))}`;
  const rss = peak(results.verify!);
  // verify against the C floor, paired the same way: round r's verify time over round r's C time.
  const cRows: BenchRow[] = [];
  if ('binary' in cfloor) {
    const C = bestOf(results.csha!);
    const cRatio = summarise(results.verify!.map((c, r) => results.csha![r]!.ms / c.ms));
    cRows.push(
      {
        bench: 'verify', metric: 'cold verifyFile vs C/OpenSSL SHA-256 floor', value: perSec(V), unit: 'events/s',
        baseline: { metric: 'C: OpenSSL SHA-256 per line (bench/cfloor/sha_lines.c)', value: perSec(C) }, ratio: cRatio.median, ratioSpread: cRatio, target: '>= 0.35', pass: cRatio.median >= 0.35,
        note: `verify/csha paired per-round ratios ${formatRatio(cRatio)}; C ${(C.ms / 1000).toFixed(2)} s best, fread + memchr + EVP per line, peak RSS ${peak(results.csha!).toFixed(0)} MB`,
      },
      { bench: 'verify', metric: 'C/OpenSSL SHA-256 per line', value: perSec(C), unit: 'events/s', note: `x${(perSec(C) / perSec(H)).toFixed(2)} plain Node SHA-256 per line` },
    );
  } else {
    cRows.push({ bench: 'verify', metric: 'cold verifyFile vs C/OpenSSL SHA-256 floor', value: perSec(V), unit: 'events/s', note: `not measured: ${cfloor.missing}` });
  }
  const mb = (gen.bytes / 1e6).toFixed(0);
  return [
    {
      bench: 'verify', metric: 'cold verifyFile', value: perSec(V), unit: 'events/s',
      baseline: { metric: 'plain SHA-256 per line (readLineBatches)', value: perSec(H) }, ratio: ratio.median, ratioSpread: ratio, target: '>= 0.7', pass: ratio.median >= 0.7,
      note: `${o.events} events, ${mb} MB file, events/s best of ${o.rounds}; ${(V.ms / 1000).toFixed(2)} s vs ${(H.ms / 1000).toFixed(2)} s; ${paired('verify')}`,
    },
    { bench: 'verify', metric: 'cold verifyFile peak RSS', value: rss, unit: 'MB', target: '< 100 MB', pass: rss < 100, note: 'maxRSS of the verifying child process (issue 10: < 100 MB at 1M events)' },
    {
      bench: 'verify', metric: 'cold verifyFile, 2 workers', value: perSec(V2), unit: 'events/s',
      baseline: { metric: 'plain SHA-256 per line (readLineBatches)', value: perSec(H) }, ratio: ratio2.median, ratioSpread: ratio2, target: '>= 0.7', pass: ratio2.median >= 0.7,
      note: `verifyFile(file, { workers: 2 }), events/s best of ${o.rounds}; ${(V2.ms / 1000).toFixed(2)} s; ${paired('verify-2w')}`,
    },
    {
      bench: 'verify', metric: 'cold verifyFile, 2 workers vs 1 thread (speed-up)', value: perSec(V2), unit: 'events/s',
      baseline: { metric: 'cold verifyFile', value: perSec(V) }, ratio: speedUp.median, ratioSpread: speedUp, target: '>= 1.6', pass: speedUp.median >= 1.6,
      note: `paired per-round ratios of the 1-thread time to the 2-worker time ${formatRatio(speedUp)}`,
    },
    {
      bench: 'verify', metric: 'cold verifyFile, 2 workers, peak RSS', value: peak(results['verify-2w']!), unit: 'MB', target: '< 200 MB', pass: peak(results['verify-2w']!) < 200,
      note: 'maxRSS of the verifying child process (its worker threads included: they share it)',
    },
    { bench: 'verify', metric: 'plain SHA-256 per line (readLineBatches)', value: perSec(H), unit: 'events/s', note: `peak RSS ${peak(results.sha!).toFixed(0)} MB` },
    {
      bench: 'verify', metric: 'online Ledger.verifyChain (read-only DirectoryStore)', value: perSec(On), unit: 'events/s',
      baseline: { metric: 'plain SHA-256 per line', value: perSec(H) }, ratio: ratioOn.median, ratioSpread: ratioOn, note: `peak RSS ${peak(results.online!).toFixed(0)} MB (info); ${paired('online')}`,
    },
    { bench: 'verify', metric: 'readLineBatches alone', value: perSec(Rd), unit: 'events/s', note: `${(Rd.ms / 1000).toFixed(2)} s, first (cache-warming) pass` },
    ...cRows,
  ];
}
