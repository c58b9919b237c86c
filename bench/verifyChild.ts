// One measurement in a fresh process, so peak RSS (process.resourceUsage().maxRSS) belongs to
// it alone: `node dist/bench/verifyChild.js <mode> <path>`; prints one JSON line.
//   verify  cold verification: verifyFile(<dir>/ledger.jsonl)
//   verify-2w  the same with verifyFile(..., { workers: 2 }) (worker threads share this process,
//           so maxRSS covers them all)
//   online  Ledger.verifyChain() on a read-only DirectoryStore over <dir>
//   sha     baseline: plain SHA-256 of every line's bytes (src/hash.ts sha256), lines read the way
//           verifyFile reads them (readLineBatches: Buffer views, no decode)
//   read    readLineBatches alone (where the reading time goes)
import { join } from 'node:path';
import { DirectoryStore, Ledger, sha256 } from '../src/index.js';
import { verifyFile } from '../src/verify.js';
import { readLineBatches } from '../src/contract/lineReader.js';

const [mode, dir] = process.argv.slice(2);
if (!mode || !dir) {
  process.stderr.write('usage: verifyChild.js verify|verify-2w|online|sha|read <store dir>\n');
  process.exit(2);
}
const file = join(dir, 'ledger.jsonl');

async function run(): Promise<{ count: number; valid: boolean }> {
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

const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const r = await run();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
// CPU time (user + system, all threads): steadier than wall time on a shared machine.
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`${JSON.stringify({ mode, ...r, ms, cpuMs, maxRssKB: process.resourceUsage().maxRSS })}\n`);
