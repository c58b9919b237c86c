// Reads from an immudb replica vs the primary (issue 12 §3), on two throwaway servers of this
// machine: Ledger.readRange through a ReplicatedImmudbStore (replica) paired with the same read
// through an ImmudbStore on the primary, and how long the async replica takes to hold a batch
// of appends. Opt-in: `npm run bench -- --only replicas --append 500`.

import { performance } from 'node:perf_hooks';
import { Ledger } from '../src/index.js';
import { bootstrapImmudb } from '../src/stores/immudb/bootstrapImmudb.js';
import { ImmudbStore } from '../src/stores/immudb/immudbStore.js';
import { ReplicatedImmudbStore } from '../src/stores/immudb/replicatedImmudbStore.js';
import { configOn, disposeImmudbServers, startImmudbServers } from '../test/support/immudbCluster.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { paired } from './paired.js';

const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-bench', actor: 'system' } as const;

export async function replicaBench(opts: BenchOptions): Promise<readonly BenchRow[]> {
  const events = opts.appendEvents;
  const servers = await startImmudbServers(2);
  try {
    const [p, r] = servers as [(typeof servers)[number], (typeof servers)[number]];
    const primary = configOn(p, 'bench');
    const replica = configOn(r, 'bench_replica');
    await bootstrapImmudb(primary);
    await bootstrapImmudb(replica, { replicaOf: primary });
    const writer = await Ledger.open(await ImmudbStore.open(primary));
    const appendStarted = performance.now();
    const padding = 'x'.repeat(256);
    for (let i = 0; i < events; i++) {
      const payload = { session_id: `b${i}`, padding }; // an extra field, kept (a literal would not type-check)
      await writer.append({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload });
    }
    const appended = performance.now();
    await writer.close();
    // Convergence: from the last acknowledged append until the replica holds it.
    const probe = await ImmudbStore.open(replica);
    while ((await probe.tip()).sequence_number < events - 1) await new Promise((res) => setTimeout(res, 5));
    const converged = performance.now();
    await probe.close();
    opts.log(`replicas: ${events} appends in ${(appended - appendStarted).toFixed(0)} ms; replica caught up ${(converged - appended).toFixed(0)} ms after the last`);

    const readAll = async (ledger: Ledger): Promise<number> => {
      const started = performance.now();
      let n = 0;
      for await (const _ of ledger.readRange(0, events - 1)) n++;
      return (n / (performance.now() - started)) * 1000;
    };
    const fromReplica = await Ledger.open(await ReplicatedImmudbStore.open(undefined, [replica]));
    const fromPrimary = await Ledger.open(await ImmudbStore.open(primary));
    try {
      const result = await paired(opts.rounds, { replica: () => readAll(fromReplica), primary: () => readAll(fromPrimary) }, opts.log);
      const ratio = result.ratio('replica', 'primary');
      return [
        {
          bench: 'replicas', metric: 'Ledger.readRange from an async replica', value: result.summary('replica').median, unit: 'events/s',
          baseline: { metric: 'same read from the primary', value: result.summary('primary').median }, ratio: ratio.median, ratioSpread: ratio,
          note: `${events} events, two immudb servers on this machine`,
        },
        { bench: 'replicas', metric: 'replica catch-up after the last append', value: converged - appended, unit: 'ms', note: `${events} appends` },
      ];
    } finally {
      await fromReplica.close();
      await fromPrimary.close();
    }
  } finally {
    await disposeImmudbServers(servers);
  }
}
