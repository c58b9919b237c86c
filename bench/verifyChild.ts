// One measurement in a fresh process, so peak RSS (process.resourceUsage().maxRSS) belongs to
// it alone: `node dist/bench/verifyChild.js <mode> <path>`; prints one JSON line.
//   verify  cold verification: verifyFile(<dir>/ledger.jsonl)
//   verify-2w  the same with verifyFile(..., { workers: 2 }) (worker threads share this process,
//           so maxRSS covers them all)
//   online  Ledger.verifyChain() on a read-only DirectoryStore over <dir>
//   sha     baseline: plain SHA-256 of every line's bytes (src/hash.ts sha256), lines read the way
//           verifyFile reads them (readLineBatches: Buffer views, no decode)
//   read    readLineBatches alone (where the reading time goes)
//   head, tail  one half of the file (cut at the first line start past the middle) verified as a
//           verify worker verifies its range (verifyRange + its fingerprint sort): two processes
//           running one each at once are the ideal 2-way split (verifyParallelProbe.ts --ceiling)
//   halves-threads  the same two halves at once in one process: the head on this thread, the
//           tail on a verify worker thread already loaded; ms is from the start of both to the
//           end of the later (the ideal split with threads)
//   csha    the C floor: <binary> (bench/cfloor/sha_lines.c, built by verifyBench) hashes every
//           line with OpenSSL; its own clock and maxRSS are reported (argument 3: the binary)
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, sha256 } from '../src/index.js';
import { verifyFile } from '../src/verify.js';
import { readLineBatches } from '../src/contract/lineReader.js';
import { fingerprintKey } from '../src/verify/eventChecks.js';
import { RANGE_WORKER_TAG, verifyRange, withOrder, type RangeTask, type RangeTaskMessage, type RangeWorkerData, type RangeWorkerMessage } from '../src/verify/verifyRangeWorker.js';
import { Worker } from 'node:worker_threads';

const [mode, dir, binary] = process.argv.slice(2);
if (!mode || !dir || (mode === 'csha' && !binary)) {
  process.stderr.write('usage: verifyChild.js verify|verify-2w|online|sha|read|head|tail|halves-threads <store dir> | csha <store dir> <sha_lines binary>\n');
  process.exit(2);
}
const file = join(dir, 'ledger.jsonl');

/** The file's two halves as verify tasks, cut at the first line start past the middle. */
function halves(): { head: RangeTask; tail: RangeTask } {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  const middle = Math.floor(fstatSync(fd).size / 2);
  const n = readSync(fd, buf, 0, buf.length, middle);
  closeSync(fd);
  const nl = buf.subarray(0, n).indexOf(0x0a);
  if (nl < 0) throw new Error('no line start within 1 MiB past the middle');
  const cut = middle + nl + 1;
  const key = fingerprintKey();
  return { head: { path: file, start: 0, end: cut, index: 0, key, progressEvery: 0 }, tail: { path: file, start: cut, end: Infinity, index: 1, key, progressEvery: 0 } };
}

/** `ms`, when given, is the mode's own clock (it leaves out what it must not count). */
async function run(): Promise<{ count: number; valid: boolean; ms?: number }> {
  switch (mode) {
    case 'verify': {
      const r = await verifyFile(file);
      return { count: r.count, valid: r.valid };
    }
    case 'verify-2w': {
      const r = await verifyFile(file, { workers: 2 });
      return { count: r.count, valid: r.valid };
    }
    case 'online': {
      const ledger = await Ledger.open(await DirectoryStore.open(dir!, { readOnly: true }));
      try {
        const r = await ledger.verifyChain();
        return { count: r.count, valid: r.valid };
      } finally {
        await ledger.close();
      }
    }
    case 'sha': {
      let count = 0;
      let x = 0;
      for await (const batch of readLineBatches(file)) {
        for (const line of batch) {
          x ^= sha256(line).charCodeAt(7); // keep the digest live
          count++;
        }
      }
      return { count, valid: x >= 0 };
    }
    case 'head':
    case 'tail': {
      const { head, tail } = halves();
      const r = withOrder(await verifyRange(mode === 'head' ? head : tail));
      return { count: r.count, valid: r.failure === undefined && r.first !== undefined };
    }
    case 'halves-threads': {
      // The tail's worker is started and loaded first: the clock covers only the two verifications.
      const { head, tail } = halves();
      const control = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
      control[0] = 0x7fffffff;
      const worker = new Worker(new URL('../src/verify/verifyRangeWorker.js', import.meta.url), { workerData: { tag: RANGE_WORKER_TAG, control } satisfies RangeWorkerData });
      const messages = (type: string) => new Promise<RangeWorkerMessage>((resolve, reject) => {
        const on = (m: RangeWorkerMessage) => m.type === type && (worker.off('message', on), resolve(m));
        worker.on('message', on).once('error', reject);
      });
      await messages('ready');
      const t0 = performance.now();
      const done = messages('done');
      worker.postMessage({ type: 'task', task: tail } satisfies RangeTaskMessage);
      const a = withOrder(await verifyRange(head));
      const b = (await done) as Extract<RangeWorkerMessage, { type: 'done' }>;
      const ms = performance.now() - t0;
      await worker.terminate();
      return { count: a.count + b.result.count, valid: a.failure === undefined && b.result.failure === undefined, ms };
    }
    case 'read': {
      let count = 0;
      let bytes = 0;
      for await (const batch of readLineBatches(file)) {
        for (const line of batch) {
          bytes += line.length;
          count++;
        }
      }
      return { count, valid: bytes >= 0 };
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

if (mode === 'csha') {
  // The C program times itself (no Node start-up in its figure, as none is in the others').
  const out = JSON.parse(execFileSync(binary!, [file], { encoding: 'utf8' })) as { count: number; ns: number; maxRssKB: number };
  process.stdout.write(`${JSON.stringify({ mode, count: out.count, valid: true, ms: out.ns / 1e6, cpuMs: out.ns / 1e6, maxRssKB: out.maxRssKB })}\n`);
  process.exit(0);
}

const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const r = await run();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
// CPU time (user + system, all threads): steadier than wall time on a shared machine.
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`${JSON.stringify({ mode, ...r, ms: r.ms ?? ms, cpuMs, maxRssKB: process.resourceUsage().maxRSS })}\n`);
