// Where the time of verifyFile(path, { workers: 2 }) goes, and its paired speed-up over one
// thread. `node dist/bench/verifyParallelProbe.js <store dir> [rounds=5] [workers=2]`:
//   1. paired: each round runs verifyChild.js `verify` and `verify-2w` (fresh processes, order
//      alternating), the ratio 1-thread ms / 2-worker ms per round; median [min..max].
//   2. phases: `rounds` fresh processes each run verifyFileParallel with its trace hook, cold:
//      ms from the call until every worker is loaded ('ready'), the cut, each range's result,
//      the merge of the id fingerprints, and the end; the serial tail is end - last range.
// The machine may be shared: the paired ratio and the phase medians are what to compare.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatRatio, median, summarise } from './paired.js';
import { runChild } from './verifyBench.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

async function phases(file: string, workers: number): Promise<Record<string, number>> {
  const { verifyFileParallel } = await import('../src/verify/verifyFileParallel.js');
  const t0 = performance.now();
  const at: Record<string, number> = {};
  const r = await verifyFileParallel(file, workers, {}, { trace: (m) => (at[m.startsWith('cut') ? 'cut' : m] = performance.now() - t0) });
  at.end = performance.now() - t0;
  if (!r.valid) throw new Error(`not valid: ${JSON.stringify(r)}`);
  return at;
}



const [dir, roundsArg, workersArg, flag] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: verifyParallelProbe.js <store dir with ledger.jsonl> [rounds] [workers]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 5);
const workers = Number(workersArg ?? 2);
if (flag === '--phases') {
  process.stdout.write(`${JSON.stringify(await phases(join(dir, 'ledger.jsonl'), workers))}\n`);
} else {
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['verify', 'verify-2w'] : ['verify-2w', 'verify'];
    const ms: Record<string, number> = {};
    for (const mode of order) ms[mode] = (await runChild(mode, dir)).ms;
    ratios.push(ms.verify! / ms['verify-2w']!);
    process.stdout.write(`round ${r + 1}: 1 thread ${ms.verify!.toFixed(0)} ms, 2 workers ${ms['verify-2w']!.toFixed(0)} ms, x${ratios.at(-1)!.toFixed(2)}\n`);
  }
  process.stdout.write(`paired speed-up (1 thread / 2 workers): ${formatRatio(summarise(ratios))}\n`);
  const all: Array<Record<string, number>> = [];
  for (let r = 0; r < rounds; r++) {
    const { stdout } = await run(process.execPath, [SELF, dir, '1', String(workers), '--phases']);
    all.push(JSON.parse(stdout) as Record<string, number>);
  }
  const keys = [...new Set(all.flatMap((a) => Object.keys(a)))];
  for (const k of keys) process.stdout.write(`${k.padEnd(10)} median ${median(all.map((a) => a[k] ?? NaN)).toFixed(1)} ms\n`);
  const tails = all.map((a) => a.end! - Math.max(...Object.entries(a).filter(([k]) => k.startsWith('range')).map(([, v]) => v)));
  const skew = all.map((a) => Math.abs((a['range 0'] ?? 0) - (a['range 1'] ?? a['range 0'] ?? 0)));
  process.stdout.write(`serial tail (last range result -> answer) median ${median(tails).toFixed(1)} ms; range finish skew median ${median(skew).toFixed(1)} ms\n`);
}
