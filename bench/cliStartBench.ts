// `--only cli`: the CLI's start-up, paired against a bare node start (issue 21: a command loads
// only what it uses). Each round spawns `node -e 0`, `fmwk-ledger --version` and `fmwk-ledger tip`
// on a small directory store, alternating (the order rotates by round, see paired.ts), three
// times each, and keeps each side's median; the figures are the per-round ratio to bare node and
// the per-round difference from it. Target: --version and tip within bare node + 150 ms.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchFn, BenchRow } from './benchTypes.js';
import { median, paired, summarise } from './paired.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TARGET_MS = 150;
const SPAWNS_PER_ROUND = 3;

/** Wall milliseconds of one child process, from spawn to exit; fails on a non-zero exit. */
function timed(args: string[]): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

export const cliStartBench: BenchFn = async ({ dir, rounds, log }) => {
  const store = join(dir, 'store');
  const line = JSON.stringify({ event_type: 'session_start', schema_version: '1.0.0', provenance: { framework_id: 'F', pack_id: 'P', actor: 'operator' }, payload: { session_id: 's' } });
  const appended = spawnSync(process.execPath, [CLI, 'append', '--store', store, '--quiet', '-'], { input: `${line}\n${line}\n`, encoding: 'utf8' });
  if (appended.status !== 0) throw new Error(`append: ${appended.stderr}`);
  const sides = {
    node: ['-e', '0'],
    version: [CLI, '--version'],
    tip: [CLI, 'tip', '--store', store],
  } as const;
  timed([...sides.tip]); // warm the file cache once
  const result = await paired(
    rounds,
    Object.fromEntries(Object.entries(sides).map(([name, args]) => [name, () => median(Array.from({ length: SPAWNS_PER_ROUND }, () => timed([...args])))])) as Record<keyof typeof sides, () => number>,
    (l) => log(`cli start: ${l} ms`),
  );
  const node = result.summary('node');
  return (['version', 'tip'] as const).map((side): BenchRow => {
    const ratio = result.ratio(side, 'node');
    const over = summarise(result.values[side].map((v, r) => v - result.values.node[r]!));
    return {
      bench: 'cli',
      metric: side === 'version' ? 'fmwk-ledger --version, wall' : 'fmwk-ledger tip (directory store), wall',
      value: Number(result.summary(side).median.toFixed(1)),
      unit: 'ms',
      baseline: { metric: 'node -e 0', value: Number(node.median.toFixed(1)) },
      ratio: ratio.median,
      ratioSpread: ratio,
      target: `<= node + ${TARGET_MS} ms`,
      pass: over.median <= TARGET_MS,
      note: `over bare node: median ${over.median.toFixed(0)} ms (${over.min.toFixed(0)}..${over.max.toFixed(0)}) per round; ${SPAWNS_PER_ROUND} spawns a side a round, median`,
    };
  });
};
