// Child of the batch benchmark, run under strace to count the synchronized writes: appends N
// events to a fresh directory ledger in DIR, one per call (MODE single) or ten per
// appendBatch (MODE batch), then closes it.
// Usage: node batchChild.js single|batch N DIR
import { DirectoryStore, Ledger } from '../src/index.js';
import { benchInput } from './appendBench.js';

const [mode, count, dir] = process.argv.slice(2) as [string, string, string];
const n = Number(count);
const ledger = await Ledger.open(await DirectoryStore.open(dir));
if (mode === 'single') for (let i = 0; i < n; i++) await ledger.append(benchInput(i));
else for (let i = 0; i < n; i += 10) await ledger.appendBatch(Array.from({ length: Math.min(10, n - i) }, (_, j) => benchInput(i + j)));
await ledger.close();
