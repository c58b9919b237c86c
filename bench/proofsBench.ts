// `--only proofs`: what the Merkle tree costs (issue 9).
//   1. Ledger.append with the tree kept current (LedgerOptions.merkle) vs without, paired rounds
//      on fresh directory stores (both pay one fdatasync per event; the tree adds O(log n)
//      hashing and one unsynced positional write).
//   2. Inclusion and consistency proof generation on a tree of `events` leaves (1M by default;
//      the verify benchmark's file when it ran first), after the one-off build from the lines.
//   3. Cold verification of that file against a signed checkpoint vs plain cold verification,
//      paired rounds in this process.
import { join } from 'node:path';
import { DirectoryStore, Ledger } from '../src/index.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../src/proofs/note.js';
import { openDirectoryMerkleLog, takeCheckpoint } from '../src/stores/merkleLog.js';
import { verifyFile } from '../src/verify/verifyFile.js';
import { verifyFileAgainstCheckpoint } from '../src/verify/verifyCheckpoint.js';
import { readLineBatches } from '../src/contract/lineReader.js';
import { benchInput } from './appendBench.js';
import type { BenchOptions, BenchRow } from './benchTypes.js';
import { formatRatio, paired } from './paired.js';
import { generateLedger } from './verifyBench.js';

const WARMUP = 20;
const PROOFS = 2000;

async function appendRun(dir: string, n: number, merkle: boolean): Promise<number> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir), { merkle });
  try {
    for (let i = 0; i < WARMUP; i++) await ledger.append(benchInput(i));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await ledger.append(benchInput(WARMUP + i));
    return (n * 1e9) / Number(process.hrtime.bigint() - t0);
  } finally {
    await ledger.close();
  }
}

/** A deterministic spread of indexes (no Math.random: runs are comparable). */
const spread = (i: number, n: number): number => Number((BigInt(i) * 2654435761n) % BigInt(n));

export async function proofsBench(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const n = o.appendEvents;
  const append = await paired(
    o.rounds,
    {
      tree: (r) => appendRun(join(o.dir, `tree-${r}`), n, true),
      plain: (r) => appendRun(join(o.dir, `plain-${r}`), n, false),
    },
    (line) => o.log(`proofs append ${line}`),
  );
  const ratio = append.ratio('tree', 'plain');
  rows.push({
    bench: 'proofs', metric: 'Ledger.append with merkle: true', value: append.summary('tree').median, unit: 'events/s',
    baseline: { metric: 'Ledger.append without the tree', value: append.summary('plain').median },
    ratio: ratio.median, ratioSpread: ratio, target: '>= 0.9', pass: ratio.median >= 0.9, note: `ratio ${formatRatio(ratio)}; ${n} appends per round, DirectoryStore, fdatasync each`,
  });

  // The big file: the verify benchmark's when it ran with the same size, else generated here.
  let dir = typeof o.shared.ledgerDir === 'string' && o.shared.ledgerEvents === o.events ? o.shared.ledgerDir : undefined;
  if (dir === undefined) {
    dir = join(o.dir, 'big');
    o.log(`proofs: generating ${o.events} events`);
    generateLedger(dir, o.events);
  }
  // The tree's own work per append, without the fsync noise: the big file's lines fed to a
  // tree over an empty store, as Ledger.append feeds it.
  {
    const empty = await DirectoryStore.open(join(o.dir, 'empty'));
    const tree = await openDirectoryMerkleLog(join(o.dir, 'empty'), empty);
    let fed = 0;
    const s = process.hrtime.bigint();
    for await (const batch of readLineBatches(join(dir, 'ledger.jsonl'))) {
      for (const line of batch) await tree.append(fed++, line.toString('utf8'));
    }
    await tree.close();
    await empty.close();
    const us = Number(process.hrtime.bigint() - s) / 1e3 / fed;
    rows.push({ bench: 'proofs', metric: 'tree work per append (MerkleLog.append)', value: us, unit: 'µs/event', note: `${fed} lines fed in order, written in batches, synced on close; compare the fsync-bound append latency above` });
  }
  const store = await DirectoryStore.open(dir, { readOnly: true });
  const key = generateKey('bench.example/proofs');
  let checkpoint: string;
  try {
    let t0 = Date.now();
    const log = await openDirectoryMerkleLog(dir, store);
    const buildMs = Date.now() - t0;
    try {
      const size = log.size;
      t0 = Date.now();
      ({ signed: checkpoint } = await takeCheckpoint(dir, store, log, parseSignerKey(key.signerKey), parseVerifierKey(key.verifierKey)));
      const firstCheckpointMs = Date.now() - t0;
      const time = async (f: (i: number) => Promise<unknown>): Promise<number> => {
        const s = process.hrtime.bigint();
        for (let i = 0; i < PROOFS; i++) await f(i);
        return Number(process.hrtime.bigint() - s) / 1e3 / PROOFS;
      };
      const inclusionUs = await time((i) => log.inclusionProof(spread(i + 1, size), size));
      const consistencyUs = await time((i) => log.consistencyProof(1 + spread(i + 1, size - 1), size));
      const note = `${size} events; tree built from the lines in ${buildMs} ms (once, then kept current), first checkpoint (recheck of every hash) ${firstCheckpointMs} ms; ${PROOFS} proofs at spread indexes`;
      rows.push({ bench: 'proofs', metric: `inclusion proof, tree of ${size}`, value: inclusionUs, unit: 'µs/proof', note });
      rows.push({ bench: 'proofs', metric: `consistency proof, tree of ${size}`, value: consistencyUs, unit: 'µs/proof' });
    } finally {
      await log.close();
    }
  } finally {
    await store.close();
  }

  const file = join(dir, 'ledger.jsonl');
  const verify = await paired(
    o.rounds,
    {
      checkpoint: async () => {
        const t0 = Date.now();
        const r = await verifyFileAgainstCheckpoint(file, checkpoint, key.verifierKey);
        if (!r.valid) throw new Error(`proofs bench: ${r.reason}`);
        return Date.now() - t0;
      },
      plain: async () => {
        const t0 = Date.now();
        const r = await verifyFile(file);
        if (!r.valid) throw new Error(`proofs bench: ${r.reason}`);
        return Date.now() - t0;
      },
    },
    (line) => o.log(`proofs verify ${line}`),
  );
  const vr = verify.ratio('checkpoint', 'plain');
  rows.push({
    bench: 'proofs', metric: 'cold verify against a checkpoint', value: verify.summary('checkpoint').median, unit: 'ms',
    baseline: { metric: 'plain cold verify (verifyFile)', value: verify.summary('plain').median },
    ratio: vr.median, ratioSpread: vr, note: `time ratio ${formatRatio(vr)} (above 1 = slower); ${o.events} events, one thread each`,
  });
  return rows;
}
