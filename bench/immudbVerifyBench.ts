// Cost of immudb's proofs (ImmudbStore `verify`) as paired ratios: verified vs unverified append
// and read on the same throwaway server, each round running both sides in rotating order.
//   npx tsc -p tsconfig.json && node dist/bench/immudbVerifyBench.js [events=200] [rounds=5]
// Small sizes only: the machine is shared.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../src/index.js';
import { bootstrapImmudb } from '../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig } from '../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../src/stores/immudb/immudbStore.js';
import { ImmudbTestServer } from '../test/support/immudbServer.js';
import { median } from './paired.js';
import { sessionStart } from '../test/support/fixtures.js';

const events = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 5);
const server = new ImmudbTestServer();
await server.start();
try {
  const env = server.env('verifybench');
  await bootstrapImmudb(resolveImmudbConfig({ env }));
  const stateFile = join(mkdtempSync(join(tmpdir(), 'fmwk-verify-bench-')), 'state.json');
  const side = async (verified: boolean): Promise<{ append: number; read: number }> => {
    const config = resolveImmudbConfig({ env, overrides: { keyPrefix: `bench/${randomUUID()}/` } });
    const options = verified ? { verify: { trustedStateFile: stateFile } } : {};
    const ledger = await Ledger.open(await ImmudbStore.open(config, options));
    let t = performance.now();
    for (let k = 0; k < events; k++) await ledger.append(sessionStart(`bench-${k}`));
    const append = performance.now() - t;
    await ledger.close();
    const store = await ImmudbStore.open(config, options);
    t = performance.now();
    let n = 0;
    for await (const _ of store.scanLines(0)) n++;
    const read = performance.now() - t;
    await store.close();
    if (n !== events) throw new Error(`read ${n} of ${events}`);
    return { append, read };
  };
  const appendRatios: number[] = [];
  const readRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false];
    const res = new Map<boolean, { append: number; read: number }>();
    for (const v of order) res.set(v, await side(v));
    appendRatios.push(res.get(true)!.append / res.get(false)!.append);
    readRatios.push(res.get(true)!.read / res.get(false)!.read);
    process.stdout.write(`round ${r + 1}: append ${res.get(false)!.append.toFixed(0)} -> ${res.get(true)!.append.toFixed(0)} ms, read ${res.get(false)!.read.toFixed(0)} -> ${res.get(true)!.read.toFixed(0)} ms\n`);
  }
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(2)}x (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
  process.stdout.write(`${events} events, ${rounds} rounds: verified/unverified append ${fmt(appendRatios)}; read ${fmt(readRatios)}\n`);
} finally {
  await server.dispose();
}
