// Scaling: how cold verification, a full replay and stateAt from a snapshot grow with the ledger,
// at 100k, 300k and 1M events (the sizes up to --events; the README's table is one run of
// `npm run bench -- --only scaling --events 300000`). At each size the children of a round run in
// a rotating order (bench/paired.ts), each in its own process so its peak RSS is its own; the
// figures are medians over rounds with their min and max, and the peak RSS the largest seen.
import { join } from 'node:path';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { paired, summarise, type RatioSummary } from './paired.js';
import { child as replayChild, generateReplayLedger } from './replayBench.js';
import { runChild as verifyChild } from './verifyBench.js';

const SIZES = [100_000, 300_000, 1_000_000];
const KS = [1_000, 10_000, 100_000];

interface Measured {
  ms: number;
  maxRssKB: number;
}

const spread = (s: RatioSummary, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}..${s.max.toFixed(digits)})`;

export async function scalingBench(o: BenchOptions): Promise<BenchRow[]> {
  const sizes = SIZES.filter((s) => s <= o.events);
  if (!sizes.includes(o.events)) sizes.push(o.events);
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    const ks = KS.filter((k) => k < n / 2);
    const dir = join(o.dir, `ledger-${n}`);
    const t0 = Date.now();
    const snapDirs = generateReplayLedger(dir, n, ks, join(o.dir, `snapshots-${n}`));
    o.log(`scaling: ${n} events generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await verifyChild('read', dir); // the page cache warmed once: every run reads a cached file
    const seen = new Map<string, Measured[]>();
    const side = (name: string, run: () => Promise<Measured & { count?: number; valid?: boolean }>) => async () => {
      const c = await run();
      if (c.valid === false) throw new Error(`scaling ${name} at ${n}: the ledger did not verify`);
      seen.set(name, [...(seen.get(name) ?? []), c]);
      return c.ms;
    };
    const sides: Record<string, () => Promise<number>> = {
      sha: side('sha', () => verifyChild('sha', dir)),
      verify: side('verify', () => verifyChild('verify', dir)),
      replay: side('replay', () => replayChild('full', dir)),
    };
    for (const k of ks) sides[`k${k}`] = side(`k${k}`, () => replayChild('snap', dir, snapDirs.get(k)!));
    const r = await paired(o.rounds, sides, (l) => o.log(`scaling ${n} ${l}`));
    const rate = (name: string) => summarise(r.values[name]!.map((ms) => (n * 1000) / ms));
    const peak = (name: string) => Math.max(...seen.get(name)!.map((c) => c.maxRssKB)) / 1024;
    const vsSha = r.ratio('sha', 'verify'); // time ratio sha/verify = rate ratio verify/sha
    rows.push(
      {
        bench: 'scaling', metric: `${n}: cold verifyFile`, value: rate('verify').median, unit: 'events/s',
        baseline: { metric: 'plain SHA-256 per line', value: rate('sha').median }, ratio: vsSha.median, ratioSpread: vsSha,
        note: `events/s ${spread(rate('verify'))}; peak RSS ${peak('verify').toFixed(0)} MB`,
      },
      { bench: 'scaling', metric: `${n}: cold verifyFile peak RSS`, value: peak('verify'), unit: 'MB' },
      { bench: 'scaling', metric: `${n}: full replay (stateAt tip)`, value: rate('replay').median, unit: 'events/s', note: `events/s ${spread(rate('replay'))}; ${spread(r.summary('replay'))} ms` },
      { bench: 'scaling', metric: `${n}: full replay peak RSS`, value: peak('replay'), unit: 'MB' },
    );
    for (const k of ks) {
      rows.push({
        bench: 'scaling', metric: `${n}: stateAt(tip), snapshot ${k} back`, value: r.summary(`k${k}`).median, unit: 'ms',
        note: `${spread(r.summary(`k${k}`))} ms; peak RSS ${peak(`k${k}`).toFixed(0)} MB`,
      });
    }
  }
  return rows;
}
