// Where the time of verifyFile(path, { workers: 2 }) goes, and its paired speed-up over one
// thread. `node dist/bench/verifyParallelProbe.js <store dir> [rounds=5] [workers=2]`:
//   1. paired: each round runs verifyChild.js `verify` and `verify-2w` (fresh processes, order
//      alternating), the ratio 1-thread ms / 2-worker ms per round; median [min..max].
//   2. phases: `rounds` fresh processes each run verifyFileParallel with its trace hook, cold:
//      ms from the call until every worker is loaded ('ready'), the cut, each range's result,
//      the merge of the id fingerprints, and the end; the serial tail is end - last range.
//   3. with --ceiling instead: what two threads or two processes of this machine allow before
//      any cost of ours (start-up, cut, fingerprint transfer, merge), each paired over `rounds`:
//      a. crypto.hash per call: HASHES hashes of one 520-byte line on one thread alone, on two
//         worker threads of one process at once, and in two processes at once (the order
//         rotates per round); each side's slower thread ÷ alone;
//      b. the ideal split: verifyChild `verify` (one process, the whole file) against two
//         processes at once each verifying one half (`head`, `tail`), and against the same two
//         halves on two threads of one process (`halves-threads`): whole ÷ the later half;
//      c. fresh memory: ms to touch 64 MiB that this process never touched (a worker's buffers
//         and heap are all fresh).
// The machine may be shared: the paired ratio and the phase medians are what to compare.
import { execFile } from 'node:child_process';
import { hash } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
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

const HASHES = 300_000;

/** ms for HASHES SHA-256 one-shot hashes of a 520-byte line (varied so none is cached). */
function hashLoop(): number {
  const line = Buffer.alloc(520, 0x61);
  const t0 = performance.now();
  for (let i = 0; i < HASHES; i++) {
    line.writeUInt32LE(i, 0);
    hash('sha256', line, 'buffer');
  }
  return performance.now() - t0;
}

/** The slower of two hash loops run at once: on two worker threads of this process, or in two processes. */
async function hashPair(where: 'threads' | 'processes'): Promise<number> {
  const one =
    where === 'threads'
      ? () => new Promise<number>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { hashLoop: true } });
          w.once('message', resolve).once('error', reject);
        })
      : async () => Number((await run(process.execPath, [SELF, '-', '1', '1', '--hash'])).stdout);
  return Math.max(...(await Promise.all([one(), one()])));
}

async function ceiling(dir: string, rounds: number): Promise<void> {
  const hashRatios = { threads: [] as number[], processes: [] as number[] };
  const split = { processes: [] as number[], threads: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const sides = ['alone', 'threads', 'processes'] as const;
    const ms: Record<string, number> = {};
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + r) % sides.length]!;
      // A fresh process for 'alone' too, so each side starts as cold as the others.
      ms[side] = side === 'alone' ? Number((await run(process.execPath, [SELF, '-', '1', '1', '--hash'])).stdout) : await hashPair(side);
    }
    hashRatios.threads.push(ms.threads! / ms.alone!);
    hashRatios.processes.push(ms.processes! / ms.alone!);
    const verifies = {
      whole: async () => (await runChild('verify', dir)).ms,
      processes: async () => Math.max(...(await Promise.all([runChild('head', dir), runChild('tail', dir)])).map((h) => h.ms)),
      threads: async () => (await runChild('halves-threads', dir)).ms,
    };
    const v: Record<string, number> = {};
    const names = Object.keys(verifies) as Array<keyof typeof verifies>;
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      v[name] = await verifies[name]();
    }
    split.processes.push(v.whole! / v.processes!);
    split.threads.push(v.whole! / v.threads!);
    process.stdout.write(
      `round ${r + 1}: ${HASHES} hashes alone ${ms.alone!.toFixed(0)} ms, 2 threads ${ms.threads!.toFixed(0)}, 2 processes ${ms.processes!.toFixed(0)}; ` +
        `whole file ${v.whole!.toFixed(0)} ms, halves in 2 processes ${v.processes!.toFixed(0)} ms, in 2 threads ${v.threads!.toFixed(0)} ms\n`,
    );
  }
  process.stdout.write(`crypto.hash per call, 2 threads of one process ÷ alone: ${formatRatio(summarise(hashRatios.threads))}\n`);
  process.stdout.write(`crypto.hash per call, 2 processes ÷ alone: ${formatRatio(summarise(hashRatios.processes))}\n`);
  process.stdout.write(`ideal 2-way split in two processes (whole ÷ the later half; no start-up, cut or merge): x${formatRatio(summarise(split.processes))}\n`);
  process.stdout.write(`ideal 2-way split in two threads of one process (the same): x${formatRatio(summarise(split.threads))}\n`);
  const t0 = performance.now();
  const fresh = Buffer.alloc(64 << 20);
  for (let i = 0; i < fresh.length; i += 4096) fresh[i] = 1;
  process.stdout.write(`fresh memory: ${((performance.now() - t0) / 64).toFixed(2)} ms per MiB touched\n`);
}

async function main(): Promise<void> {
  const [dir, roundsArg, workersArg, flag] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: verifyParallelProbe.js <store dir with ledger.jsonl> [rounds] [workers] [--ceiling]\n');
    process.exitCode = 2;
    return;
  }
  const rounds = Number(roundsArg ?? 5);
  const workers = Number(workersArg ?? 2);
  if (flag === '--hash') {
    process.stdout.write(`${hashLoop()}\n`);
  } else if (flag === '--ceiling') {
    await ceiling(dir, rounds);
  } else if (flag === '--phases') {
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
}

// A worker thread of hashPair runs one loop; the probe itself runs main.
if (isMainThread) await main();
else if ((workerData as { hashLoop?: boolean } | undefined)?.hashLoop) parentPort!.postMessage(hashLoop());
